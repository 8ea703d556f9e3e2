#include <keel/testing/postgres.hpp>  // free_port
#include <keel/testing/process.hpp>

#include "support/redis.hpp"

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>


namespace keel::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* redis_binary = "/usr/bin/redis-server";

}  // namespace

bool redis_server::installed() { return fs::exists(redis_binary); }

redis_server::redis_server()
{
    if (!installed())
        throw std::runtime_error(std::string(redis_binary) + " not found (run scripts/setup)");
    char pattern[] = "/tmp/keel-redis-XXXXXX";
    if (!::mkdtemp(pattern))
        throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    // The watchdog kills the server (the pid is read from the file launch() writes) and deletes
    // the directory once this process is gone.
    watchdog_pipe_ = start_cleanup_watchdog("pid=$(cat " + dir_ + "/pid 2>/dev/null) && kill -CONT $pid && kill -KILL $pid; rm -rf " +
                                            dir_ + " 2>/dev/null");
    start();
}

void redis_server::start()
{
    const bool restart = port_ != 0;  // a restart keeps the port clients know
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (!restart || attempt > 0)
            port_ = free_port();
        if (launch())
            return;
    }
    throw std::runtime_error("the test Redis did not start:\n" + log_);
}

// Starts redis-server in a child process, its log on a pipe; true once the log says it accepts
// connections, false if it exited first (the port was taken meanwhile).
bool redis_server::launch()
{
    const auto p = spawn({redis_binary, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_, "--save", "",
                          "--appendonly", "no", "--logfile", ""},
                         {}, dir_);
    pid_ = p.pid;
    log_fd_ = p.output;
    std::ofstream(dir_ + "/pid") << pid_;
    log_.clear();
    if (read_output_until(p, log_, [](const std::string& text) {
            return text.find("Ready to accept connections") != std::string::npos;
        }))
        return true;
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    ::close(log_fd_);
    log_fd_ = -1;
    return false;
}

void redis_server::stop()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    ::close(log_fd_);  // kept open until now: a closed pipe would fail the server's log writes
    log_fd_ = -1;
}

void redis_server::freeze() { ::kill(pid_, SIGSTOP); }
void redis_server::thaw() { ::kill(pid_, SIGCONT); }

redis_server::~redis_server()
{
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    ::close(watchdog_pipe_);
}

std::string redis_server::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

}  // namespace keel::testing

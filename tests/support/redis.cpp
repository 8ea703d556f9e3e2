#include "support/redis.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "support/eventually.hpp"
#include "support/postgres.hpp"  // free_port
#include "support/process.hpp"

namespace keel::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* redis_binary = "/usr/bin/redis-server";

bool accepts_connections(std::uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

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
    std::ifstream in(dir_ + "/redis.log");
    std::stringstream text;
    text << in.rdbuf();
    throw std::runtime_error("the test Redis did not start:\n" + text.str());
}

// Starts redis-server in the foreground of a child process; true once it accepts connections,
// false if it exited first (the port was taken meanwhile).
bool redis_server::launch()
{
    const std::string port = std::to_string(port_);
    const std::string log = dir_ + "/redis.log";
    std::vector<std::string> args{redis_binary, "--port", port, "--bind", "127.0.0.1", "--dir", dir_,
                                  "--save", "", "--appendonly", "no", "--logfile", log};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
        ::execv(redis_binary, argv.data());
        ::_exit(127);
    }
    std::ofstream(dir_ + "/pid") << pid_;
    bool exited = false;
    const bool up = eventually([&] {
        int status = 0;
        exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
        return exited || accepts_connections(port_);
    });
    if (exited || !up) {
        if (!exited) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        pid_ = -1;
        return false;
    }
    return true;
}

void redis_server::stop()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
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

#include <keel/testing/postgres.hpp>

#include <keel/testing/process.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace keel::testing {

namespace fs = std::filesystem;

namespace {

bool has_server_binaries(const fs::path& bin)
{
    std::error_code ec;
    return fs::exists(bin / "initdb", ec) && fs::exists(bin / "pg_ctl", ec);
}

/// KEEL_POSTGRES_BINDIR if set; else Debian's /usr/lib/postgresql/N/bin, newest first; else the
/// first directory of PATH holding initdb and pg_ctl.
std::string find_bindir()
{
    if (const char* chosen = std::getenv("KEEL_POSTGRES_BINDIR"))
        return has_server_binaries(chosen) ? std::string(chosen) : std::string();
    std::vector<fs::path> candidates;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
        candidates.push_back(entry.path() / "bin");
    std::sort(candidates.rbegin(), candidates.rend());
    std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
    for (std::string dir; std::getline(path, dir, ':');)
        if (!dir.empty())
            candidates.emplace_back(dir);
    for (const auto& bin : candidates)
        if (has_server_binaries(bin))
            return bin.string();
    return {};
}

}  // namespace

std::uint16_t free_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("no free port for the test PostgreSQL");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

namespace {

std::pair<int, std::string> run(const std::string& command)
{
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return {-1, "popen failed"};
    std::array<char, 4096> buf;
    while (auto n = std::fread(buf.data(), 1, buf.size(), pipe))
        output.append(buf.data(), n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string quote(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

bool postgres_server::installed() { return !find_bindir().empty(); }

postgres_server& postgres_server::instance()
{
    static postgres_server server;
    return server;
}

std::string postgres_server::as_owner(const std::string& command) const
{
    // initdb and postgres refuse to run as root: run them as the postgres user then.
    return ::geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

postgres_server::postgres_server() : bindir_(find_bindir())
{
    if (bindir_.empty())
        throw std::runtime_error("PostgreSQL's initdb and pg_ctl were not found in KEEL_POSTGRES_BINDIR, "
                                 "/usr/lib/postgresql/*/bin or PATH (Debian: apt install postgresql)");
    // /tmp, not TMPDIR: the server's Unix socket lives here, and a socket path must fit in 107
    // bytes; as root, the postgres user must also be able to reach it.
    char pattern[] = "/tmp/keel-pg-XXXXXX";
    if (!::mkdtemp(pattern))
        throw std::runtime_error(std::string("cannot make a directory for the test PostgreSQL under /tmp: ") + std::strerror(errno));
    dir_ = pattern;
    if (::geteuid() == 0) {
        const passwd* pg = ::getpwnam("postgres");
        if (!pg || ::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0)
            throw std::runtime_error("cannot hand " + dir_ + " to the postgres user");
    }
    // The watchdog stops the server and deletes the directory once this process is gone.
    watchdog_pipe_ = start_cleanup_watchdog(as_owner(bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop") +
                                            " >/dev/null 2>&1; rm -rf " + dir_);

    auto [code, output] = run(as_owner(bindir_ + "/initdb -D " + dir_ + "/data -U keel -A trust -E UTF8 --locale=C --no-sync"));
    if (code != 0)
        throw std::runtime_error("initdb failed:\n" + output);
    start();
}

void postgres_server::start()
{
    std::string log = dir_ + "/server.log";
    const bool restart = port_ != 0;  // a restart keeps the port clients know
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (!restart || attempt > 0)
            port_ = free_port();
        const std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                                    " -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
                                    " -c synchronous_commit=off -c full_page_writes=off";
        auto [code, output] = run(as_owner(bindir_ + "/pg_ctl -D " + dir_ + "/data -l " + log + " -w -t 60 -o " +
                                           quote(options) + " start"));
        if (code == 0)
            return;
        run(as_owner(bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop"));
    }
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    throw std::runtime_error("the test PostgreSQL did not start:\n" + text.str());
}

void postgres_server::stop()
{
    run(as_owner(bindir_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop"));
}

namespace {

// The postmaster's children: the backends and the server's own processes.
std::vector<pid_t> children_of(pid_t parent)
{
    std::vector<pid_t> out;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit))
            continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        const auto close = line.rfind(')');  // the command name may hold spaces and parentheses
        if (close == std::string::npos)
            continue;
        std::istringstream rest(line.substr(close + 1));
        char state = 0;
        pid_t ppid = 0;
        if (rest >> state >> ppid && ppid == parent)
            out.push_back(static_cast<pid_t>(std::stoi(name)));
    }
    return out;
}

}  // namespace

void postgres_server::signal_all(int signal) const
{
    std::ifstream pid_file(dir_ + "/data/postmaster.pid");
    pid_t postmaster = 0;
    if (!(pid_file >> postmaster) || postmaster <= 0)
        throw std::runtime_error("the test PostgreSQL is not running (no postmaster.pid)");
    // The postmaster first when stopping (no new backends forked meanwhile), last when resuming.
    if (signal == SIGSTOP)
        ::kill(postmaster, signal);
    for (pid_t child : children_of(postmaster))
        ::kill(child, signal);
    if (signal != SIGSTOP)
        ::kill(postmaster, signal);
}

void postgres_server::freeze() { signal_all(SIGSTOP); }
void postgres_server::thaw() { signal_all(SIGCONT); }

postgres_server::~postgres_server()
{
    try {
        thaw();
    } catch (const std::exception&) {
        // not running: nothing to resume
    }
    run(as_owner(bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop"));
    std::error_code ec;
    fs::remove_all(dir_, ec);
    ::close(watchdog_pipe_);
}

std::string postgres_server::url(const std::string& database) const
{
    return "postgresql://keel@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string postgres_server::psql(const std::string& sql, const std::string& database) const
{
    auto [code, output] = run(bindir_ + "/psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) +
                              " -U keel -d " + database + " -c " + quote(sql));
    if (code != 0)
        throw std::runtime_error("psql failed: " + output);
    while (!output.empty() && output.back() == '\n')
        output.pop_back();
    return output;
}

std::string postgres_server::create_database()
{
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    const std::string name = "keel_test_" + std::to_string(next_database_++);
    psql("CREATE DATABASE " + name);
    return url(name);
}

}  // namespace keel::testing

#include <keel/testing/process.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <regex>
#include <stdexcept>

namespace keel::testing {

namespace fs = std::filesystem;

namespace {

// What execve takes, made before fork: the child of a multithreaded process may only make
// async-signal-safe calls, and allocating is not one.
struct exec_arrays {
    std::vector<char*> args, envp;

    exec_arrays(const std::vector<std::string>& argv, const std::vector<std::string>& env)
    {
        for (auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        for (auto& e : env)
            envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
    }
};

// In the child after fork: becomes the program, in dir.
[[noreturn]] void exec_in(const exec_arrays& program, const fs::path& dir)
{
    if (::chdir(dir.c_str()) == 0)
        ::execve(program.args[0], program.args.data(), program.envp.data());
    ::_exit(127);
}

void write_all(int fd, std::string_view text)
{
    while (!text.empty()) {
        const auto n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno != EINTR)
            throw std::runtime_error("could not write to the child");
        text.remove_prefix(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    }
}

}  // namespace

process spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& dir)
{
    const exec_arrays program(argv, env);
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0)
        throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe_fds[1], 1);
        ::dup2(pipe_fds[1], 2);
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);  // else daemons it starts would hold the pipe open
        exec_in(program, dir);
    }
    ::close(pipe_fds[1]);
    if (pid < 0) {
        ::close(pipe_fds[0]);
        throw std::runtime_error("fork failed");
    }
    return {pid, pipe_fds[0]};
}

finished run_on_terminal(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& dir,
                         std::string_view typed)
{
    const exec_arrays program(argv, env);
    const int terminal = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[128];
    int program_side = -1;
    if (terminal < 0 || ::grantpt(terminal) != 0 || ::unlockpt(terminal) != 0 || ::ptsname_r(terminal, name, sizeof name) != 0 ||
        (program_side = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        if (terminal >= 0)
            ::close(terminal);
        throw std::runtime_error("no pseudo-terminal");
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();  // a session of its own, whose controlling terminal this one becomes
        ::ioctl(program_side, TIOCSCTTY, 0);
        for (int fd : {0, 1, 2})
            ::dup2(program_side, fd);
        exec_in(program, dir);
    }
    ::close(program_side);  // from here only the program holds its side: when it ends, so does reading
    try {
        if (pid < 0)
            throw std::runtime_error("fork failed");
        write_all(terminal, typed);  // the terminal keeps it until the program reads it
    } catch (...) {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            wait_exit(pid);
        }
        ::close(terminal);
        throw;
    }
    // Once the program's side is closed everywhere, reading fails (EIO): read_all ends there too.
    auto output = read_all(terminal);
    return {wait_exit(pid), std::move(output)};
}

std::string read_all(int fd)
{
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

int wait_exit(pid_t pid)
{
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

finished run(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& dir)
{
    auto p = spawn(argv, env, dir);
    auto output = read_all(p.output);
    return {wait_exit(p.pid), output};
}

bool read_output_until(const process& p, std::string& output, const std::function<bool(const std::string&)>& found)
{
    char buf[512];
    while (!found(output)) {
        const auto n = ::read(p.output, buf, sizeof buf);
        if (n <= 0)
            return false;
        output.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

std::uint16_t read_until_serving(const process& p, std::string& output)
{
    static const std::regex serving("serving on http://127\\.0\\.0\\.1:([0-9]+)");
    std::smatch m;
    if (!read_output_until(p, output, [&](const std::string& text) { return std::regex_search(text, m, serving); }))
        return 0;
    return static_cast<std::uint16_t>(std::stoi(m[1]));
}

int start_cleanup_watchdog(const std::string& shell_command)
{
    int fds[2];
    // O_CLOEXEC: the servers started later must not hold the pipe open.
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    if (::fork() == 0) {
        ::close(fds[1]);
        char byte;
        while (::read(fds[0], &byte, 1) > 0) {
        }
        ::execl("/bin/sh", "sh", "-c", shell_command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[0]);
    return fds[1];
}

}  // namespace keel::testing

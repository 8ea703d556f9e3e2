#include "core/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace keel::detail {

namespace {

constexpr std::size_t kept_output = 64 * 1024;

std::vector<std::string> environment_with(const std::vector<std::string>& extra)
{
    std::vector<std::string> out;
    for (char** entry = environ; *entry; ++entry) {
        const std::string_view text(*entry);
        const auto name = text.substr(0, text.find('=') + 1);
        bool replaced = false;
        for (const auto& e : extra)
            replaced = replaced || std::string_view(e).starts_with(name);
        if (!replaced)
            out.emplace_back(text);
    }
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings)
{
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

/// Reads `fd` into `output` until it closes or `deadline` passes; false on the deadline.
bool read_until_closed(int fd, std::string& output, std::chrono::steady_clock::time_point deadline)
{
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue;  // the loop checks the deadline
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0)
            return true;
        output.append(buffer, static_cast<std::size_t>(n));
        if (output.size() > kept_output)
            output.erase(0, output.size() - kept_output);
    }
}

/// Waits for `pid` until `until`: its output closed, it should be about to exit. False at the deadline.
bool exited_by(pid_t pid, std::chrono::steady_clock::time_point until, int& status)
{
    for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(100))) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR))
            return true;
        if (std::chrono::steady_clock::now() >= until)
            return false;
        ::poll(nullptr, 0, static_cast<int>(pause.count()));
    }
}

}  // namespace

child_outcome run_child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_environment,
                        std::chrono::milliseconds deadline)
{
    child_outcome out;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        out.output = std::string("pipe: ") + std::strerror(errno);
        return out;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attributes;  // a process group of its own: the deadline kills what it started too
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    auto args = argv;
    auto env = environment_with(extra_environment);
    auto arg_pointers = pointers(args), env_pointers = pointers(env);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, args.front().c_str(), &actions, &attributes, arg_pointers.data(), env_pointers.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(pipe_fds[1]);
    if (spawned != 0) {
        ::close(pipe_fds[0]);
        out.output = argv.front() + ": " + std::strerror(spawned);
        return out;
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    out.timed_out = !read_until_closed(pipe_fds[0], out.output, until);
    ::close(pipe_fds[0]);
    int status = 0;
    out.timed_out = out.timed_out || !exited_by(pid, until, status);
    if (out.timed_out) {
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    out.exit_code = !out.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

}  // namespace keel::detail

#include "core/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
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

/// The file a child reads on its stdin, then the input's trailer, written through a socket (send's
/// MSG_NOSIGNAL: a child that exits early is a failure to report, not a SIGPIPE that kills this
/// process). A file that cannot be read whole ends the input without the trailer, and is a failure.
class feeder {
public:
    feeder(const child_input& input, int socket) : input_(input), socket_(socket)
    {
        file_ = ::open(input.file.c_str(), O_RDONLY | O_CLOEXEC);
        std::error_code ec;
        total_ = std::filesystem::file_size(input.file, ec);
        if (file_ < 0)
            fail("cannot open " + input.file.string() + ": " + std::strerror(errno));
    }
    ~feeder()
    {
        finish();
        if (file_ >= 0)
            ::close(file_);
    }
    feeder(const feeder&) = delete;
    feeder& operator=(const feeder&) = delete;

    int socket() const { return socket_; }
    /// Why the input stopped short ("" when it did not).
    const std::string& failure() const { return failure_; }
    /// Writes what the socket takes now; at the input's end (or the child's) closes the socket.
    void write_some()
    {
        if (offset_ == pending_.size() && !refill())
            return;
        const ssize_t sent = ::send(socket_, pending_.data() + offset_, pending_.size() - offset_, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (sent < 0)
            return finish();  // the child stopped reading: its exit status says why
        offset_ += static_cast<std::size_t>(sent);
        if (!in_trailer_) {
            written_ += static_cast<std::uint64_t>(sent);
            if (input_.fed)
                input_.fed(written_, total_);
        }
    }

private:
    /// The next bytes to send: the file's, then the trailer's; false when there are none.
    bool refill()
    {
        offset_ = 0;
        if (in_trailer_) {
            finish();
            return false;
        }
        pending_.resize(64 * 1024);
        const ssize_t n = ::read(file_, pending_.data(), pending_.size());
        if (n < 0) {
            fail("cannot read " + input_.file.string() + ": " + std::strerror(errno));
            return false;
        }
        pending_.resize(static_cast<std::size_t>(n));
        if (n == 0) {
            in_trailer_ = true;
            pending_ = input_.trailer;
        }
        return !pending_.empty() || refill();
    }
    void fail(std::string why)
    {
        failure_ = std::move(why);
        finish();
    }
    void finish()
    {
        if (socket_ >= 0)
            ::close(socket_);
        socket_ = -1;
    }

    const child_input& input_;
    int socket_, file_ = -1;
    std::uint64_t written_ = 0, total_ = 0;
    std::string pending_, failure_;
    std::size_t offset_ = 0;
    bool in_trailer_ = false;
};

/// Reads `fd` into `output` (and feeds `feed`, if any) until it closes or `deadline` passes;
/// false on the deadline.
bool read_until_closed(int fd, feeder* feed, std::string& output, std::chrono::steady_clock::time_point deadline)
{
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p[2]{{fd, POLLIN, 0}, {feed ? feed->socket() : -1, POLLOUT, 0}};  // -1: not polled
        const int ready = ::poll(p, 2, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue;  // the loop checks the deadline
        if (p[1].revents != 0)
            feed->write_some();
        if (p[0].revents == 0)
            continue;
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

/// Starts argv in a process group of its own (the deadline kills what it started too), its stdout
/// and stderr to `output`, its stdin from `input` (-1: /dev/null). Returns 0 or posix_spawn's error.
int spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_environment, int output, int input,
          pid_t& pid)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    if (input < 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    else
        posix_spawn_file_actions_adddup2(&actions, input, 0);
    posix_spawn_file_actions_adddup2(&actions, output, 1);
    posix_spawn_file_actions_adddup2(&actions, output, 2);
    auto args = argv;
    auto env = environment_with(extra_environment);
    auto arg_pointers = pointers(args), env_pointers = pointers(env);
    const int spawned = ::posix_spawnp(&pid, args.front().c_str(), &actions, &attributes, arg_pointers.data(), env_pointers.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return spawned;
}

/// The child's output pipe and, with an input, its stdin socket pair; false (and `out` says why)
/// when they cannot be made.
bool open_channels(int (&output)[2], int (&input)[2], bool with_input, child_outcome& out)
{
    if (::pipe2(output, O_CLOEXEC) != 0) {
        out.output = std::string("pipe: ") + std::strerror(errno);
        return false;
    }
    if (with_input && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, input) != 0) {
        out.output = std::string("socketpair: ") + std::strerror(errno);
        ::close(output[0]);
        ::close(output[1]);
        return false;
    }
    return true;
}

}  // namespace

child_outcome run_child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_environment,
                        std::chrono::milliseconds deadline, const std::optional<child_input>& input)
{
    child_outcome out;
    int output_fds[2], input_fds[2] = {-1, -1};
    if (!open_channels(output_fds, input_fds, input.has_value(), out))
        return out;
    pid_t pid = -1;
    const int spawned = spawn(argv, extra_environment, output_fds[1], input_fds[1], pid);
    ::close(output_fds[1]);
    if (input_fds[1] >= 0)
        ::close(input_fds[1]);
    std::optional<feeder> feed;
    if (input)
        feed.emplace(*input, input_fds[0]);  // closes it
    if (spawned != 0) {
        ::close(output_fds[0]);
        out.output = argv.front() + ": " + std::strerror(spawned);
        return out;
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    out.timed_out = !read_until_closed(output_fds[0], feed ? &*feed : nullptr, out.output, until);
    ::close(output_fds[0]);
    int status = 0;
    out.timed_out = out.timed_out || !exited_by(pid, until, status);
    if (out.timed_out) {  // killed before its input closes: a child must not take a cut input for a whole one
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    out.exit_code = !out.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (feed && !feed->failure().empty()) {
        out.exit_code = -1;
        out.output += "\n" + feed->failure();
    }
    return out;
}

}  // namespace keel::detail

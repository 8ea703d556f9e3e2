#pragma once
// Runs the built binaries as a user would: a child process with its own environment and working
// directory, its stdout and stderr read together.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace keel::testing {

struct process {
    pid_t pid = -1;
    int output = -1;  // stdout and stderr together
};

/// Starts `argv` in `dir` with exactly `env` as its environment.
process spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::filesystem::path& dir);
/// Reads `fd` to its end, then closes it.
std::string read_all(int fd);
/// The exit code, or 128 + the signal that ended it.
int wait_exit(pid_t pid);

struct finished {
    int code;
    std::string output;
};
/// spawn, then read the output and wait for the exit.
finished run(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::filesystem::path& dir);

/// run, with a pseudo-terminal as the program's stdin, stdout and stderr, on which `typed` was
/// typed beforehand: what a person answers a prompt with, a few short lines ("n\n"; a terminal
/// holds about 4 KiB). The output comes back as a terminal shows it: the typed text echoed,
/// lines ending in "\r\n". Like run, it waits for the program to end.
finished run_on_terminal(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::filesystem::path& dir, std::string_view typed);

/// Reads `p`'s output, appending it to `output`, until `found(output)` holds; false when the
/// output ended first (the process exited).
bool read_output_until(const process& p, std::string& output, const std::function<bool(const std::string&)>& found);

/// Reads `p`'s output, appending it to `output`, until the service says "serving on
/// http://127.0.0.1:PORT"; returns PORT, or 0 when the output ended first.
std::uint16_t read_until_serving(const process& p, std::string& output);

/// A child that waits for this process to go away, however it ends, then runs `shell_command`
/// (stops a throwaway server, deletes its directory). Returns the pipe whose closing wakes it:
/// close it to run the command now. Built before fork: the child only reads and execs.
int start_cleanup_watchdog(const std::string& shell_command);

}  // namespace keel::testing

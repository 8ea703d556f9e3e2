#pragma once
// Running a program to completion with a deadline (pg_dump for a migration's backup): its output
// read, and the child killed when the deadline passes instead of waited for without end.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace keel::detail {

struct child_outcome {
    /// The exit status; -1 when it could not start, died of a signal, or was killed at the deadline.
    int exit_code = -1;
    bool timed_out = false;
    /// stdout and stderr together (the last 64 KiB).
    std::string output;
};

/// What the child reads on its stdin: a file (psql reading a restore's script), then `trailer`
/// only when the whole file was written (psql's COMMIT: a cut input must not commit), and how far
/// it got: fed(bytes of the file written so far, its size) after each write. A file that cannot
/// be opened or read whole makes the outcome a failure (exit_code -1) that says why.
struct child_input {
    std::filesystem::path file;
    std::function<void(std::uint64_t written, std::uint64_t total)> fed;
    std::string trailer;
};

/// Runs argv[0] (searched in PATH) with the process environment plus `extra_environment`
/// ("NAME=value" entries, which win), stdin from `input`'s file or else /dev/null.
child_outcome run_child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_environment,
                        std::chrono::milliseconds deadline, const std::optional<child_input>& input = std::nullopt);

}  // namespace keel::detail

#pragma once
// Running a program to completion with a deadline (pg_dump for a migration's backup): its output
// read, and the child killed when the deadline passes instead of waited for without end.
#include <chrono>
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

/// Runs argv[0] (searched in PATH) with the process environment plus `extra_environment`
/// ("NAME=value" entries, which win), stdin from /dev/null.
child_outcome run_child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_environment,
                        std::chrono::milliseconds deadline);

}  // namespace keel::detail

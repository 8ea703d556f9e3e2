#pragma once
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace keel {

/// Base of every exception keel throws on purpose.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A setting is missing or invalid. `problems()` names every bad setting; the message joins them.
/// Thrown at start-up only; the CLI prints it and exits non-zero.
class settings_error : public error {
public:
    explicit settings_error(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

private:
    std::vector<std::string> problems_;
};

/// Work was refused because a bounded queue was full (the password hasher's, …): the answer under
/// overload is "not now", not a longer wait. HTTP maps it to 503 with `Retry-After:
/// retry_after()` and the detail "Server busy, retry later"; the message, which names the queue,
/// goes to the log only.
class overloaded : public error {
public:
    overloaded(const std::string& what, std::chrono::seconds retry_after)
        : error(what), retry_after_(std::max(retry_after, std::chrono::seconds(1)))  // RFC 9110 10.2.3: whole seconds
    {
    }
    /// Whole seconds after which a retry is likely to be admitted; at least 1.
    std::chrono::seconds retry_after() const noexcept { return retry_after_; }

private:
    std::chrono::seconds retry_after_;
};

}  // namespace keel

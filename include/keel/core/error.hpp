#pragma once
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

}  // namespace keel

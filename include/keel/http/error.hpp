#pragma once
#include <string>
#include <utility>
#include <vector>

#include <keel/core/error.hpp>

namespace keel::http {

/// Throw from a handler or dependency to answer with `status` and `{"detail": detail}`,
/// like FastAPI's HTTPException: `throw http::error(404, "User not found")`.
class error : public keel::error {
public:
    error(int status, std::string detail, std::vector<std::pair<std::string, std::string>> headers = {})
        : keel::error(detail), status_(status), detail_(std::move(detail)), headers_(std::move(headers)) {}
    int status() const noexcept { return status_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::vector<std::pair<std::string, std::string>>& headers() const noexcept { return headers_; }

private:
    int status_;
    std::string detail_;
    std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace keel::http

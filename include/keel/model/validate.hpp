#pragma once
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <keel/core/error.hpp>

namespace keel::model {

/// One problem found while binding input, shaped like a FastAPI/pydantic error item:
/// loc ["body","username"], msg "String should have at least 3 characters", type "string_too_short".
/// The offending input is deliberately not echoed (it may be a password).
struct issue {
    boost::json::array loc;
    std::string msg;
    std::string type;
    boost::json::object ctx;
};

/// Input did not bind; becomes HTTP 422 `{"detail":[issue, ...]}`.
class validation_error : public keel::error {
public:
    explicit validation_error(std::vector<issue> issues);
    const std::vector<issue>& issues() const noexcept { return issues_; }
    /// The FastAPI body: {"detail":[{"type","loc","msg"[,"ctx"]}, ...]}.
    boost::json::value to_json() const;

private:
    std::vector<issue> issues_;
};

/// Where issues are collected while binding one request.
using issue_list = std::vector<issue>;

}  // namespace keel::model

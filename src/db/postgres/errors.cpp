#include <string>

#include <libpq-fe.h>

#include <keel/db/errors.hpp>

#include "db/postgres/connection.hpp"

namespace keel::db::postgres {

// The one place SQLSTATEs become keel's typed errors (PostgreSQL manual, appendix A).
void throw_result_error(const pg_result* res)
{
    auto field = [res](int code) {
        const char* v = PQresultErrorField(res, code);
        return std::string(v ? v : "");
    };
    const std::string state = field(PG_DIAG_SQLSTATE);
    const std::string constraint = field(PG_DIAG_CONSTRAINT_NAME);
    std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
    if (auto detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty())
        message += " (" + detail + ")";
    if (message.empty())
        message = PQresultErrorMessage(res);
    if (state == "23505")
        throw unique_violation(message, state, constraint);
    if (state == "23503")
        throw foreign_key_violation(message, state, constraint);
    if (state == "23502")
        throw not_null_violation(message, state, constraint);
    if (state == "23514")
        throw check_violation(message, state, constraint);
    if (state == "40001" || state == "40P01")
        throw serialization_failure(message, state);
    if (state == "55P03")
        throw lock_timeout(message, state);
    if (state == "57014")
        throw statement_timeout(message, state);
    // 08: connection exceptions; 57P01-03: the server is shutting down or starting
    if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03")
        throw connection_error(message, state);
    throw error(message, state, constraint);
}

}  // namespace keel::db::postgres

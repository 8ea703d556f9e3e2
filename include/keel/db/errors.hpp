#pragma once
#include <string>

#include <keel/core/error.hpp>

namespace keel::db {

/// Base of every database error. sqlstate() is the SQL standard code (PostgreSQL's, or the
/// equivalent a driver maps its own codes to); constraint() names the violated constraint when
/// the database says which (SQLite: "users.username").
class error : public keel::error {
public:
    explicit error(const std::string& message, std::string sqlstate = {}, std::string constraint = {})
        : keel::error(message), sqlstate_(std::move(sqlstate)), constraint_(std::move(constraint)) {}
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    const std::string& constraint() const noexcept { return constraint_; }

private:
    std::string sqlstate_;
    std::string constraint_;
};

#define KEEL_DB_ERROR(name)              \
    class name : public error {          \
    public:                              \
        using error::error;              \
    }

KEEL_DB_ERROR(unique_violation);        // 23505
KEEL_DB_ERROR(foreign_key_violation);   // 23503
KEEL_DB_ERROR(not_null_violation);      // 23502
KEEL_DB_ERROR(check_violation);         // 23514
KEEL_DB_ERROR(serialization_failure);   // 40001, 40P01: retry the whole transaction
KEEL_DB_ERROR(lock_timeout);            // 55P03; SQLite: still locked after busy_timeout (→ 503)
KEEL_DB_ERROR(statement_timeout);       // 57014: cancelled after statement_timeout (→ 503)
KEEL_DB_ERROR(connection_error);        // 08xxx, a closed pool, an unreachable server (→ 503)
KEEL_DB_ERROR(pool_timeout);            // no connection within pool_timeout (→ 503)
KEEL_DB_ERROR(no_result);               // one<T>() found no row
KEEL_DB_ERROR(decode_error);            // a column cannot be read as the requested C++ type

#undef KEEL_DB_ERROR

}  // namespace keel::db

#include <sqlite3.h>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include "db/sqlite/connection.hpp"

namespace keel::db::sqlite {

// The one place SQLite's result codes become keel's typed errors, with PostgreSQL's SQLSTATE
// for the same condition so that callers handle both backends alike.
void throw_error(sqlite3* db, int rc)
{
    const int code = db ? sqlite3_extended_errcode(db) : rc;
    const std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string constraint;
    if (auto at = message.find("failed: "); at != std::string::npos)
        constraint = message.substr(at + 8);  // "UNIQUE constraint failed: users.username"
    switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        throw unique_violation(message, "23505", constraint);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        throw foreign_key_violation(message, "23503", constraint);
    case SQLITE_CONSTRAINT_NOTNULL:
        throw not_null_violation(message, "23502", constraint);
    case SQLITE_CONSTRAINT_CHECK:
        throw check_violation(message, "23514", constraint);
    case SQLITE_BUSY_SNAPSHOT:
        throw serialization_failure(
            "the transaction read data that another transaction has since changed; retry it (" + message + ")", "40001");
    default:
        break;
    }
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw lock_timeout("the database stayed locked longer than busy_timeout (" + message + ")", "55P03");
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        throw connection_error(message, "08006");
    case SQLITE_CONSTRAINT:
        throw error(message, "23000", constraint);
    case SQLITE_INTERRUPT:  // its awaiting coroutine was cancelled: what any cancelled operation says
        throw boost::system::system_error(boost::asio::error::operation_aborted, "the statement was interrupted");
    default:
        throw error(message);
    }
}

}  // namespace keel::db::sqlite

#pragma once
// One sqlite3 handle. Used by one worker thread at a time (the pool hands it out to one session).
#include <atomic>
#include <chrono>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <keel/db/result.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace keel::db::sqlite {

class connection {
public:
    /// Opens `filename` (a path, or a file: URI for the shared in-memory database) and applies
    /// busy_timeout, foreign_keys=ON and, for files, WAL with synchronous=NORMAL. A statement
    /// run() runs longer than `statement_timeout` (0: no limit) ends with statement_timeout.
    connection(const std::string& filename, bool uri, std::chrono::milliseconds busy_timeout,
               std::chrono::milliseconds statement_timeout = {});
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// A statement without parameters or rows (BEGIN, COMMIT, ROLLBACK, PRAGMA …).
    void exec(const char* sql);
    /// Runs one statement with `$n` (or `?n`) parameters bound from `params` and reads every row.
    /// Past statement_timeout the statement ends with statement_timeout, and once `stop` is set
    /// (from any thread) with operation_aborted, as a cancelled operation does. Either way what it
    /// wrote is undone, and so is its transaction if it wrote.
    result run(std::string_view sql, const std::vector<value>& params, const std::atomic<bool>* stop = nullptr);
    /// Runs the statement only if it cannot write (sqlite3_stmt_readonly), first beginning a
    /// deferred transaction when `begin`; nullopt when the statement writes.
    std::optional<result> run_if_readonly(std::string_view sql, const std::vector<value>& params, bool begin,
                                          const std::atomic<bool>* stop = nullptr);
    /// True while a transaction is open on this handle (sqlite3_get_autocommit).
    bool in_transaction() const noexcept;
    /// The handle itself, for what takes the database whole (db/sqlite/file.hpp).
    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3_stmt* prepare(std::string_view sql);
    result step_all(sqlite3_stmt* stmt, const std::vector<value>& params, const std::atomic<bool>* stop);

    static constexpr std::size_t cache_capacity = 128;
    sqlite3* db_ = nullptr;
    std::chrono::milliseconds statement_timeout_;
    // Prepared statements by SQL text, least recently used at the back.
    std::list<std::pair<std::string, sqlite3_stmt*>> lru_;
    std::unordered_map<std::string_view, decltype(lru_)::iterator> cache_;
};

/// Turns a SQLite result code into the matching db::error subclass (see errors.cpp).
[[noreturn]] void throw_error(sqlite3* db, int rc);

}  // namespace keel::db::sqlite

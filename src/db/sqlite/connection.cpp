#include "db/sqlite/connection.hpp"

#include <charconv>
#include <cstring>

#include <sqlite3.h>

namespace keel::db::sqlite {

connection::connection(const std::string& filename, bool uri, std::chrono::milliseconds busy_timeout,
                       std::chrono::milliseconds statement_timeout)
    : statement_timeout_(statement_timeout)
{
    // NOMUTEX: a handle is never used by two threads at once; the pool hands it to one session.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (uri)
        flags |= SQLITE_OPEN_URI;
    const int rc = sqlite3_open_v2(filename.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw connection_error("cannot open SQLite database: " + message, "08001");
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    try {
        exec("PRAGMA foreign_keys=ON");
        if (!uri) {
            // WAL: readers never block the writer nor the writer readers; NORMAL is durable in WAL
            // except for the last transactions on power loss, the usual production choice.
            exec("PRAGMA journal_mode=WAL");
            exec("PRAGMA synchronous=NORMAL");
        }
    } catch (...) {
        sqlite3_close_v2(db_);
        throw;
    }
}

connection::~connection()
{
    for (auto& [sql, stmt] : lru_)
        sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
}

void connection::exec(const char* sql)
{
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK)
        throw_error(db_, rc);
}

bool connection::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

sqlite3_stmt* connection::prepare(std::string_view sql)
{
    if (auto it = cache_.find(sql); it != cache_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK)
        throw_error(db_, rc);
    if (!stmt)
        throw error("empty SQL statement");
    for (; tail && tail < sql.data() + sql.size(); ++tail)
        if (!std::strchr(" \t\r\n;", *tail)) {
            sqlite3_finalize(stmt);
            throw error("one SQL statement per call: found more after the first");
        }
    if (lru_.size() >= cache_capacity) {
        cache_.erase(lru_.back().first);
        sqlite3_finalize(lru_.back().second);
        lru_.pop_back();
    }
    lru_.emplace_front(std::string(sql), stmt);
    cache_.emplace(lru_.front().first, lru_.begin());
    return stmt;
}

namespace {

void bind(sqlite3* db, sqlite3_stmt* stmt, const std::vector<value>& params)
{
    const int count = sqlite3_bind_parameter_count(stmt);
    std::size_t highest = 0;
    for (int i = 1; i <= count; ++i) {
        // keel's placeholders are PostgreSQL's $n; SQLite reads them as named parameters "$n",
        // so the number in the name, not the position, picks the argument.
        std::size_t number = static_cast<std::size_t>(i);
        if (const char* name = sqlite3_bind_parameter_name(stmt, i)) {
            auto [end, ec] = std::from_chars(name + 1, name + std::strlen(name), number);
            if (ec != std::errc{} || *end != '\0' || number == 0)
                throw error(std::string("unsupported placeholder ") + name + ": use $1, $2, …");
        }
        if (number > params.size())
            throw error("the statement uses $" + std::to_string(number) + " but " + std::to_string(params.size()) +
                        " argument(s) were given");
        highest = std::max(highest, number);
        const value& v = params[number - 1];
        int rc = SQLITE_OK;
        if (std::holds_alternative<std::nullptr_t>(v))
            rc = sqlite3_bind_null(stmt, i);
        else if (const auto* b = std::get_if<bool>(&v))
            rc = sqlite3_bind_int64(stmt, i, *b ? 1 : 0);
        else if (const auto* n = std::get_if<std::int64_t>(&v))
            rc = sqlite3_bind_int64(stmt, i, *n);
        else if (const auto* d = std::get_if<double>(&v))
            rc = sqlite3_bind_double(stmt, i, *d);
        else if (const auto* s = std::get_if<std::string>(&v))
            rc = sqlite3_bind_text64(stmt, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
        else if (const auto* bl = std::get_if<blob>(&v))
            rc = sqlite3_bind_blob64(stmt, i, bl->data(), bl->size(), SQLITE_STATIC);
        else if (const auto* t = std::get_if<timestamp>(&v)) {
            auto text = format_iso8601(*t);
            rc = sqlite3_bind_text64(stmt, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        }
        if (rc != SQLITE_OK)
            throw_error(db, rc);
    }
    if (highest < params.size())
        throw error("the statement uses " + std::to_string(highest) + " parameter(s) but " +
                    std::to_string(params.size()) + " argument(s) were given");
}

value read_column(sqlite3_stmt* stmt, int i)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
        return static_cast<std::int64_t>(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT:
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
    case SQLITE_BLOB: {
        const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, i));
        return blob(data, data + sqlite3_column_bytes(stmt, i));
    }
    default:
        return nullptr;
    }
}

// Resets the statement on every exit so that it releases its read lock and bound buffers.
struct reset_on_exit {
    sqlite3_stmt* stmt;
    ~reset_on_exit()
    {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

// While it lives, the statement stepped on `db` ends with SQLITE_INTERRUPT once `stop` is set or
// `timeout` (if any) has passed. Checked every few thousand virtual machine steps, so a flag set
// before the statement started counts too (a sqlite3_interrupt then would be lost).
class statement_limit {
public:
    statement_limit(sqlite3* db, const std::atomic<bool>* stop, std::chrono::milliseconds timeout)
        : db_(stop || timeout.count() > 0 ? db : nullptr),
          stop_(stop),
          deadline_(timeout.count() > 0 ? std::chrono::steady_clock::now() + timeout : std::chrono::steady_clock::time_point::max())
    {
        if (db_)
            sqlite3_progress_handler(db_, steps_between_checks, &reached, this);
    }
    ~statement_limit()
    {
        if (db_)
            sqlite3_progress_handler(db_, 0, nullptr, nullptr);
    }
    statement_limit(const statement_limit&) = delete;
    statement_limit& operator=(const statement_limit&) = delete;

    /// True when the statement was ended for running past its timeout.
    bool timed_out() const noexcept { return timed_out_; }

private:
    static constexpr int steps_between_checks = 4096;
    static int reached(void* self)
    {
        auto& limit = *static_cast<statement_limit*>(self);
        if (limit.stop_ && limit.stop_->load(std::memory_order_relaxed))
            return 1;
        limit.timed_out_ = std::chrono::steady_clock::now() >= limit.deadline_;
        return limit.timed_out_ ? 1 : 0;
    }
    sqlite3* db_;
    const std::atomic<bool>* stop_;
    std::chrono::steady_clock::time_point deadline_;
    bool timed_out_ = false;
};

}  // namespace

result connection::step_all(sqlite3_stmt* stmt, const std::vector<value>& params, const std::atomic<bool>* stop)
{
    reset_on_exit guard{stmt};
    const statement_limit limit(db_, stop, statement_timeout_);
    bind(db_, stmt, params);
    const int columns = sqlite3_column_count(stmt);
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(columns));
    for (int i = 0; i < columns; ++i)
        names.emplace_back(sqlite3_column_name(stmt, i));
    std::vector<value> values;
    for (;;) {
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE)
            break;
        if (rc == SQLITE_INTERRUPT && limit.timed_out())
            throw statement_timeout("the statement ran longer than statement_timeout (" +
                                        std::to_string(statement_timeout_.count()) + " ms)",
                                    "57014");
        if (rc != SQLITE_ROW)
            throw_error(db_, rc);
        for (int i = 0; i < columns; ++i)
            values.push_back(read_column(stmt, i));
    }
    const std::int64_t affected = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(db_);
    return result(std::move(names), std::move(values), affected);
}

result connection::run(std::string_view sql, const std::vector<value>& params, const std::atomic<bool>* stop)
{
    return step_all(prepare(sql), params, stop);
}

std::optional<result> connection::run_if_readonly(std::string_view sql, const std::vector<value>& params, bool begin,
                                                  const std::atomic<bool>* stop)
{
    sqlite3_stmt* stmt = prepare(sql);
    if (!sqlite3_stmt_readonly(stmt))
        return std::nullopt;
    if (begin)
        exec("BEGIN");
    return step_all(stmt, params, stop);
}

}  // namespace keel::db::sqlite

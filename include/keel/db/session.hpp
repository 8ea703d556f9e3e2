#pragma once
#include <concepts>
#include <memory>
#include <exception>
#include <stdexcept>
#include <optional>
#include <string>
#include <type_traits>
#include <string_view>
#include <vector>

#include <keel/core/task.hpp>
#include <keel/db/result.hpp>
#include <keel/db/url.hpp>
#include <keel/db/value.hpp>

namespace keel::db {

namespace detail {
class session_impl;
}

/// The SQL text of a statement, kept by the lazy task that runs it: a string literal is referred
/// to (it lives as long as the program), any other text is copied, so a task made from a
/// temporary `std::string` and awaited later reads its own copy.
class sql_text {
public:
    template <std::size_t N>
    sql_text(const char (&literal)[N]) noexcept : view_(literal, N - 1) {}
    template <std::size_t N>
    sql_text(char (&)[N]) = delete;  // a writable array is not a literal: pass a std::string
    sql_text(std::string text) : owned_(std::move(text)), view_(owned_) {}
    sql_text(std::string_view text) : sql_text(std::string(text)) {}
    template <class Pointer>  // a template, so that a literal prefers the array overload
        requires std::same_as<Pointer, const char*> || std::same_as<Pointer, char*>
    sql_text(Pointer text) : sql_text(std::string(text)) {}
    sql_text(const sql_text& other) : owned_(other.owned_), view_(other.owns() ? std::string_view(owned_) : other.view_) {}
    sql_text(sql_text&& other) noexcept
        : owned_(std::move(other.owned_)), view_(other.owns() ? std::string_view(owned_) : other.view_) {}
    sql_text& operator=(sql_text other) noexcept
    {
        const bool owning = other.owns();
        owned_ = std::move(other.owned_);
        view_ = owning ? std::string_view(owned_) : other.view_;
        return *this;
    }

    std::string_view view() const noexcept { return view_; }
    /// The text as a string of its own: moved out when this owns it, copied from a literal.
    std::string take() && { return owns() ? std::move(owned_) : std::string(view_); }
    operator std::string_view() const noexcept { return view_; }

private:
    bool owns() const noexcept { return view_.data() == owned_.data(); }
    std::string owned_;
    std::string_view view_;
};

/// SQL isolation levels. SQLite runs every transaction serializable, whatever is asked.
enum class isolation { read_committed, repeatable_read, serializable };

/// How a session's transactions begin.
struct transaction_options {
    db::isolation isolation = db::isolation::read_committed;
    /// A statement that writes fails with SQLSTATE 25006 (on SQLite too).
    bool read_only = false;
    /// No transaction at all (SQLAlchemy's AUTOCOMMIT): each statement commits on its own and
    /// the connection goes back to the pool between statements, which saves BEGIN and COMMIT
    /// (two round trips on PostgreSQL) in handlers that read. Cannot be combined with read_only
    /// or a savepoint.
    bool autocommit = false;
};

/// How a batch that runs outside a transaction commits.
enum class batch_commit {
    /// Each statement commits or fails on its own; a failure touches only its entry.
    each,
    /// One implicit transaction: all the statements or none. After a failure the rest are not
    /// run (their entries say 25P02). One commit instead of one per statement.
    all_or_nothing,
};

/// One statement of a batch, its arguments bound.
struct statement {
    template <class... Args>
    explicit statement(std::string_view text, const Args&... args) : sql(text), params{to_value(args)...}
    {
    }
    std::string sql;
    std::vector<value> params;
};

/// What one statement of a batch gave: its rows, or the error it raised.
struct batch_entry {
    std::optional<result> rows;
    std::exception_ptr error;
    /// The rows, or rethrows the statement's error.
    const result& get() const
    {
        if (error)
            std::rethrow_exception(error);
        return *rows;
    }
};

/// A unit of work on one pooled connection, like a SQLAlchemy Session. Statements use PostgreSQL's
/// placeholders `$1, $2, …` on every backend, and every argument is a bound parameter.
/// The transaction begins with the first statement and ends with commit() or rollback(); a session
/// destroyed with its transaction open rolls it back (and logs that) before the connection returns
/// to the pool. A statement that fails aborts the transaction, on every backend: until it is
/// rolled back (or back to a savepoint), later statements and the commit fail with 25P02.
/// A session is used by one coroutine at a time.
class session {
public:
    explicit session(std::unique_ptr<detail::session_impl> impl);
    session(session&&) noexcept;
    session& operator=(session&&) noexcept;
    ~session();

    /// Runs one statement; throws a db::error subclass (unique_violation, …) on failure.
    /// The task owns the SQL text and the arguments: it may be awaited after they are gone.
    template <class... Args>
    task<result> execute(sql_text sql, const Args&... args)
    {
        return run(std::move(sql), std::vector<value>{to_value(args)...});
    }
    /// The single row as T; throws db::no_result when there is none.
    template <class T, class... Args>
    task<T> one(sql_text sql, const Args&... args)
    {
        return first_row<T>(run(std::move(sql), std::vector<value>{to_value(args)...}), true);
    }
    /// The first row as T, or nullopt when there is none.
    template <class T, class... Args>
    task<std::optional<T>> maybe(sql_text sql, const Args&... args)
    {
        return first_row_opt<T>(run(std::move(sql), std::vector<value>{to_value(args)...}));
    }
    /// Every row as T, in the order the database returned them.
    template <class T, class... Args>
    task<std::vector<T>> all(sql_text sql, const Args&... args)
    {
        return all_rows<T>(run(std::move(sql), std::vector<value>{to_value(args)...}));
    }

    /// Runs `work()` (a coroutine) inside a SAVEPOINT: if it throws, what it did is undone
    /// (ROLLBACK TO SAVEPOINT), the exception propagates and the enclosing transaction stays
    /// usable — the way to go on after an error, which otherwise aborts the transaction (25P02
    /// for every later statement and the commit, on every backend). Savepoints nest. An error that
    /// ends the whole transaction is the exception: SQLite rolls it all back when a write is
    /// interrupted (a timeout, a cancelled request), and then only a rollback ends it.
    template <class F>
    std::invoke_result_t<F&> savepoint(F work)
    {
        using R = task_value_t<std::invoke_result_t<F&>>;
        if (autocommit_)
            throw std::logic_error("savepoint() needs a transaction; this session is in autocommit mode");
        const std::string name = "keel_savepoint_" + std::to_string(++savepoints_);
        const std::string create = "SAVEPOINT " + name, release = "RELEASE SAVEPOINT " + name,
                          undo = "ROLLBACK TO SAVEPOINT " + name;
        co_await run(create, {});
        std::exception_ptr failure;
        try {
            if constexpr (std::is_void_v<R>) {
                co_await work();
                co_await run(release, {});
                co_return;
            } else {
                R out = co_await work();
                co_await run(release, {});
                co_return out;
            }
        } catch (...) {
            failure = std::current_exception();
        }
        // The work's error says why. When it ended the whole transaction (SQLite does after an
        // interrupted write), the undo fails too, with a 25P02 that would hide it; the session
        // goes on reporting that 25P02 until it is rolled back.
        try {
            co_await run(undo, {});
            co_await run(release, {});
        } catch (...) {
        }
        std::rethrow_exception(failure);
    }

    /// Sends every statement at once and returns one entry each, in order (PostgreSQL: pipeline
    /// mode, one round trip; SQLite: one after another on its worker). Outside a transaction
    /// they commit as `mode` says; inside one they join it, and a failure aborts it: the rest of
    /// them fail with 25P02 (on SQLite too).
    task<std::vector<batch_entry>> run_batch(std::vector<statement> statements, batch_commit mode = batch_commit::each);

    /// The same statement once for each argument, as one all-or-nothing batch: one row each,
    /// as T; the first error, if any, is thrown (db::no_result for a miss).
    template <class T, class Arg>
    task<std::vector<T>> one_each(std::string_view sql, const std::vector<Arg>& args)
    {
        std::vector<statement> statements;
        statements.reserve(args.size());
        for (const auto& arg : args)
            statements.emplace_back(sql, arg);
        return rows_of<T>(run_batch(std::move(statements), batch_commit::all_or_nothing));
    }

    task<result> run(sql_text sql, std::vector<value> params);
    /// Applies to the transactions this session begins from now on (not to one already open).
    /// Throws std::invalid_argument for autocommit with read_only, std::logic_error for
    /// autocommit while a transaction is open.
    void set_transaction_options(const transaction_options& options);
    /// Commits the open transaction, if any. Throws on failure (the transaction is then rolled back).
    task<void> commit();
    /// Rolls the open transaction back, if any.
    task<void> rollback();
    bool in_transaction() const noexcept;
    /// The database this session talks to (the dialect a built query renders for).
    backend kind() const noexcept;

private:
    static task<result> run_alone(detail::session_impl& impl, statement single);
    template <class T>
    static task<T> first_row(task<result> pending, bool)
    {
        auto rows = co_await std::move(pending);
        if (rows.empty())
            throw no_result("the statement returned no row");
        co_return rows[0].template as<T>();
    }
    template <class T>
    static task<std::optional<T>> first_row_opt(task<result> pending)
    {
        auto rows = co_await std::move(pending);
        if (rows.empty())
            co_return std::nullopt;
        co_return rows[0].template as<T>();
    }
    template <class T>
    static task<std::vector<T>> all_rows(task<result> pending)
    {
        auto rows = co_await std::move(pending);
        co_return std::move(rows).template rows_as<T>();
    }

    template <class T>
    static task<std::vector<T>> rows_of(task<std::vector<batch_entry>> pending)
    {
        auto entries = co_await std::move(pending);
        std::vector<T> out;
        out.reserve(entries.size());
        for (const auto& entry : entries) {
            const result& rows = entry.get();
            if (rows.empty())
                throw no_result("a statement of the batch returned no row");
            out.push_back(rows[0].template as<T>());
        }
        co_return out;
    }

    std::unique_ptr<detail::session_impl> impl_;
    std::size_t savepoints_ = 0;
    bool autocommit_ = false;
};

}  // namespace keel::db

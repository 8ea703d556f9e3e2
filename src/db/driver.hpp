#pragma once
// The interface every driver implements; the public db::pool and db::session forward to it.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <keel/core/task.hpp>
#include <keel/db/result.hpp>
#include <keel/db/session.hpp>
#include <keel/db/url.hpp>

namespace keel::db::detail {

/// The error of a batch's statement skipped after an earlier one failed (25P02).
std::exception_ptr not_run_error();
/// What a statement or a commit meets in a transaction that an earlier error ended (25P02).
[[noreturn]] void throw_aborted_transaction();

class session_impl {
public:
    virtual ~session_impl() = default;
    virtual task<result> run(sql_text sql, std::vector<value> params) = 0;
    virtual task<void> commit() = 0;
    virtual task<void> rollback() = 0;
    virtual bool in_transaction() const noexcept = 0;
    virtual void set_transaction_options(const transaction_options& options) = 0;
    /// The database this session talks to: the dialect a query renders for.
    virtual backend kind() const noexcept = 0;
    /// Default: one statement after another; outside a transaction each committed alone, or
    /// all in one transaction for batch_commit::all_or_nothing.
    virtual task<std::vector<batch_entry>> run_batch(std::vector<statement> statements, batch_commit mode);
};

class pool_impl {
public:
    virtual ~pool_impl() = default;
    virtual std::unique_ptr<session_impl> make_session() = 0;
    virtual void close() = 0;
    /// The cheapest statement that still proves the database answers.
    virtual std::string_view ping_sql() const noexcept = 0;
    virtual const url& database_url() const noexcept = 0;
    /// pool_timeout: how long a session waits for a connection.
    virtual std::chrono::milliseconds checkout_timeout() const noexcept = 0;
};

}  // namespace keel::db::detail

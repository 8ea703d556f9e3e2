#include <keel/db/session.hpp>

#include <stdexcept>

#include <keel/db/errors.hpp>

#include "db/driver.hpp"

namespace keel::db {

session::session(std::unique_ptr<detail::session_impl> impl) : impl_(std::move(impl)) {}
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;
session::~session() = default;

task<result> session::run(sql_text sql, std::vector<value> params)
{
    if (autocommit_)
    {
        statement single("");
        single.sql = std::move(sql).take();
        single.params = std::move(params);
        return run_alone(*impl_, std::move(single));
    }
    return impl_->run(std::move(sql), std::move(params));
}

// A batch of one outside a transaction is exactly "run it, commit it, give the connection back".
task<result> session::run_alone(detail::session_impl& impl, statement single)
{
    std::vector<statement> batch;
    batch.push_back(std::move(single));
    auto entries = co_await impl.run_batch(std::move(batch), batch_commit::each);
    auto& only = entries.front();
    if (only.error)
        std::rethrow_exception(only.error);
    co_return std::move(*only.rows);
}

task<std::vector<batch_entry>> session::run_batch(std::vector<statement> statements, batch_commit mode)
{
    return impl_->run_batch(std::move(statements), mode);
}

task<void> session::commit() { return impl_->commit(); }
task<void> session::rollback() { return impl_->rollback(); }
bool session::in_transaction() const noexcept { return impl_->in_transaction(); }
backend session::kind() const noexcept { return impl_->kind(); }
void session::set_transaction_options(const transaction_options& options)
{
    if (options.autocommit && options.read_only)
        throw std::invalid_argument("transaction_options: read_only needs a transaction and autocommit runs none");
    if (options.autocommit && impl_->in_transaction())
        throw std::logic_error("transaction_options: autocommit while a transaction is open; commit or roll back first");
    impl_->set_transaction_options(options);
    autocommit_ = options.autocommit;
}

namespace detail {

std::exception_ptr not_run_error()
{
    return std::make_exception_ptr(error("not run: an earlier statement of its transaction failed", "25P02"));
}

void throw_aborted_transaction()
{
    throw error("the transaction was aborted by an earlier error and has been rolled back", "25P02");
}

task<std::vector<batch_entry>> session_impl::run_batch(std::vector<statement> statements, batch_commit mode)
{
    const bool own_transactions = !in_transaction();
    const bool together = own_transactions && mode == batch_commit::all_or_nothing;
    std::vector<batch_entry> entries(statements.size());
    bool failed = false;
    for (std::size_t i = 0; i < statements.size(); ++i) {
        if (failed && together) {
            entries[i].error = not_run_error();
            continue;
        }
        try {
            entries[i].rows = co_await run(sql_text(std::string_view(statements[i].sql)), std::move(statements[i].params));
            if (own_transactions && !together)
                co_await commit();
        } catch (...) {
            entries[i].error = std::current_exception();
            failed = true;
        }
        if (entries[i].error && own_transactions && !together)
            co_await rollback();
    }
    if (together && failed)
        co_await rollback();
    else if (together)
        co_await commit();
    co_return entries;
}

}  // namespace detail
}  // namespace keel::db

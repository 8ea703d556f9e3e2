#include <keel/db/session.hpp>

#include <stdexcept>

#include "db/driver.hpp"

namespace keel::db {

session::session(std::unique_ptr<detail::session_impl> impl) : impl_(std::move(impl)) {}
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;
session::~session() = default;

task<result> session::run(std::string_view sql, std::vector<value> params)
{
    if (autocommit_)
    {
        statement single(sql);
        single.params = std::move(params);
        return run_alone(*impl_, std::move(single));
    }
    return impl_->run(sql, std::move(params));
}

// A batch of one outside a transaction is exactly "run it, commit it, give the connection back".
task<result> session::run_alone(detail::session_impl& impl, statement single)
{
    std::vector<statement> batch;
    batch.push_back(std::move(single));
    auto entries = co_await impl.run_batch(std::move(batch));
    auto& only = entries.front();
    if (only.error)
        std::rethrow_exception(only.error);
    co_return std::move(*only.rows);
}

task<std::vector<batch_entry>> session::run_batch(std::vector<statement> statements)
{
    return impl_->run_batch(std::move(statements));
}

task<void> session::commit() { return impl_->commit(); }
task<void> session::rollback() { return impl_->rollback(); }
bool session::in_transaction() const noexcept { return impl_->in_transaction(); }
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

task<std::vector<batch_entry>> session_impl::run_batch(std::vector<statement> statements)
{
    const bool own_transactions = !in_transaction();
    std::vector<batch_entry> entries(statements.size());
    for (std::size_t i = 0; i < statements.size(); ++i) {
        try {
            entries[i].rows = co_await run(statements[i].sql, std::move(statements[i].params));
            if (own_transactions)
                co_await commit();
        } catch (...) {
            entries[i].error = std::current_exception();
        }
        if (entries[i].error && own_transactions)
            co_await rollback();
    }
    co_return entries;
}

}  // namespace detail
}  // namespace keel::db

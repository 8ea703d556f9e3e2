#include <keel/db/session.hpp>

#include "db/driver.hpp"

namespace keel::db {

session::session(std::unique_ptr<detail::session_impl> impl) : impl_(std::move(impl)) {}
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;
session::~session() = default;

task<result> session::run(std::string_view sql, std::vector<value> params)
{
    return impl_->run(sql, std::move(params));
}

task<void> session::commit() { return impl_->commit(); }
task<void> session::rollback() { return impl_->rollback(); }
bool session::in_transaction() const noexcept { return impl_->in_transaction(); }
void session::set_transaction_options(const transaction_options& options) { impl_->set_transaction_options(options); }

}  // namespace keel::db

#include <keel/db/pool.hpp>

#include "db/driver.hpp"
#include "db/sqlite/pool.hpp"

namespace keel::db {

pool pool::open(const database_settings& settings)
{
    switch (settings.database_url.kind()) {
    case backend::sqlite:
        return pool(sqlite::open_pool(settings));
    case backend::postgresql:
        break;
    }
    throw connection_error("PostgreSQL is not supported by this build of keel yet (" +
                           settings.database_url.redacted() + "); use a sqlite:/// URL");
}

session pool::make_session() const { return session(impl_->make_session()); }

task<void> pool::ping() const
{
    auto probe = make_session();
    co_await probe.execute(impl_->ping_sql());
    co_await probe.rollback();
}

void pool::close() { impl_->close(); }
backend pool::kind() const noexcept { return impl_->database_url().kind(); }
std::string pool::describe() const { return impl_->database_url().redacted(); }

}  // namespace keel::db

#pragma once
// A database_test whose migrations run as keel runs them: on a pool of one connection
// (migrate::migration_pool_settings), beside the test's own pool.
#include <optional>

#include <keel/migrate/migrator.hpp>

#include "support/database_test.hpp"

namespace keel::testing {

class migration_test : public database_test {
protected:
    void TearDown() override
    {
        if (migration_pool_)
            migration_pool_->close();
        database_test::TearDown();
    }
    /// The migrator's pool (a private in-memory database has only the test's own).
    const db::pool& migration_pool()
    {
        if (settings_.database_url.in_memory())
            return *database_;
        if (!migration_pool_)
            migration_pool_.emplace(open_migration_pool());
        return *migration_pool_;
    }
    /// Another one, as a second process has.
    db::pool open_migration_pool() const { return db::pool::open(migrate::migration_pool_settings(settings_, {})); }

private:
    std::optional<db::pool> migration_pool_;
};

}  // namespace keel::testing

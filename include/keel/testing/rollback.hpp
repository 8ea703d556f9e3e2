#pragma once
// Test isolation by transactional rollback: one database per backend (and name) for the whole
// test program, prepared once; each test runs inside a db::testing::outer_transaction on it, so
// every test starts from the same data whatever the others committed, in any order.
#include <functional>
#include <string>

#include <keel/db/outer_transaction.hpp>
#include <keel/db/pool.hpp>

#include <keel/testing/databases.hpp>

namespace keel::testing {

/// A database shared by the tests of this program: its settings and its (real) pool.
struct shared_database {
    db::database_settings settings;
    db::pool pool;
};

/// The database `name` on backend `b`, made by fresh_database() and given to `prepare` (create
/// the schema there) on the first call; later calls return the same one. Thread-safe.
const shared_database& database_for(backend b, const std::string& name,
                                    const std::function<void(const db::pool&)>& prepare);

/// A test's view of a shared database: what it commits is seen by its later sessions and rolled
/// back when this object is destroyed. Destroy it after whatever uses pool() (a running app).
class rollback_database {
public:
    rollback_database(backend b, const std::string& name, const std::function<void(const db::pool&)>& prepare)
        : shared_(database_for(b, name, prepare)), outer_(shared_.pool)
    {
    }
    /// The shared database's settings (the URL and pool settings an app reads).
    const db::database_settings& settings() const noexcept { return shared_.settings; }
    /// The pool to give the code under test.
    db::pool pool() const { return outer_.pool(); }

private:
    const shared_database& shared_;
    db::testing::outer_transaction outer_;
};

}  // namespace keel::testing

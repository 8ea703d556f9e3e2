// The safe plan on PostgreSQL: what autogenerate writes for an index and a foreign key on a
// table of a million rows runs while a writer inserts, and no insert waits long for a lock;
// a statement kept waiting for a lock gives up and lets the queue through; statements outside
// the revision's transaction keep the migration lock across it.
#include <atomic>
#include <functional>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>
#include <keel/migrate/autogenerate.hpp>
#include <keel/migrate/lint.hpp>
#include <keel/migrate/migrator.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/postgres.hpp>

namespace safe_plan_models {

struct account {
    std::int64_t id = 0;
};
BOOST_DESCRIBE_STRUCT(account, (), (id))
inline keel::model::table_def keel_table(account*)
{
    using namespace keel::model;
    return table("accounts", column(&account::id).primary_key());
}

struct event {
    std::int64_t id = 0;
    std::int64_t account_id = 0;
    std::string kind;
    std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(event, (), (id, account_id, kind, note))
inline keel::model::table_def keel_table(event*)
{
    using namespace keel::model;
    return table("events", column(&event::id).primary_key().identity());
}

// The same table with an index, a foreign key and note made NOT NULL.
struct event_v2 {
    std::int64_t id = 0;
    std::int64_t account_id = 0;
    std::string kind;
    std::string note;
};
BOOST_DESCRIBE_STRUCT(event_v2, (), (id, account_id, kind, note))
inline keel::model::table_def keel_table(event_v2*)
{
    using namespace keel::model;
    return table("events", column(&event_v2::id).primary_key().identity(), column(&event_v2::account_id).references(&account::id),
                 index("ix_events_account", &event_v2::account_id));
}

}  // namespace safe_plan_models

namespace {

using namespace keel;
using namespace safe_plan_models;

constexpr const char* advisory_locks =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = "
    "current_database())";

class safe_plan_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        keel::testing::quiet_logs();
        settings_.database_url = db::url::parse(keel::testing::postgres_server::instance().create_database());
        settings_.pool_size = 1;
        pool_.emplace(db::pool::open(migrate::migration_pool_settings(settings_, {})));
    }
    void TearDown() override { pool_->close(); }

    migrate::generated_changes generate(const migrate::metadata& models)
    {
        return block_on([&]() -> task<migrate::generated_changes> {
            auto s = pool_->make_session();
            co_return co_await migrate::autogenerate(s, models);
        });
    }
    void add_revision(const std::vector<std::string>& upgrade, const std::vector<std::string>& downgrade)
    {
        migrate::revision r;
        r.id = "s" + std::to_string(revisions_.size() + 1);
        if (!revisions_.empty())
            r.parents = {revisions_.back().id};
        r.message = r.id;
        r.created = "2026-12-03T00:00:0" + std::to_string(revisions_.size());
        r.dialect = db::backend::postgresql;
        r.upgrade = upgrade;
        r.downgrade = downgrade;
        r.checksum = migrate::checksum_of(r.id);
        revisions_.push_back(std::move(r));
    }
    using lock_retry_callback = std::function<void(const std::string&, std::int64_t, std::chrono::milliseconds)>;
    std::size_t upgrade(const db::pool& pool, const migrate::migrate_settings& settings = {}, lock_retry_callback on_lock_retry = {})
    {
        const migrate::history h(revisions_);
        migrate::migrator m(pool, h, settings);
        m.on_lock_retry = std::move(on_lock_retry);
        return block_on([&] { return m.upgrade("head"); });
    }
    void run(const std::string& sql)  // outside a transaction (VACUUM runs only so)
    {
        block_on([&]() -> task<void> {
            auto s = pool_->make_session();
            s.set_transaction_options({.autocommit = true});
            co_await s.execute(sql);
        });
    }
    std::int64_t scalar(const std::string& sql)
    {
        return block_on([&]() -> task<std::int64_t> {
            auto s = pool_->make_session();
            const auto value = co_await s.one<std::int64_t>(sql);
            co_await s.rollback();
            co_return value;
        });
    }

    db::database_settings settings_;
    std::optional<db::pool> pool_;
    std::vector<migrate::revision> revisions_;
};

/// Inserts one row at a time, each in its own transaction, until `stop`; a lock it would wait
/// for longer than 2 s for fails the insert (lock_timeout), which it counts.
struct writer {
    std::atomic<bool> stop{false};
    std::latch started{1};
    std::int64_t inserted = 0, refused = 0;
    std::chrono::steady_clock::duration longest{};

    void run(const db::database_settings& settings)
    {
        auto pool = db::pool::open(settings);
        block_on([&]() -> task<void> {
            auto s = pool.make_session();
            s.set_transaction_options({.autocommit = true});
            co_await s.execute("SET lock_timeout = '2s'");
            for (std::int64_t i = 0; !stop; ++i) {
                const auto begun = std::chrono::steady_clock::now();
                try {
                    co_await s.execute("INSERT INTO events (account_id, kind, note) VALUES ($1, 'live', 'n')", 1 + i % 1000);
                    ++inserted;
                } catch (const db::lock_timeout&) {
                    ++refused;
                }
                longest = std::max(longest, std::chrono::steady_clock::now() - begun);
                if (i == 0)
                    started.count_down();
            }
        });
        pool.close();
    }
};

TEST_F(safe_plan_test, an_index_and_a_foreign_key_reach_a_million_rows_while_a_writer_inserts)
{
    const auto v1 = generate(migrate::metadata::of<account, event>());
    add_revision(v1.upgrade, v1.downgrade);
    ASSERT_EQ(upgrade(*pool_), 1u);
    run("INSERT INTO accounts (id) SELECT generate_series(1, 1000)");
    run("INSERT INTO events (account_id, kind, note) SELECT 1 + i % 1000, 'seed', 'n' FROM generate_series(1, 1000000) AS i");
    // Vacuumed now, so that no autovacuum of these inserts runs into the plan's statements (they
    // would wait for it to finish, retrying: MIGRATE_DDL_LOCK_TIMEOUT is below deadlock_timeout here).
    run("VACUUM ANALYZE events");

    const auto v2 = migrate::metadata::of<account, event_v2>();
    const auto changes = generate(v2);
    std::string upgrade_sql;
    for (const auto& s : changes.upgrade)
        upgrade_sql += s + ";\n";
    for (const char* safe : {"CREATE INDEX CONCURRENTLY \"ix_events_account\"", "FOREIGN KEY (\"account_id\") REFERENCES \"accounts\" "
                             "(\"id\") ON DELETE NO ACTION ON UPDATE NO ACTION NOT VALID",
                             "VALIDATE CONSTRAINT \"events_account_id_fkey\"", "CHECK (\"note\" IS NOT NULL) NOT VALID",
                             "ALTER COLUMN \"note\" SET NOT NULL"})
        EXPECT_NE(upgrade_sql.find(safe), std::string::npos) << safe << " in:\n" << upgrade_sql;
    add_revision(changes.upgrade, changes.downgrade);
    // lint, with the sizes the database reports: the generated plan holds no high risk; the
    // naive index is one.
    const auto rows = block_on([&]() -> task<migrate::table_rows> {
        auto s = pool_->make_session();
        auto out = co_await migrate::live_table_rows(s);
        co_await s.rollback();
        co_return out;
    });
    EXPECT_GE(rows.at("events"), 900'000);
    const auto high_risks = [&](const migrate::revision& r) {
        std::string out;
        for (const auto& f : migrate::lint({{&r, true}}, rows, {db::backend::postgresql, 100'000, &v2}))
            if (f.level == migrate::risk::high)
                out += migrate::describe(f) + "\n";
        return out;
    };
    EXPECT_EQ(high_risks(revisions_.back()), "");
    migrate::revision naive;
    naive.id = "naive";
    naive.upgrade = {"CREATE INDEX ix_events_account ON events (account_id)"};
    EXPECT_NE(high_risks(naive).find("(high, non-concurrent-index): CREATE INDEX without CONCURRENTLY"), std::string::npos);

    // A statement of the plan waiting for a lock holds the writer up for at most this long.
    migrate::migrate_settings quick_to_give_up;
    quick_to_give_up.migrate_ddl_lock_timeout = std::chrono::milliseconds(100);
    quick_to_give_up.migrate_ddl_lock_retries = 20;
    writer w;
    std::thread inserting([&] { w.run(settings_); });
    w.started.wait();
    std::size_t applied = 0;
    std::string failure;
    try {
        applied = upgrade(*pool_, quick_to_give_up);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    w.stop = true;
    inserting.join();
    const auto longest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(w.longest).count();
    std::printf("safe plan on 1,000,000 rows: %lld inserts while it ran, the longest %lld ms, %lld refused after 2 s waiting for a lock\n",
                static_cast<long long>(w.inserted), static_cast<long long>(longest_ms), static_cast<long long>(w.refused));
    ASSERT_EQ(failure, "");
    EXPECT_EQ(applied, 1u);
    EXPECT_EQ(w.refused, 0);
    EXPECT_GT(w.inserted, 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM events"), 1000000 + w.inserted);
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid"), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_constraint WHERE NOT convalidated"), 0);
    const auto after = block_on([&]() -> task<std::vector<std::string>> {
        auto s = pool_->make_session();
        co_return co_await migrate::differences(s, v2);
    });
    EXPECT_TRUE(after.empty()) << after.front();
}

// A revision with a statement outside its transaction holds the migration lock across its
// transactions: two upgrades at once still apply it once.
TEST_F(safe_plan_test, two_upgrades_of_a_revision_with_statements_outside_its_transaction_apply_it_once)
{
    add_revision({"CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT)", "INSERT INTO items VALUES (1, 'a')",
                  std::string(migrate::no_transaction_marker) + "\nCREATE INDEX CONCURRENTLY ix_items_name ON items (name)",
                  "INSERT INTO items VALUES (2, 'b')"},
                 {"DROP TABLE items"});
    auto second = db::pool::open(migrate::migration_pool_settings(settings_, {}));
    std::latch start(2);
    std::size_t applied[2] = {0, 0};
    std::string failures[2];
    const auto run_one = [&](int which, const db::pool& pool) {
        start.arrive_and_wait();
        try {
            applied[which] = upgrade(pool);
        } catch (const std::exception& e) {
            failures[which] = e.what();
        }
    };
    std::thread a(run_one, 0, std::cref(*pool_)), b(run_one, 1, std::cref(second));
    a.join();
    b.join();
    second.close();
    EXPECT_EQ(failures[0] + failures[1], "");
    EXPECT_EQ(applied[0] + applied[1], 1u);
    EXPECT_EQ(scalar("SELECT count(*) FROM items"), 2);
    EXPECT_EQ(scalar(advisory_locks), 0);  // given back
}

/// Holds ACCESS SHARE on `items` (a SELECT in an open transaction) from `holding` until `release`,
/// then commits; `meanwhile` runs on a second connection before the commit.
struct lock_holder {
    std::latch holding{1};
    std::string failure;

    void run(db::database_settings settings, std::latch& release, const std::function<task<void>(db::session&)>& meanwhile)
    {
        settings.pool_size = 2;
        auto pool = db::pool::open(settings);
        bool held = false;
        try {
            block_on([&]() -> task<void> {
                auto holder = pool.make_session();
                co_await holder.one<std::int64_t>("SELECT count(*) FROM items");
                held = true;
                holding.count_down();
                release.wait();
                auto other = pool.make_session();
                co_await other.execute("SET LOCAL lock_timeout = '60s'");  // a deadline, should the queue not move
                co_await meanwhile(other);
                co_await other.rollback();
                co_await holder.commit();
            });
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!held)  // the test goes on, and reports `failure`
            holding.count_down();
        pool.close();
    }
};

// A statement that waits longer than MIGRATE_DDL_LOCK_TIMEOUT for a lock gives up: its
// transaction is rolled back, the queries that queued behind it run, and it runs again.
TEST_F(safe_plan_test, a_statement_kept_waiting_for_a_lock_lets_the_queue_through_and_runs_again)
{
    add_revision({"CREATE TABLE items (id BIGINT PRIMARY KEY)"}, {"DROP TABLE items"});
    ASSERT_EQ(upgrade(*pool_), 1u);
    add_revision({"INSERT INTO items VALUES (1)", "ALTER TABLE items ADD COLUMN name TEXT"}, {"ALTER TABLE items DROP COLUMN name"});
    std::latch gave_up(1);
    std::int64_t read_meanwhile = -1;
    lock_holder other;
    std::thread holding([&] {
        other.run(settings_, gave_up, [&](db::session& s) -> task<void> { read_meanwhile = co_await s.one<std::int64_t>("SELECT count(*) FROM items"); });
    });
    other.holding.wait();
    migrate::migrate_settings settings;
    settings.migrate_ddl_lock_timeout = std::chrono::milliseconds(100);
    settings.migrate_ddl_lock_retries = 100;
    std::string retried;
    std::size_t applied = 0;
    std::string failure;
    try {
        applied = upgrade(*pool_, settings, [&](const std::string& sql, std::int64_t attempt, std::chrono::milliseconds) {
            if (attempt == 1) {
                retried = sql;
                gave_up.count_down();
            }
        });
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (retried.empty())  // it never gave up: the holder must not wait for that
        gave_up.count_down();
    holding.join();
    ASSERT_EQ(failure, "");
    EXPECT_EQ(other.failure, "");
    EXPECT_EQ(applied, 1u);
    EXPECT_EQ(retried, "ALTER TABLE items ADD COLUMN name TEXT");
    EXPECT_EQ(read_meanwhile, 0);  // read while the lock was still held: the queue moved
    EXPECT_EQ(scalar("SELECT count(*) FROM items"), 1);  // the first try's insert was rolled back
    EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'name'"), 1);
}

// Once MIGRATE_DDL_LOCK_RETRIES are spent the revision fails, rolled back whole.
TEST_F(safe_plan_test, a_statement_that_never_gets_its_lock_fails_after_its_retries_and_changes_nothing)
{
    add_revision({"CREATE TABLE items (id BIGINT PRIMARY KEY)"}, {"DROP TABLE items"});
    ASSERT_EQ(upgrade(*pool_), 1u);
    add_revision({"INSERT INTO items VALUES (1)", "ALTER TABLE items ADD COLUMN name TEXT"}, {"ALTER TABLE items DROP COLUMN name"});
    std::latch done(1);
    lock_holder other;
    std::thread holding([&] { other.run(settings_, done, [](db::session&) -> task<void> { co_return; }); });
    other.holding.wait();
    migrate::migrate_settings settings;
    settings.migrate_ddl_lock_timeout = std::chrono::milliseconds(50);
    settings.migrate_ddl_lock_retries = 2;
    std::int64_t retries = 0;
    std::string failure;
    try {
        upgrade(*pool_, settings, [&](const std::string&, std::int64_t attempt, std::chrono::milliseconds) { retries = attempt; });
    } catch (const std::exception& e) {
        failure = e.what();
    }
    done.count_down();
    holding.join();
    EXPECT_EQ(retries, 2);
    EXPECT_NE(failure.find("failed at statement 2 of 2"), std::string::npos) << failure;
    EXPECT_NE(failure.find("for a lock 3 time(s); MIGRATE_DDL_LOCK_RETRIES is 2"), std::string::npos) << failure;
    EXPECT_NE(failure.find("rolled back whole"), std::string::npos) << failure;
    EXPECT_EQ(scalar("SELECT count(*) FROM items"), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM keel_revisions"), 1);
}

// A failure after a statement outside the transaction says what stays applied.
TEST_F(safe_plan_test, a_failure_after_a_statement_outside_the_transaction_says_what_stays)
{
    add_revision({"CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT)",
                  std::string(migrate::no_transaction_marker) + "\nCREATE INDEX CONCURRENTLY ix_items_name ON items (name)",
                  "INSERT INTO missing VALUES (1)"},
                 {"DROP TABLE items"});
    std::string failure;
    try {
        upgrade(*pool_);
    } catch (const migrate::error& e) {
        failure = e.what();
    }
    EXPECT_NE(failure.find("failed at statement 3 of 3"), std::string::npos) << failure;
    EXPECT_NE(failure.find("stay applied; the version table does not record the revision"), std::string::npos) << failure;
    EXPECT_EQ(scalar("SELECT count(*) FROM keel_revisions"), 0);
    EXPECT_EQ(scalar(advisory_locks), 0);
}

}  // namespace

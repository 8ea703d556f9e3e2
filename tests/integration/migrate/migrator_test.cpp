// Running revisions on every backend: order, the version table, rollback of a failed revision,
// refusal of an edited one, stamp, and two migrations at once.
#include <chrono>
#include <fstream>
#include <future>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include <keel/migrate/backup.hpp>
#include <keel/migrate/migrator.hpp>
#include <keel/testing/postgres.hpp>
#include <keel/testing/process.hpp>

#include "integration/migrate/migration_test.hpp"
#include "support/test_directory.hpp"

namespace {

using namespace keel;
using keel::testing::database_test;
using strings = std::vector<std::string>;

migrate::revision rev(std::string id, strings parents, strings upgrade, strings downgrade)
{
    migrate::revision r;
    r.created = "2026-12-03T00:00:0" + std::to_string(std::stoi(id.substr(1)));  // r1, r2, …: oldest first
    r.id = std::move(id);
    r.parents = std::move(parents);
    r.message = "revision " + r.id;
    r.upgrade = std::move(upgrade);
    r.downgrade = std::move(downgrade);
    r.checksum = migrate::checksum_of(r.id + r.message);
    return r;
}

std::vector<migrate::revision> three_revisions()
{
    return {rev("r1", {}, {"CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL)", "CREATE TABLE log (what TEXT NOT NULL)",
                           "INSERT INTO log VALUES ('r1')"},
                {"DROP TABLE log", "DROP TABLE people"}),
            rev("r2", {"r1"}, {"ALTER TABLE people ADD COLUMN email TEXT", "INSERT INTO log VALUES ('r2')"},
                {"ALTER TABLE people DROP COLUMN email", "DELETE FROM log WHERE what = 'r2'"}),
            rev("r3", {"r2"}, {"CREATE INDEX people_email ON people (email)", "INSERT INTO log VALUES ('r3')"},
                {"DROP INDEX people_email", "DELETE FROM log WHERE what = 'r3'"})};
}

class migrator_test : public keel::testing::migration_test {
protected:
    std::size_t upgrade(const migrate::history& h, std::string_view target)
    {
        migrate::migrator m(migration_pool(), h);  // a coroutine member function: m outlives the run
        return block_on([&] { return m.upgrade(target); });
    }
    std::size_t downgrade(const migrate::history& h, std::string_view target)
    {
        migrate::migrator m(migration_pool(), h);  // a coroutine member function: m outlives the run
        return block_on([&] { return m.downgrade(target); });
    }
    migrate::applied_revisions applied(const migrate::history& h)
    {
        migrate::migrator m(migration_pool(), h);
        return block_on([&] { return m.applied(); });
    }
    bool table_exists(const std::string& name)
    {
        return scalar(postgres() ? "SELECT count(*) FROM pg_tables WHERE tablename = '" + name + "'"
                                 : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'") > 0;
    }
    std::string failure_of(auto&& attempt)
    {
        try {
            attempt();
        } catch (const migrate::error& e) {
            return e.what();
        }
        return "(no error)";
    }
};

TEST_P(migrator_test, upgrades_in_order_records_each_revision_and_downgrades_with_the_data_kept)
{
    const migrate::history h(three_revisions());
    EXPECT_TRUE(applied(h).empty());
    EXPECT_EQ(upgrade(h, "+1"), 1u);
    EXPECT_EQ(applied(h), (migrate::applied_revisions{{"r1", h.find("r1").checksum}}));
    run_all({"INSERT INTO people (id, name) VALUES (1, 'ada')"});
    EXPECT_EQ(upgrade(h, "head"), 2u);
    EXPECT_EQ(upgrade(h, "head"), 0u);  // nothing left
    EXPECT_EQ(applied(h).size(), 3u);
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 3);
    run_all({"UPDATE people SET email = 'ada@example.com' WHERE id = 1"});

    EXPECT_EQ(downgrade(h, "-1"), 1u);
    EXPECT_EQ(downgrade(h, "r1"), 1u);
    EXPECT_EQ(scalar("SELECT count(*) FROM people WHERE name = 'ada'"), 1);  // the row outlived its column
    EXPECT_EQ(applied(h).size(), 1u);
    EXPECT_EQ(upgrade(h, "head"), 2u);
    EXPECT_EQ(scalar("SELECT count(*) FROM people WHERE email IS NULL"), 1);
    EXPECT_EQ(downgrade(h, "base"), 3u);
    EXPECT_FALSE(table_exists("people"));
    EXPECT_TRUE(applied(h).empty());
}

TEST_P(migrator_test, a_statement_failing_inside_a_revision_undoes_the_whole_revision)
{
    auto revisions = three_revisions();
    revisions[1].upgrade = {"CREATE TABLE half (x INTEGER)", "INSERT INTO log VALUES ('r2')", "INSERT INTO nowhere VALUES (1)"};
    const migrate::history h(std::move(revisions));
    const auto message = failure_of([&] { upgrade(h, "head"); });
    EXPECT_NE(message.find("upgrade 2 of 3: r2"), std::string::npos) << message;
    EXPECT_NE(message.find("statement 3 of 3:\n  INSERT INTO nowhere VALUES (1)"), std::string::npos) << message;
    EXPECT_NE(message.find("rolled back whole"), std::string::npos) << message;
    EXPECT_FALSE(table_exists("half"));
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 1);  // r1's row only
    EXPECT_EQ(applied(h).size(), 1u);                  // r1 committed on its own, r2 not recorded
}

TEST_P(migrator_test, refuses_to_move_while_an_applied_revision_was_edited_or_is_missing)
{
    auto revisions = three_revisions();
    upgrade(migrate::history(revisions), "r1");
    revisions[0].checksum = migrate::checksum_of("edited");
    const migrate::history edited(revisions);
    const auto message = failure_of([&] { upgrade(edited, "head"); });
    EXPECT_NE(message.find("revision r1 was edited after it was applied"), std::string::npos) << message;
    EXPECT_NE(failure_of([&] { downgrade(edited, "base"); }).find("edited"), std::string::npos);
    EXPECT_EQ(applied(edited).size(), 1u);
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 1);

    const migrate::history other({rev("r9", {}, {}, {})});
    EXPECT_NE(failure_of([&] { upgrade(other, "head"); }).find("the database has revision r1, which is not in the migrations folder"),
              std::string::npos);
}

TEST_P(migrator_test, stamp_records_revisions_without_running_them)
{
    const migrate::history h(three_revisions());
    migrate::migrator m(migration_pool(), h);
    block_on([&] { return m.stamp("r2"); });
    EXPECT_EQ(applied(h).size(), 2u);
    EXPECT_FALSE(table_exists("people"));
    block_on([&] { return m.stamp("base"); });
    EXPECT_TRUE(applied(h).empty());
    EXPECT_NE(failure_of([&] { block_on([&] { return m.stamp("zz"); }); }).find("unknown revision"), std::string::npos);
}

// Two processes' worth of migrators, each with its own pool, run upgrade head at once.
TEST_P(migrator_test, two_upgrades_at_once_apply_each_revision_once)
{
    // Two migrations meet as two processes, each with its pool. A private in-memory database has
    // one pool, and two migrators sharing a pool is what the migrator refuses ("nothing else uses
    // it meanwhile"): on SQLite one's foreign-key pragma would reach the other's transaction.
    if (GetParam() == keel::testing::backend::sqlite_memory)
        GTEST_SKIP() << "an in-memory database cannot be opened by a second pool, as a second process would";
    const migrate::history h(three_revisions());
    auto second_pool = open_migration_pool();
    std::latch start(2);
    std::size_t applied_by[2] = {0, 0};
    std::string failures[2];
    const auto run = [&](int which, const db::pool& pool) {
        start.arrive_and_wait();
        try {
            migrate::migrator m(pool, h);
            applied_by[which] = block_on([&] { return m.upgrade("head"); });
        } catch (const std::exception& e) {
            failures[which] = e.what();
        }
    };
    std::thread a(run, 0, std::cref(migration_pool())), b(run, 1, std::cref(second_pool));
    a.join();
    b.join();
    second_pool.close();
    EXPECT_EQ(failures[0] + failures[1], "");
    EXPECT_EQ(applied_by[0] + applied_by[1], 3u);
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 3);
    EXPECT_EQ(scalar("SELECT count(DISTINCT what) FROM log"), 3);
}

// On PostgreSQL the second waits for the advisory lock while the first is inside revision 1, and
// then finds it applied.
TEST_P(migrator_test, a_second_upgrade_waits_for_the_migration_lock_and_skips_what_the_first_applied)
{
    if (!postgres())
        GTEST_SKIP() << "the wait for the advisory lock is visible in pg_locks only";
    const migrate::history h(three_revisions());
    auto second_pool = open_migration_pool();
    std::latch first_inside(1), second_waits(1);
    std::size_t applied_by_first = 0, applied_by_second = 0;
    std::thread first([&] {
        migrate::migrator m(migration_pool(), h);
        m.on_step = [&](const migrate::progress& p) {
            if (p.number == 1) {
                first_inside.count_down();
                second_waits.wait();
            }
        };
        applied_by_first = block_on([&] { return m.upgrade("head"); });
    });
    first_inside.wait();
    std::latch second_found_it_busy(1);
    std::once_flag once;  // it may find the lock busy again at a later revision
    std::thread second([&] {
        migrate::migrator m(second_pool, h);
        m.on_lock_wait = [&] { std::call_once(once, [&] { second_found_it_busy.count_down(); }); };
        applied_by_second = block_on([&] { return m.upgrade("head"); });
    });
    second_found_it_busy.wait();
    second_waits.count_down();
    first.join();
    second.join();
    second_pool.close();
    EXPECT_EQ(applied_by_first + applied_by_second, 3u);
    EXPECT_GE(applied_by_first, 1u);
    EXPECT_EQ(scalar("SELECT count(*) FROM log"), 3);
}

// The backup an upgrade takes first: a copy that holds the data as it was, refused loudly when it
// cannot be taken.
TEST_P(migrator_test, an_upgrade_takes_a_backup_before_it_changes_anything)
{
    keel::testing::test_directory dir("keel-backup");
    migrate::migrate_settings settings;
    settings.migrate_backup_dir = (dir.path() / "backups").string();
    settings.migrate_pg_dump = "pg_dump";
    const migrate::history h(three_revisions());
    upgrade(h, "r1");
    run_all({"INSERT INTO people (id, name) VALUES (1, 'ada')"});

    std::optional<std::filesystem::path> taken;
    migrate::migrator m(migration_pool(), h, settings);
    m.before_changes = [&](const std::vector<migrate::step>& plan) -> task<void> {
        EXPECT_EQ(plan.size(), 2u);
        taken = co_await migrate::take_backup(*database_, settings_, settings, "before-" + plan.front().target->id);
    };
    EXPECT_EQ(block_on([&] { return m.upgrade("head"); }), 2u);
    if (GetParam() == keel::testing::backend::sqlite_memory) {
        EXPECT_FALSE(taken);  // nothing to copy to
        return;
    }
    ASSERT_TRUE(taken);
    EXPECT_TRUE(std::filesystem::exists(*taken)) << taken->string();
    EXPECT_NE(taken->filename().string().find("-before-r2."), std::string::npos) << taken->string();

    // The copy holds the data and the schema before the upgrade.
    auto restored_settings = settings_;
    if (postgres()) {
        restored_settings.database_url = db::url::parse(keel::testing::postgres_server::instance().create_database());
        const auto& url = restored_settings.database_url;
        const auto restore = keel::testing::run({"/usr/bin/pg_restore", "--no-owner", "--dbname=" + url.database(), taken->string()},
                                                {"PGHOST=" + url.host(), "PGPORT=" + std::to_string(*url.port()), "PGUSER=" + url.user(),
                                                 "PGPASSWORD=" + url.password(), "PATH=/usr/bin:/bin"},
                                                dir.path());
        ASSERT_EQ(restore.code, 0) << restore.output;
    } else {
        restored_settings.database_url = db::url::parse("sqlite:///" + taken->string());
    }
    auto restored = db::pool::open(restored_settings);
    const auto names = block_on([&]() -> task<std::vector<std::string>> {
        auto s = restored.make_session();
        auto rows = co_await s.all<std::string>("SELECT name FROM people");
        co_await s.rollback();
        co_return rows;
    });
    EXPECT_EQ(names, std::vector<std::string>{"ada"});
    migrate::migrator before(restored, h);
    EXPECT_EQ(block_on([&] { return before.applied(); }).size(), 1u);  // r1 only: taken before r2
    restored.close();

    settings.migrate_pg_dump = "/nonexistent/pg_dump";
    const auto refused = failure_of([&] { block_on([&] { return migrate::take_backup(*database_, settings_, settings, "x"); }); });
    if (postgres()) {
        EXPECT_NE(refused.find("backup: /nonexistent/pg_dump failed"), std::string::npos) << refused;
    }
    settings.migrate_backup = false;
    EXPECT_FALSE(block_on([&] { return migrate::take_backup(*database_, settings_, settings, "y"); }));
}

TEST_P(migrator_test, a_backup_that_fails_stops_the_upgrade_before_anything_runs)
{
    if (GetParam() == keel::testing::backend::sqlite_memory)
        GTEST_SKIP() << "an in-memory database has no backup to fail";
    keel::testing::test_directory dir("keel-backup");
    std::ofstream(dir.path() / "a-file") << "not a folder";
    migrate::migrate_settings settings;
    settings.migrate_backup_dir = (dir.path() / "a-file" / "backups").string();  // cannot be made
    settings.migrate_pg_dump = "/nonexistent/pg_dump";
    const migrate::history h(three_revisions());
    migrate::migrator m(migration_pool(), h, settings);
    m.before_changes = [&](const std::vector<migrate::step>& plan) -> task<void> {
        co_await migrate::take_backup(*database_, settings_, settings, "before-" + plan.front().target->id);
    };
    const auto message = failure_of([&] { block_on([&] { return m.upgrade("head"); }); });
    EXPECT_NE(message.find("backup: "), std::string::npos) << message;
    EXPECT_TRUE(applied(h).empty());
    EXPECT_FALSE(table_exists("people"));
}

// A SQLite table rebuild copies its rows in slices and says how many it has copied; a table
// without usable rowids is copied whole. Either way every row arrives.
TEST_P(migrator_test, a_sqlite_rebuild_reports_the_rows_it_has_copied)
{
    if (postgres())
        GTEST_SKIP() << "SQLite rebuilds tables; PostgreSQL alters them";
    run_all({"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 49998) INSERT INTO t SELECT i * 3, 'row ' || i FROM n",
             "INSERT INTO t VALUES (-9223372036854775808, 'lowest'), (9223372036854775807, 'highest')",  // rowids at both ends
             "CREATE TABLE w (code TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID", "INSERT INTO w VALUES ('a', 1), ('b', 2)"});
    const auto rebuild = [](const std::string& table, const std::string& create, const std::string& columns) {
        return strings{"CREATE TABLE \"_keel_rebuild_" + table + "\" " + create,
                       "INSERT INTO \"_keel_rebuild_" + table + "\" (" + columns + ") SELECT " + columns + " FROM \"" + table + "\"",
                       "DROP TABLE \"" + table + "\"", "ALTER TABLE \"_keel_rebuild_" + table + "\" RENAME TO \"" + table + "\""};
    };
    auto upgrade = rebuild("t", "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT DEFAULT 'x')", "\"id\", \"name\"");
    for (auto& sql : rebuild("w", "(code TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID", "\"code\", \"n\""))
        upgrade.push_back(sql);
    const migrate::history h({rev("r1", {}, upgrade, {})});
    std::vector<migrate::statement_progress> seen;
    migrate::migrator m(migration_pool(), h);
    m.on_statement_progress = [&](const migrate::statement_progress& p) { seen.push_back(p); };
    EXPECT_EQ(block_on([&] { return m.upgrade("head"); }), 1u);

    ASSERT_EQ(seen.size(), 6u);  // t: 0, then 3 slices of at most 20,000; w: 0, then all
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(seen[i].phase, "copying rows");
        EXPECT_EQ(seen[i].unit, "rows");
        EXPECT_EQ(seen[i].total, 50'000u);
    }
    EXPECT_EQ(seen[0].done, 0u);
    EXPECT_EQ(seen[1].done, 20'000u);
    EXPECT_EQ(seen[3].done, 50'000u);
    EXPECT_EQ(seen[5].done, 2u);
    EXPECT_EQ(seen[5].total, 2u);
    EXPECT_EQ(scalar("SELECT count(*) FROM t"), 50'000);
    EXPECT_EQ(scalar("SELECT sum(id) FROM t WHERE id BETWEEN 0 AND 1000000"), 3 * 49'998LL * 49'999 / 2);
    EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE name IN ('lowest', 'highest')"), 2);
    EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE note = 'x'"), 50'000);
    EXPECT_EQ(scalar("SELECT sum(n) FROM w"), 3);
}

// PostgreSQL: an index build is read from a second connection while it runs. A writer's open
// transaction holds CREATE INDEX CONCURRENTLY in its first wait until the test has seen that phase.
TEST_P(migrator_test, a_postgres_index_build_reports_its_phase_read_on_a_second_connection)
{
    if (!postgres())
        GTEST_SKIP() << "pg_stat_progress_create_index is PostgreSQL's";
    run_all({"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
             "INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 1000) AS i"});
    std::latch writing{1};
    std::promise<void> release;
    std::thread writer([&] {
        block_on([&]() -> task<void> {
            auto session = database_->make_session();
            co_await session.execute("INSERT INTO t VALUES (5000, 'late')");
            writing.count_down();
            // A deadline, not a pause: without the phase seen, the build still ends and the test fails.
            release.get_future().wait_for(std::chrono::minutes(2));
            co_await session.commit();
        });
    });
    writing.wait();
    const migrate::history h({rev("r1", {}, {"-- keel: no-transaction\nCREATE INDEX CONCURRENTLY t_name ON t (name)"},
                                  {"DROP INDEX t_name"})});
    auto reader = open_migration_pool();
    std::vector<migrate::statement_progress> seen;
    bool released = false;
    migrate::migrator m(migration_pool(), h);
    m.progress_reader = &reader;
    m.on_statement_progress = [&](const migrate::statement_progress& p) {
        seen.push_back(p);
        if (!released && p.phase.starts_with("waiting for writers")) {
            released = true;
            release.set_value();
        }
    };
    EXPECT_EQ(block_on([&] { return m.upgrade("head"); }), 1u);
    writer.join();
    reader.close();
    EXPECT_TRUE(released);
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.front().phase, "waiting for writers before build");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_name'"), 1);
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(migrator_test);

}  // namespace

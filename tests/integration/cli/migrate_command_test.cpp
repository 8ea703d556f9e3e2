// `migrate …` as users run it: the keel tool and the users service, on SQLite and PostgreSQL.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/session.hpp>
#include <keel/testing/postgres.hpp>
#include <keel/testing/process.hpp>

#include "service.hpp"
#include "support/test_directory.hpp"

namespace {

namespace fs = std::filesystem;
using namespace keel::testing;

enum class database { sqlite, postgres };

class migrate_command : public ::testing::TestWithParam<database> {
protected:
    void SetUp() override
    {
        dir_ = fresh_test_directory("keel-migrate");
        url_ = GetParam() == database::sqlite ? "sqlite:///" + (dir_ / "app.db").string() : postgres_server::instance().create_database();
    }
    void TearDown() override { fs::remove_all(dir_); }

    finished keel(std::vector<std::string> args, const char* binary = KEEL_BIN, std::vector<std::string> env = {})
    {
        return run(migrate_argv(std::move(args), binary), with_database(std::move(env)), dir_);
    }
    /// The keel tool on a terminal where `typed` was typed: what a person answers a prompt with.
    finished keel_on_terminal(std::vector<std::string> args, std::string_view typed)
    {
        return run_on_terminal(migrate_argv(std::move(args), KEEL_BIN), with_database(pg_dump_), dir_, typed);
    }
    static std::vector<std::string> migrate_argv(std::vector<std::string> args, const char* binary)
    {
        args.insert(args.begin(), {binary, "migrate"});
        return args;
    }
    std::vector<std::string> with_database(std::vector<std::string> env) const
    {
        env.insert(env.end(), {"DATABASE_URL=" + url_, "PASSWORD_HASH_COST=minimum"});
        return env;
    }
    /// Writes a new revision with `upgrade` and `downgrade` as its SQL, in both dialects; returns its id.
    std::string revision(const std::string& message, const std::string& upgrade, const std::string& downgrade)
    {
        const auto r = keel({"revision", "-m", message});
        EXPECT_EQ(r.code, 0) << r.output;
        std::smatch m;
        EXPECT_TRUE(std::regex_search(r.output, m, std::regex("_([0-9a-f]{12})_")));
        for (const auto& entry : fs::directory_iterator(dir_ / "migrations"))
            if (entry.path().string().find(m[1].str()) != std::string::npos)
                fill(entry.path(), upgrade, downgrade);
        return m[1];
    }
    static void fill(const fs::path& file, const std::string& upgrade, const std::string& downgrade)
    {
        std::stringstream text;
        text << std::ifstream(file).rdbuf();
        std::string s = text.str();
        s.replace(s.find("-- upgrade\n"), 11, "-- upgrade\n" + upgrade + "\n");
        s.replace(s.find("-- downgrade\n"), 13, "-- downgrade\n" + downgrade + "\n");
        std::ofstream(file) << s;
    }
    /// Rewrites the parents line of revision `id`'s files (a branch, as two developers make one).
    void set_parents(const std::string& id, const std::string& parents)
    {
        for (const auto& entry : fs::directory_iterator(dir_ / "migrations"))
            if (entry.path().string().find(id) != std::string::npos) {
                std::stringstream text;
                text << std::ifstream(entry.path()).rdbuf();
                std::ofstream(entry.path()) << std::regex_replace(text.str(), std::regex("-- parents:[^\n]*"), "-- parents: " + parents);
            }
    }

    keel::db::pool pool() const
    {
        keel::db::database_settings settings;
        settings.database_url = keel::db::url::parse(url_);
        return keel::db::pool::open(settings);
    }
    void execute(const std::string& sql)
    {
        auto database = pool();
        keel::block_on([&]() -> keel::task<void> {
            auto session = database.make_session();
            for (std::size_t start = 0, end; start < sql.size(); start = end + 2)  // "; " between statements
                co_await session.execute(sql.substr(start, (end = std::min(sql.find("; ", start), sql.size())) - start));
            co_await session.commit();
        });
        database.close();
    }
    std::int64_t count(const std::string& sql)
    {
        auto database = pool();
        const auto n = keel::block_on([&]() -> keel::task<std::int64_t> {
            auto session = database.make_session();
            const auto value = co_await session.one<std::int64_t>(sql);
            co_await session.rollback();
            co_return value;
        });
        database.close();
        return n;
    }
    /// people (ada), then pets with a view and bob, upgraded with a backup between them: the first
    /// revision and that backup (relative to dir_).
    std::pair<std::string, std::string> backed_up_before_pets()
    {
        EXPECT_EQ(keel({"init"}).code, 0);
        const auto first = revision("people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                                              "INSERT INTO people (id, name) VALUES (1, 'ada');",
                                    "DROP TABLE people;");
        EXPECT_EQ(keel({"upgrade"}).code, 0);
        revision("pets", "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES people (id));\n"
                         "CREATE VIEW pet_owners AS SELECT people.name FROM pets JOIN people ON people.id = pets.owner;\n"
                         "INSERT INTO people (id, name) VALUES (2, 'bob');",
                 "DROP VIEW pet_owners;\nDROP TABLE pets;\nDELETE FROM people WHERE id = 2;");
        const auto upgrade = keel({"upgrade"}, KEEL_BIN, pg_dump_);
        EXPECT_EQ(upgrade.code, 0) << upgrade.output;
        std::smatch taken;
        EXPECT_TRUE(std::regex_search(upgrade.output, taken, std::regex("before the change: (backups/[^ \n]+)"))) << upgrade.output;
        return {first, taken[1]};
    }

    const std::vector<std::string> pg_dump_{"MIGRATE_PG_DUMP=pg_dump"};
    fs::path dir_;
    std::string url_;
};

bool has(const finished& r, const std::string& text) { return r.output.find(text) != std::string::npos; }

TEST_P(migrate_command, init_revision_upgrade_current_history_downgrade)
{
    auto init = keel({"init"});
    ASSERT_EQ(init.code, 0) << init.output;
    EXPECT_TRUE(fs::exists(dir_ / "migrations" / "README.md"));
    EXPECT_EQ(keel({"init"}).code, 1);  // never over a folder with files

    const auto first = revision("create people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
                                "DROP TABLE people;");
    const auto second = revision("add email", "ALTER TABLE people ADD COLUMN email TEXT;", "ALTER TABLE people DROP COLUMN email;");
    auto history = keel({"history"});
    EXPECT_EQ(history.output, first + " -> " + second + " (head), add email\n<base> -> " + first + ", create people\n");

    auto offline = keel({"upgrade", "--sql"});
    EXPECT_EQ(offline.code, 0) << offline.output;
    EXPECT_TRUE(has(offline, "ALTER TABLE people ADD COLUMN email TEXT;\nINSERT INTO keel_revisions")) << offline.output;
    EXPECT_TRUE(has(keel({"current"}), "<base>: no revision applied"));  // --sql ran nothing

    auto upgrade = keel({"upgrade"});
    EXPECT_EQ(upgrade.code, 0) << upgrade.output;
    EXPECT_TRUE(has(upgrade, "no backup before the change: the database has no tables yet")) << upgrade.output;
    EXPECT_TRUE(has(upgrade, "[1/2] upgrade " + first + " create people\n[2/2] upgrade " + second + " add email\napplied 2"))
        << upgrade.output;
    EXPECT_EQ(keel({"current"}).output, second + " add email (head)\n");
    EXPECT_TRUE(has(keel({"upgrade", "head"}), "applied 0 revision(s)"));

    auto down = keel({"downgrade", "-1"}, USERS_SERVICE_BIN);  // every keel application has the commands
    EXPECT_EQ(down.code, 0) << down.output;
    if (GetParam() == database::sqlite) {  // PostgreSQL's needs MIGRATE_PG_DUMP (migrator_test)
        std::smatch backup;
        ASSERT_TRUE(std::regex_search(down.output, backup, std::regex("backup of the database before the change: (backups/app-[0-9TZ]+-[0-9]+-before-" + second + "\\.db)")))
            << down.output;
        EXPECT_TRUE(fs::exists(dir_ / backup[1].str()));
    } else {
        EXPECT_TRUE(has(down, "set MIGRATE_PG_DUMP=pg_dump")) << down.output;
    }
    EXPECT_EQ(keel({"current"}).output, first + " create people\n");
    EXPECT_EQ(keel({"downgrade", "base"}).code, 0);
    EXPECT_TRUE(has(keel({"current"}), "<base>"));
}

TEST_P(migrate_command, progress_is_a_bar_on_request_and_lines_otherwise)
{
    ASSERT_EQ(keel({"init"}).code, 0);
    const auto first = revision("create people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
                                "DROP TABLE people;");
    auto lines = keel({"upgrade"});  // not a terminal: lines
    ASSERT_EQ(lines.code, 0) << lines.output;
    EXPECT_TRUE(has(lines, "[1/1] upgrade " + first + " create people\napplied 1")) << lines.output;
    EXPECT_FALSE(has(lines, "\r")) << lines.output;

    const auto second = revision("add email", "ALTER TABLE people ADD COLUMN email TEXT;", "ALTER TABLE people DROP COLUMN email;");
    auto bar = run({KEEL_BIN, "migrate", "upgrade", "--progress", "bar"}, {"DATABASE_URL=" + url_, "COLUMNS=200"}, dir_);
    ASSERT_EQ(bar.code, 0) << bar.output;
    EXPECT_TRUE(has(bar, "\r[1/1] upgrade " + second + " add email\033[K\n")) << bar.output;  // a line above the bar
    EXPECT_TRUE(has(bar, "\rupgrade [--------------------] 1/1 " + second + " add email · statement 1 of 1: ALTER TABLE"))
        << bar.output;
    EXPECT_TRUE(has(bar, "\r\033[Kapplied 1 revision(s)")) << bar.output;  // the bar cleared before the summary

    auto down = keel({"downgrade", "-1", "--progress", "lines"});
    ASSERT_EQ(down.code, 0) << down.output;
    if (GetParam() == database::sqlite) {  // PostgreSQL backs up only with MIGRATE_PG_DUMP (migrator_test)
        EXPECT_TRUE(std::regex_search(down.output, std::regex("backup: writing backups/app-[^ ]+-before-" + second + "\\.db\n")))
            << down.output;
        EXPECT_TRUE(std::regex_search(down.output, std::regex("backup: backups/app-[^ ]+\\.db, [0-9]+ KiB in [0-9.]+s\n")))
            << down.output;
    }
    // A rebuilt table's copy says how many rows it has copied (SQLite; PostgreSQL alters in place).
    revision("rebuild people", "INSERT INTO people (id, name) VALUES (1, 'ada'), (2, 'bob');\n"
                               "CREATE TABLE \"_keel_rebuild_people\" (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                               "INSERT INTO \"_keel_rebuild_people\" (\"id\", \"name\") SELECT \"id\", \"name\" FROM \"people\";\n"
                               "DROP TABLE \"people\";\nALTER TABLE \"_keel_rebuild_people\" RENAME TO \"people\";",
             "SELECT 1;");
    auto rebuilt = keel({"upgrade", "--progress", "lines"});
    ASSERT_EQ(rebuilt.code, 0) << rebuilt.output;
    if (GetParam() == database::sqlite) {
        EXPECT_TRUE(std::regex_search(rebuilt.output, std::regex("      statement 3 of 5: INSERT INTO \"_keel_rebuild_people\"[^\n]*\n"
                                                                 "      copying rows: 0 of 2 rows \\([0-9.]+s\\)\n"
                                                                 "      copying rows: 2 of 2 rows \\([0-9.]+s\\)\n")))
            << rebuilt.output;
    }

    auto refused = keel({"upgrade", "--progress", "sideways"});
    EXPECT_NE(refused.code, 0);
    EXPECT_TRUE(has(refused, "--progress")) << refused.output;
}

TEST_P(migrate_command, bad_input_gets_a_message_and_a_non_zero_exit_and_changes_nothing)
{
    ASSERT_EQ(keel({"init"}).code, 0);
    const auto first = revision("create people", "CREATE TABLE people (id INTEGER PRIMARY KEY);", "DROP TABLE people;");
    ASSERT_EQ(keel({"upgrade"}).code, 0);

    auto unknown = keel({"upgrade", "feedbeef"});
    EXPECT_EQ(unknown.code, 1);
    EXPECT_TRUE(has(unknown, "unknown revision 'feedbeef'")) << unknown.output;
    EXPECT_NE(keel({"downgrade"}).code, 0);  // CLI11: the target is required
    auto zero = keel({"downgrade", "-0"});
    EXPECT_EQ(zero.code, 1);
    EXPECT_TRUE(has(zero, "'0' is not a step count")) << zero.output;

    // A statement failing in the middle: the revision is undone whole.
    const auto failing = revision("half", "CREATE TABLE half (x INTEGER);\nINSERT INTO nowhere VALUES (1);", "DROP TABLE half;");
    auto failed = keel({"upgrade"});
    EXPECT_EQ(failed.code, 1);
    EXPECT_TRUE(has(failed, "statement 2 of 2")) << failed.output;
    EXPECT_TRUE(has(failed, "rolled back whole")) << failed.output;
    EXPECT_EQ(keel({"current"}).output, first + " create people\n");

    // Two heads: refused until merged.
    for (const auto& entry : fs::directory_iterator(dir_ / "migrations"))
        if (entry.path().string().find(failing) != std::string::npos)
            fs::remove(entry.path());
    revision("left", "CREATE TABLE l (x INTEGER);", "DROP TABLE l;");
    set_parents(revision("right", "CREATE TABLE r (x INTEGER);", "DROP TABLE r;"), first);
    auto two = keel({"upgrade"});
    EXPECT_EQ(two.code, 1);
    EXPECT_TRUE(has(two, "2 heads")) << two.output;
    EXPECT_TRUE(has(keel({"revision", "-m", "more"}), "join them with `migrate merge` first"));
    auto merged = keel({"merge", "-m", "join"});
    EXPECT_EQ(merged.code, 0) << merged.output;
    auto up = keel({"upgrade"});
    EXPECT_EQ(up.code, 0) << up.output;
    EXPECT_TRUE(has(up, "applied 3 revision(s)")) << up.output;

    // An applied revision edited afterwards: reported and refused.
    for (const auto& entry : fs::directory_iterator(dir_ / "migrations"))
        if (entry.path().string().find(first) != std::string::npos)
            std::ofstream(entry.path(), std::ios::app) << "-- an afterthought\n";
    auto edited = keel({"downgrade", "base"});
    EXPECT_EQ(edited.code, 1);
    EXPECT_TRUE(has(edited, "revision " + first)) << edited.output;
    EXPECT_TRUE(has(edited, "was edited after it was applied")) << edited.output;
    EXPECT_EQ(keel({"current"}).code, 1);
}

// A restore puts a backup back whole (the data, the schema, the revisions; what was made since is
// gone), only after checking it and with a yes, and backs up what it replaces first.
TEST_P(migrate_command, restore_puts_back_a_backup_checked_first_and_backs_up_what_it_replaces)
{
    const auto [first, backup] = backed_up_before_pets();
    if (GetParam() == database::postgres)  // made by hand since the backup: a restore drops it too
        execute("CREATE TYPE mood AS ENUM ('fine'); CREATE FUNCTION pet_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM pets'");

    auto unasked = keel({"restore", backup}, KEEL_BIN, pg_dump_);  // stdin is no terminal: --yes or nothing
    EXPECT_EQ(unasked.code, 1);
    EXPECT_TRUE(has(unasked, "a whole backup, 2 table(s), at revision(s) " + first)) << unasked.output;
    EXPECT_TRUE(has(unasked, "run it again with --yes")) << unasked.output;
    std::ofstream(dir_ / "damaged") << "not a backup";
    auto damaged = keel({"restore", "damaged", "--yes"}, KEEL_BIN, pg_dump_);
    EXPECT_EQ(damaged.code, 1);
    EXPECT_TRUE(has(damaged, GetParam() == database::sqlite ? "damaged is not a SQLite backup" : "pg_restore failed")) << damaged.output;
    const auto whole = fs::file_size(dir_ / backup);
    fs::copy_file(dir_ / backup, dir_ / "cut");
    fs::resize_file(dir_ / "cut", whole / 2);
    auto cut = keel({"restore", "cut", "--yes"}, KEEL_BIN, pg_dump_);
    EXPECT_EQ(cut.code, 1) << cut.output;
    EXPECT_TRUE(has(keel({"restore", "nowhere.db", "--yes"}, KEEL_BIN, pg_dump_), "nowhere.db: no such file"));
    EXPECT_TRUE(has(keel({"current"}), "pets (head)"));  // nothing changed

    auto restored = keel({"restore", backup, "--yes", "--progress", "lines"}, KEEL_BIN, pg_dump_);
    ASSERT_EQ(restored.code, 0) << restored.output;
    EXPECT_TRUE(has(restored, "restore: " + fs::path(backup).filename().string() + "\n")) << restored.output;
    EXPECT_TRUE(std::regex_search(restored.output, std::regex("backup: writing backups/[^ ]+-before-restore\\.(db|dump)\n")))
        << restored.output;
    EXPECT_TRUE(std::regex_search(restored.output, std::regex("restore: ([0-9]+ of [0-9]+ pages|[0-9.]+ KiB of [0-9.]+ KiB) \\(")))
        << restored.output;
    EXPECT_TRUE(has(restored, "the database is at revision(s) " + first + "\n")) << restored.output;
    EXPECT_EQ(keel({"current"}).output, first + " people\n");
    EXPECT_EQ(count("SELECT count(*) FROM people"), 1);
    if (GetParam() == database::postgres) {
        EXPECT_EQ(count("SELECT count(*) FROM pg_type WHERE typname = 'mood'"), 0);
        EXPECT_EQ(count("SELECT count(*) FROM pg_proc WHERE proname = 'pet_count'"), 0);
    }
    // pets, its view and bob are gone: the next upgrade makes them again.
    const auto again = keel({"upgrade"});
    EXPECT_EQ(again.code, 0) << again.output;
    EXPECT_TRUE(has(again, "applied 1 revision(s)")) << again.output;
}

// On a terminal, a restore asks first: the default answer (Enter) changes nothing, not even a
// backup; "y" restores.
TEST_P(migrate_command, restore_on_a_terminal_asks_before_it_changes_anything)
{
    const auto [first, backup] = backed_up_before_pets();
    const auto backups_before = std::distance(fs::directory_iterator(dir_ / "backups"), fs::directory_iterator());

    auto declined = keel_on_terminal({"restore", backup}, "\n");
    EXPECT_EQ(declined.code, 1) << declined.output;
    EXPECT_TRUE(has(declined, "restore replaces everything in ")) << declined.output;
    EXPECT_TRUE(has(declined, " with the backup. Go on? [y/N] ")) << declined.output;
    EXPECT_TRUE(has(declined, "restore: not confirmed; nothing changed")) << declined.output;
    EXPECT_TRUE(has(keel({"current"}), "pets (head)"));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "backups"), fs::directory_iterator()), backups_before);

    auto accepted = keel_on_terminal({"restore", backup, "--progress", "lines"}, "y\n");
    ASSERT_EQ(accepted.code, 0) << accepted.output;
    EXPECT_TRUE(has(accepted, "the database is at revision(s) " + first)) << accepted.output;
    EXPECT_EQ(keel({"current"}).output, first + " people\n");
}

// A restore that cannot finish (here: a lock it waits for too long) leaves the database as it was.
TEST_P(migrate_command, a_restore_that_cannot_finish_changes_nothing)
{
    const auto [first, backup] = backed_up_before_pets();
    // PostgreSQL: a reader of pets, whose lock the restore's DROP waits for; SQLite: a writer. Held on
    // a thread of its own (one block_on from the lock to its release).
    auto database = pool();
    std::latch holding{1};
    std::promise<void> release;
    std::thread holder([&] {
        keel::block_on([&]() -> keel::task<void> {
            auto session = database.make_session();
            co_await session.execute(GetParam() == database::sqlite ? "INSERT INTO pets (id, owner) VALUES (7, 1)"
                                                                    : "SELECT count(*) FROM pets");
            holding.count_down();
            release.get_future().wait_for(std::chrono::minutes(2));  // a deadline, should the test fail first
            co_await session.rollback();
        });
    });
    holding.wait();
    auto refused = keel({"restore", backup, "--yes"}, KEEL_BIN, {"MIGRATE_PG_DUMP=pg_dump", "MIGRATE_DDL_LOCK_TIMEOUT=200ms",
                                                               "MIGRATE_LOCK_TIMEOUT=200ms"});
    release.set_value();
    holder.join();
    database.close();
    EXPECT_EQ(refused.code, 1) << refused.output;
    EXPECT_TRUE(has(refused, "lock")) << refused.output;
    EXPECT_TRUE(has(keel({"current"}), "pets (head)"));
    EXPECT_EQ(count("SELECT count(*) FROM people"), 2);  // bob is still there
    EXPECT_EQ(count("SELECT count(*) FROM pet_owners"), 0);
}

TEST_P(migrate_command, stamp_and_offline_ranges)
{
    ASSERT_EQ(keel({"init"}).code, 0);
    const auto first = revision("one", "CREATE TABLE one (x INTEGER);", "DROP TABLE one;");
    const auto second = revision("two", "CREATE TABLE two (x INTEGER);", "DROP TABLE two;");
    auto stamped = keel({"stamp", first});
    EXPECT_EQ(stamped.code, 0) << stamped.output;
    EXPECT_EQ(keel({"current"}).output, first + " one\n");
    auto up = keel({"upgrade"});  // only two runs: one was stamped
    EXPECT_EQ(up.code, 0) << up.output;
    EXPECT_TRUE(has(up, "applied 1 revision(s)")) << up.output;

    auto range = keel({"downgrade", "--sql", "head:base"});
    EXPECT_EQ(range.code, 0) << range.output;
    // SQLite's as the migrator runs it: foreign keys off around the transaction (a table rebuild).
    const std::string commit = GetParam() == database::sqlite
                                   ? ";\n-- PRAGMA foreign_key_check; must list no row the revision added\nCOMMIT;\nPRAGMA foreign_keys = ON;\n"
                                   : ";\nCOMMIT;\n";
    EXPECT_TRUE(has(range, "DROP TABLE two;\nDELETE FROM keel_revisions WHERE revision = '" + second + "'" + commit)) << range.output;
    EXPECT_LT(range.output.find("DROP TABLE two"), range.output.find("DROP TABLE one"));
    EXPECT_TRUE(has(keel({"downgrade", "--sql", "base"}), "needs FROM:TO"));
}

// check: the users service's models against the database; for CI, exit 1 on a difference.
TEST_P(migrate_command, check_compares_the_applications_models_with_the_database)
{
    auto empty = keel({"check"}, USERS_SERVICE_BIN);
    EXPECT_EQ(empty.code, 1) << empty.output;
    EXPECT_TRUE(has(empty, "table users: in the models, not in the database\n1 difference(s)")) << empty.output;
    keel::db::database_settings settings;
    settings.database_url = keel::db::url::parse(url_);
    auto pool = keel::db::pool::open(settings, 1);
    users::upgrade_schema(pool);  // the service's own migrations folder: its first revision is proven here
    pool.close();
    // keel's version table is keel's, not the models': the migrated database compares clean.
    auto clean = keel({"check"}, USERS_SERVICE_BIN);
    EXPECT_EQ(clean.code, 0) << clean.output;
    EXPECT_TRUE(has(clean, "no differences")) << clean.output;
    auto no_models = keel({"check"});
    EXPECT_EQ(no_models.code, 2) << no_models.output;  // could not compare (1: they differ)
    EXPECT_TRUE(has(no_models, "this program declares no models")) << no_models.output;
}

// revision --autogenerate: the users service writes its schema's revision, in the database's
// dialect, from its models; once applied, check is clean and a second run writes nothing.
TEST_P(migrate_command, autogenerate_writes_the_models_revision_once)
{
    ASSERT_EQ(keel({"init"}).code, 0);
    auto first = keel({"revision", "--autogenerate", "-m", "create users"}, USERS_SERVICE_BIN);
    ASSERT_EQ(first.code, 0) << first.output;
    const std::string dialect = GetParam() == database::sqlite ? "sqlite" : "postgresql";
    EXPECT_TRUE(has(first, "  table users: in the models, not in the database\n")) << first.output;
    EXPECT_TRUE(std::regex_search(first.output, std::regex("wrote migrations/[0-9_]+_[0-9a-f]{12}_create_users\\." + dialect + "\\.sql\n$")))
        << first.output;
    auto not_at_head = keel({"revision", "--autogenerate", "-m", "again"}, USERS_SERVICE_BIN);
    EXPECT_EQ(not_at_head.code, 1) << not_at_head.output;
    EXPECT_TRUE(has(not_at_head, "the database is not at the head revision: run `migrate upgrade` first")) << not_at_head.output;

    auto upgrade = keel({"upgrade"}, USERS_SERVICE_BIN);
    ASSERT_EQ(upgrade.code, 0) << upgrade.output;
    auto check = keel({"check"}, USERS_SERVICE_BIN);
    EXPECT_EQ(check.code, 0) << check.output;
    auto again = keel({"revision", "--autogenerate", "-m", "nothing"}, USERS_SERVICE_BIN);
    EXPECT_EQ(again.code, 0) << again.output;
    EXPECT_TRUE(has(again, "no changes: the database")) << again.output;
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "migrations"), fs::directory_iterator()), 2);  // README + one revision

    auto no_models = keel({"revision", "--autogenerate", "-m", "x"});
    EXPECT_EQ(no_models.code, 1) << no_models.output;
    EXPECT_TRUE(has(no_models, "this program declares no models")) << no_models.output;
    EXPECT_EQ(keel({"downgrade", "base"}, USERS_SERVICE_BIN).code, 0);
    EXPECT_EQ(keel({"check"}, USERS_SERVICE_BIN).code, 1);  // the revision's downgrade dropped the table
}

// lint before upgrade: an index built under lock on a big table (MIGRATE_BIG_TABLE_ROWS=1 here)
// stops the upgrade until the revision accepts it.
TEST_P(migrate_command, upgrade_refuses_a_high_risk_finding_the_revision_does_not_accept)
{
    if (GetParam() == database::sqlite)
        GTEST_SKIP() << "the locking rules are PostgreSQL's";
    ASSERT_EQ(keel({"init"}).code, 0);
    revision("events", "CREATE TABLE events (id BIGINT PRIMARY KEY, kind TEXT); INSERT INTO events SELECT i, 'k' FROM generate_series(1, 500) i;",
             "DROP TABLE events;");
    ASSERT_EQ(keel({"upgrade"}).code, 0);
    const auto index = revision("index kind", "CREATE INDEX ix_events_kind ON events (kind);", "DROP INDEX ix_events_kind;");
    const auto lint = run({KEEL_BIN, "migrate", "lint"}, {"DATABASE_URL=" + url_, "MIGRATE_BIG_TABLE_ROWS=1"}, dir_);
    EXPECT_EQ(lint.code, 1) << lint.output;
    EXPECT_TRUE(has(lint, "revision " + index + " statement 1 (high, non-concurrent-index): CREATE INDEX without CONCURRENTLY"))
        << lint.output;
    const auto refused = run({KEEL_BIN, "migrate", "upgrade"}, {"DATABASE_URL=" + url_, "MIGRATE_BIG_TABLE_ROWS=1"}, dir_);
    EXPECT_EQ(refused.code, 1) << refused.output;
    EXPECT_TRUE(has(refused, "lint refuses the upgrade")) << refused.output;
    EXPECT_FALSE(has(keel({"current"}), index)) << "nothing applied";

    for (const auto& entry : fs::directory_iterator(dir_ / "migrations"))
        if (entry.path().string().find(index) != std::string::npos)
            fill(entry.path(), "-- keel: accept non-concurrent-index", "");
    const auto accepted = run({KEEL_BIN, "migrate", "upgrade"}, {"DATABASE_URL=" + url_, "MIGRATE_BIG_TABLE_ROWS=1"}, dir_);
    EXPECT_EQ(accepted.code, 0) << accepted.output;
    EXPECT_TRUE(has(accepted, "lint: revision " + index + " statement 1 (high, accepted, non-concurrent-index)")) << accepted.output;

    // The safe form passes, and a long statement is announced as it starts.
    revision("index id and kind", "-- keel: no-transaction\nCREATE INDEX CONCURRENTLY ix_events_id_kind ON events (id, kind);",
             "DROP INDEX ix_events_id_kind;");
    const auto safe = run({KEEL_BIN, "migrate", "upgrade"}, {"DATABASE_URL=" + url_, "MIGRATE_BIG_TABLE_ROWS=1"}, dir_);
    EXPECT_EQ(safe.code, 0) << safe.output;
    EXPECT_TRUE(has(safe, "      statement 1 of 1: CREATE INDEX CONCURRENTLY ix_events_id_kind ON events (id, kind)\n")) << safe.output;
}

// doctor: revisions the database lacks are a warning, an edited applied one an error.
TEST_P(migrate_command, doctor_reports_pending_and_edited_revisions)
{
    ASSERT_EQ(keel({"init"}).code, 0);
    const auto first = revision("create people", "CREATE TABLE people (id INTEGER PRIMARY KEY);", "DROP TABLE people;");
    ASSERT_EQ(keel({"upgrade"}).code, 0);
    const auto second = revision("add email", "ALTER TABLE people ADD COLUMN email TEXT;", "ALTER TABLE people DROP COLUMN email;");
    const std::vector<std::string> env{"DATABASE_URL=" + url_};
    auto pending = run({KEEL_BIN, "doctor", "--dir", dir_.string()}, env, dir_);
    if (GetParam() == database::sqlite) {  // the test server's role is a superuser: an error of its own
        EXPECT_EQ(pending.code, 0) << pending.output;
    }
    EXPECT_TRUE(has(pending, "warning: 1 revision(s) not applied to the database: " + second + " add email")) << pending.output;
    for (const auto& entry : fs::directory_iterator(dir_ / "migrations"))
        if (entry.path().string().find(first) != std::string::npos)
            std::ofstream(entry.path(), std::ios::app) << "-- edited\n";
    auto edited = run({KEEL_BIN, "doctor", "--dir", dir_.string()}, env, dir_);
    EXPECT_EQ(edited.code, 1) << edited.output;
    EXPECT_TRUE(has(edited, "error: the database and the migrations folder disagree: revision " + first)) << edited.output;
}

// MIGRATE_ON_START: the application upgrades before it serves, and does not serve when that fails.
TEST_P(migrate_command, an_application_upgrades_at_start_when_asked)
{
    ASSERT_EQ(keel({"init"}).code, 0);
    revision("extra", "CREATE TABLE extra (x INTEGER);", "DROP TABLE extra;");
    const std::vector<std::string> env{"DATABASE_URL=" + url_, "PASSWORD_HASH_COST=minimum", "ENVIRONMENT=development",
                                       "MIGRATE_ON_START=true"};
    auto p = spawn({USERS_SERVICE_BIN, "--port", "0"}, env, dir_);
    std::string output;
    ASSERT_NE(read_until_serving(p, output), 0) << output;
    ::kill(p.pid, SIGTERM);
    output += read_all(p.output);
    EXPECT_EQ(wait_exit(p.pid), 0) << output;
    EXPECT_NE(output.find("migrate: 1 revision(s) applied"), std::string::npos) << output;
    EXPECT_TRUE(has(keel({"current"}), "extra (head)"));

    revision("broken", "INSERT INTO nowhere VALUES (1);", "");
    auto refused = run({USERS_SERVICE_BIN, "--port", "0"}, env, dir_);
    EXPECT_EQ(refused.code, 1) << refused.output;
    EXPECT_TRUE(has(refused, "rolled back whole")) << refused.output;
}

INSTANTIATE_TEST_SUITE_P(databases, migrate_command, ::testing::Values(database::sqlite, database::postgres),
                         [](const auto& info) { return info.param == database::sqlite ? "sqlite" : "postgres"; });

}  // namespace

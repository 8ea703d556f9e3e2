// lint's rules on statements as people write them, graded by the tables' sizes.
#include <gtest/gtest.h>

#include <keel/migrate/lint.hpp>

#include "unit/query/models.hpp"

namespace {

using namespace keel;
using migrate::risk;

constexpr std::int64_t big = 1'000'000, small = 10;

class lint_test : public ::testing::Test {
protected:
    /// The findings of one revision holding `statements`, as "rule level[ accepted]" lines.
    std::string findings(std::vector<std::string> statements, db::backend dialect = db::backend::postgresql)
    {
        revision_.id = "r1";
        revision_.upgrade = std::move(statements);
        const std::vector<migrate::step> plan{{&revision_, true}};
        const auto found = migrate::lint(plan, {{"events", big}, {"tiny", small}, {"teams", small}},
                                         {dialect, 100'000, &models_});
        std::string out;
        for (const auto& f : found)
            out += f.rule + (f.level == risk::high ? " high" : " medium") + (f.accepted ? " accepted" : "") + "\n";
        return out;
    }

    migrate::revision revision_;
    migrate::metadata models_ = migrate::metadata::of<query_models::team>();
};

TEST_F(lint_test, an_index_built_under_lock_is_high_on_a_big_table_and_medium_on_a_small_one)
{
    EXPECT_EQ(findings({"CREATE INDEX ix ON events (kind)"}), "non-concurrent-index high\n");
    EXPECT_EQ(findings({"create unique index if not exists \"ix\" on public.\"tiny\" (x)"}), "non-concurrent-index medium\n");
    EXPECT_EQ(findings({"-- keel: no-transaction\nCREATE INDEX CONCURRENTLY ix ON events (kind)"}), "");
    EXPECT_EQ(findings({"CREATE TABLE fresh (x INT)", "CREATE INDEX ix ON fresh (x)"}), "");  // a new table blocks no one
    EXPECT_EQ(findings({"CREATE INDEX ix ON events (kind)"}, db::backend::sqlite), "");       // SQLite locks the file anyway
}

TEST_F(lint_test, constraints_are_added_not_valid_and_validated_on_their_own)
{
    EXPECT_EQ(findings({"ALTER TABLE events ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES accounts (id)"}), "validating-constraint high\n");
    EXPECT_EQ(findings({"ALTER TABLE events ADD CHECK (a > 0)"}), "validating-constraint high\n");
    EXPECT_EQ(findings({"ALTER TABLE events ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES accounts (id) NOT VALID",
                        "-- keel: no-transaction\nALTER TABLE events VALIDATE CONSTRAINT fk"}),
              "");
    EXPECT_EQ(findings({"ALTER TABLE events ADD CONSTRAINT u UNIQUE (a)"}), "index-under-lock high\n");
    EXPECT_EQ(findings({"ALTER TABLE events ADD CONSTRAINT u UNIQUE USING INDEX u"}), "");
    EXPECT_EQ(findings({"ALTER TABLE events ADD COLUMN code text UNIQUE"}), "index-under-lock high\n");
}

TEST_F(lint_test, set_not_null_needs_a_validated_check_first)
{
    EXPECT_EQ(findings({"ALTER TABLE events ALTER COLUMN note SET NOT NULL"}), "not-null-scan high\n");
    EXPECT_EQ(findings({"ALTER TABLE events ADD CONSTRAINT c CHECK (\"note\" IS NOT NULL) NOT VALID",
                        "ALTER TABLE events VALIDATE CONSTRAINT c", "ALTER TABLE events ALTER COLUMN \"note\" SET NOT NULL"}),
              "");
    // Another column's validated check proves nothing about this one.
    EXPECT_EQ(findings({"ALTER TABLE events ADD CONSTRAINT c CHECK (other IS NOT NULL) NOT VALID",
                        "ALTER TABLE events VALIDATE CONSTRAINT c", "ALTER TABLE events ALTER COLUMN note SET NOT NULL"}),
              "not-null-scan high\n");
}

TEST_F(lint_test, rewrites_are_found)
{
    EXPECT_EQ(findings({"ALTER TABLE events ALTER COLUMN kind TYPE varchar(10)"}), "table-rewrite high\n");
    EXPECT_EQ(findings({"ALTER TABLE events ADD COLUMN token uuid DEFAULT gen_random_uuid()"}), "volatile-default high\n");
    EXPECT_EQ(findings({"ALTER TABLE events ADD COLUMN at timestamptz DEFAULT now()"}), "");  // stable: no rewrite since PostgreSQL 11
    EXPECT_EQ(findings({"ALTER TABLE events ALTER COLUMN type SET NOT NULL"}), "not-null-scan high\n");  // a column named type
    EXPECT_EQ(findings({"ALTER TABLE events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY"}), "");
    EXPECT_EQ(findings({"ALTER TABLE events ADD COLUMN a int, ALTER COLUMN b SET DEFAULT random()"}), "");  // no new column gets it
}

TEST_F(lint_test, a_sqlite_rebuild_is_not_a_dropped_table)
{
    EXPECT_EQ(findings({"CREATE TABLE \"_keel_rebuild_teams\" (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
                        "INSERT INTO \"_keel_rebuild_teams\" (id, name) SELECT id, name FROM teams", "DROP TABLE \"teams\"",
                        "ALTER TABLE \"_keel_rebuild_teams\" RENAME TO \"teams\"", "CREATE INDEX ix ON teams (name)"},
                       db::backend::sqlite),
              "");
    // Once rebuilt, the table is the models' again: a later real DROP is found.
    EXPECT_EQ(findings({"CREATE TABLE \"_keel_rebuild_teams\" (id INTEGER PRIMARY KEY)", "DROP TABLE teams",
                        "ALTER TABLE \"_keel_rebuild_teams\" RENAME TO teams", "DROP TABLE teams"},
                       db::backend::sqlite),
              "drop-table-in-models high\n");
}

TEST_F(lint_test, dropping_what_the_models_still_have_breaks_the_running_code_whatever_the_size)
{
    EXPECT_EQ(findings({"ALTER TABLE teams DROP COLUMN name"}), "drop-column-in-models high\n");
    EXPECT_EQ(findings({"ALTER TABLE teams DROP COLUMN old_name"}), "");
    EXPECT_EQ(findings({"ALTER TABLE teams DROP CONSTRAINT teams_name_key"}), "");
    EXPECT_EQ(findings({"DROP TABLE teams"}, db::backend::sqlite), "drop-table-in-models high\n");
    EXPECT_EQ(findings({"DROP TABLE tiny"}), "drop-table medium\n");
    EXPECT_EQ(findings({"ALTER TABLE tiny RENAME COLUMN a TO b"}), "rename medium\n");
}

TEST_F(lint_test, a_revision_accepts_a_finding_by_its_rule)
{
    EXPECT_EQ(findings({"-- keel: accept non-concurrent-index\nCREATE INDEX ix ON events (kind)"}), "non-concurrent-index high accepted\n");
    revision_.upgrade = {"-- keel: accept table-rewrite\nCREATE INDEX ix ON events (kind)"};
    const std::vector<migrate::step> plan{{&revision_, true}};
    const auto found = migrate::lint(plan, {{"events", big}}, {});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_FALSE(found[0].accepted);  // another rule's acceptance does not count
    try {
        migrate::refuse_unaccepted(found);
        FAIL() << "refused nothing";
    } catch (const migrate::error& e) {
        EXPECT_NE(std::string(e.what()).find("revision r1 statement 1 (high, non-concurrent-index)"), std::string::npos) << e.what();
    }
}

}  // namespace

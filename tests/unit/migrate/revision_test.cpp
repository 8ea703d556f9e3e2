// Revision files: statement splitting, the header and sections, and the checksum.
#include <gtest/gtest.h>

#include <keel/migrate/revision.hpp>

namespace {

using keel::db::backend;
using keel::migrate::checksum_of;
using keel::migrate::parse_revision;

std::vector<std::string> split_statements(std::string_view sql, backend dialect = backend::postgresql)
{
    return keel::migrate::split_statements(sql, dialect);
}

using strings = std::vector<std::string>;

TEST(split_statements, splits_at_semicolons_and_drops_what_holds_only_comments)
{
    EXPECT_EQ(split_statements("CREATE TABLE a (x INTEGER);\n  -- between\nDROP TABLE b;\n-- the end\n"),
              (strings{"CREATE TABLE a (x INTEGER)", "-- between\nDROP TABLE b"}));
    EXPECT_EQ(split_statements("SELECT 1"), strings{"SELECT 1"});
    EXPECT_EQ(split_statements("  ;;\n"), strings{});
}

TEST(split_statements, a_semicolon_inside_quotes_comments_or_a_dollar_quoted_body_does_not_split)
{
    EXPECT_EQ(split_statements("INSERT INTO t VALUES ('a;b', 'it''s;');SELECT \"odd;name\" FROM t"),
              (strings{"INSERT INTO t VALUES ('a;b', 'it''s;')", "SELECT \"odd;name\" FROM t"}));
    EXPECT_EQ(split_statements("SELECT 1 -- not; here\n;SELECT /* nor; /* nested; */ here; */ 2"),
              (strings{"SELECT 1 -- not; here", "SELECT /* nor; /* nested; */ here; */ 2"}));
    const std::string function = "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.x := 1; RETURN NEW; END; $body$ LANGUAGE plpgsql";
    EXPECT_EQ(split_statements(function + ";SELECT $$a;b$$;SELECT $1"), (strings{function, "SELECT $$a;b$$", "SELECT $1"}));
}

TEST(split_statements, a_sqlite_trigger_ends_at_the_semicolon_after_its_end)
{
    const std::string trigger = "CREATE TEMP TRIGGER stamp AFTER INSERT ON t BEGIN UPDATE t SET n = CASE WHEN 1 THEN 2 END; "
                                "DELETE FROM u; END";
    EXPECT_EQ(split_statements(trigger + ";\nSELECT 1;", backend::sqlite), (strings{trigger, "SELECT 1"}));
    // PostgreSQL's trigger is one statement without a body of its own.
    const std::string pg_trigger = "CREATE TRIGGER stamp BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()";
    EXPECT_EQ(split_statements(pg_trigger + ";\nSELECT 1;"), (strings{pg_trigger, "SELECT 1"}));
}

TEST(split_statements, a_statement_of_block_comments_only_is_dropped_and_sqlite_does_not_nest_them)
{
    EXPECT_EQ(split_statements("SELECT 1; /* a note; */\n"), strings{"SELECT 1"});
    EXPECT_EQ(split_statements("SELECT /* a /* b */ 1; SELECT 2", backend::sqlite), (strings{"SELECT /* a /* b */ 1", "SELECT 2"}));
    EXPECT_EQ(split_statements("SELECT $$$$; SELECT 2"), (strings{"SELECT $$$$", "SELECT 2"}));
}

constexpr std::string_view sample = R"(-- keel revision 3f2a9c1b7d04
-- parents: 1a2b3c4d5e6f 9e8d7c6b5a4f
-- message: add email to users
-- created: 2026-12-03T08:10:00Z
-- dialect: postgresql
-- a note of the author's: kept out of the header

-- upgrade
ALTER TABLE "users" ADD COLUMN "email" TEXT;
CREATE INDEX users_email ON "users" ("email");

-- downgrade
ALTER TABLE "users" DROP COLUMN "email";
)";

TEST(parse_revision, reads_the_header_and_both_sections)
{
    const auto r = parse_revision(sample, "x.postgresql.sql");
    EXPECT_EQ(r.id, "3f2a9c1b7d04");
    EXPECT_EQ(r.parents, (strings{"1a2b3c4d5e6f", "9e8d7c6b5a4f"}));
    EXPECT_EQ(r.message, "add email to users");
    EXPECT_EQ(r.created, "2026-12-03T08:10:00Z");
    EXPECT_EQ(r.dialect, keel::db::backend::postgresql);
    EXPECT_EQ(r.upgrade, (strings{R"(ALTER TABLE "users" ADD COLUMN "email" TEXT)", R"(CREATE INDEX users_email ON "users" ("email"))"}));
    EXPECT_EQ(r.downgrade, strings{R"(ALTER TABLE "users" DROP COLUMN "email")"});
    EXPECT_EQ(r.checksum, checksum_of(sample));
}

TEST(parse_revision, format_revision_writes_what_it_reads_back)
{
    const auto r = parse_revision(sample);
    const auto again = parse_revision(keel::migrate::format_revision(r));
    EXPECT_EQ(again.id, r.id);
    EXPECT_EQ(again.parents, r.parents);
    EXPECT_EQ(again.message, r.message);
    EXPECT_EQ(again.created, r.created);
    EXPECT_EQ(again.dialect, r.dialect);
    EXPECT_EQ(again.upgrade, r.upgrade);
    EXPECT_EQ(again.downgrade, r.downgrade);
}

void expect_refused(std::string_view text, const std::string& part_of_message)
{
    try {
        parse_revision(text, "bad.sqlite.sql");
        ADD_FAILURE() << "accepted:\n" << text;
    } catch (const keel::migrate::error& e) {
        EXPECT_NE(std::string(e.what()).find(part_of_message), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("bad.sqlite.sql:"), std::string::npos) << e.what();
    }
}

TEST(parse_revision, refuses_a_file_that_is_not_a_revision_naming_the_line)
{
    expect_refused("SELECT 1;\n", "bad.sqlite.sql:1: not a keel revision");
    expect_refused("-- keel revision a b\n-- upgrade\n-- downgrade\n", "not a keel revision");
    expect_refused("-- keel revision abc\n-- upgrade\nSELECT 1;\n", "needs an '-- upgrade' and a '-- downgrade'");
    expect_refused("-- keel revision abc\n-- parents:\nDROP TABLE t;\n-- dialect: sqlite\n-- upgrade\n-- downgrade\n",
                   ":3: SQL before the '-- upgrade' line");
    expect_refused("-- keel revision abc\n-- parent: x\n-- dialect: sqlite\n-- upgrade\n-- downgrade\n", "no '-- parents:' line");
    expect_refused("-- keel revision abc\n-- parents:\n-- upgrade\n-- downgrade\n", "no '-- dialect:' line");
    expect_refused("-- keel revision abc\n-- downgrade\n-- upgrade\n", ":3: '-- upgrade' again or out of order");
    expect_refused("-- keel revision abc\n-- dialect: oracle\n-- upgrade\n-- downgrade\n", ":2: unknown dialect 'oracle'");
    expect_refused("-- keel revision abc\n-- parents: abc\n-- upgrade\n-- downgrade\n", "parent 'abc' is not a revision id");
}

TEST(checksum_of, is_sha256_and_reads_crlf_as_lf)
{
    EXPECT_EQ(checksum_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(checksum_of("a\r\nb\r\n"), checksum_of("a\nb\n"));
    EXPECT_NE(checksum_of("a\nb\n"), checksum_of("a\nb \n"));
}

}  // namespace

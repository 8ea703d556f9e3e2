// CREATE TABLE / CREATE INDEX from table models, per dialect.
#include <gtest/gtest.h>

#include <keel/core/time.hpp>

#include "unit/query/models.hpp"

namespace ddl_models {

// Every other SQL type, a composite key, a partial index and renames.
struct ledger {
    std::int64_t account = 0;
    std::int32_t line = 0;
    std::int16_t kind = 0;
    std::string amount;
    std::string day;
    std::string ref;
    std::string payload;
    keel::db::blob attachment;
    std::string state;
    std::optional<std::string> note;
    bool settled = false;
};
BOOST_DESCRIBE_STRUCT(ledger, (), (account, line, kind, amount, day, ref, payload, attachment, state, note, settled))
inline keel::model::table_def keel_table(ledger*)
{
    using namespace keel::model;
    return table("ledger", primary_key(&ledger::account, &ledger::line),
                 column(&ledger::amount).type(sql::numeric(12, 2)).server_default(sql_expression("0")),
                 column(&ledger::day).type(sql::date()), column(&ledger::ref).type(sql::uuid()),
                 column(&ledger::payload).type(sql::jsonb()).renamed_from("body"),
                 column(&ledger::state).type(sql::enumeration({"open", "it's closed"})),
                 index("ledger_open", &ledger::account).where("settled = false"))
        .renamed_from("journal");
}

// Mistakes a declaration can make, found when the table is first used.
struct untyped {
    std::int64_t id = 0;
    std::vector<int> tags;  // no SQL type follows from this
};
BOOST_DESCRIBE_STRUCT(untyped, (), (id, tags))
inline keel::model::table_def keel_table(untyped*) { return keel::model::table("untyped"); }

struct numbered_twice {
    std::int64_t id = 0;
    std::int64_t serial = 0;
};
BOOST_DESCRIBE_STRUCT(numbered_twice, (), (id, serial))
inline keel::model::table_def keel_table(numbered_twice*)
{
    using namespace keel::model;
    return table("numbered_twice", column(&numbered_twice::id).primary_key(), column(&numbered_twice::serial).identity());
}

}  // namespace ddl_models

namespace {

using keel::db::backend;
using keel::query::create_table;

std::vector<std::string> sql_of(const std::vector<keel::db::statement>& statements)
{
    std::vector<std::string> out;
    for (const auto& s : statements) {
        EXPECT_TRUE(s.params.empty());
        out.push_back(s.sql);
    }
    return out;
}

TEST(ddl, users_table_for_both_dialects)
{
    using query_models::user;
    EXPECT_EQ(sql_of(create_table<user>(backend::postgresql)),
              (std::vector<std::string>{
                  R"(CREATE TABLE IF NOT EXISTS "users" ("id" BIGINT GENERATED ALWAYS AS IDENTITY NOT NULL PRIMARY KEY, "username" TEXT NOT NULL, "hashed_password" TEXT NOT NULL, "token_subject" TEXT NOT NULL UNIQUE, "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()))",
                  R"(CREATE UNIQUE INDEX IF NOT EXISTS "users_username_key" ON "users" ("username"))"}));
    EXPECT_EQ(sql_of(create_table<user>(backend::sqlite)),
              (std::vector<std::string>{
                  R"(CREATE TABLE IF NOT EXISTS "users" ("id" INTEGER NOT NULL PRIMARY KEY, "username" TEXT NOT NULL, "hashed_password" TEXT NOT NULL, "token_subject" TEXT NOT NULL UNIQUE, "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))))",
                  R"(CREATE UNIQUE INDEX IF NOT EXISTS "users_username_key" ON "users" ("username"))"}));
}

TEST(ddl, bench_tables_with_a_renamed_column)
{
    EXPECT_EQ(sql_of(create_table<query_models::world>(backend::postgresql)),
              std::vector<std::string>{
                  R"(CREATE TABLE IF NOT EXISTS "world" ("id" INTEGER NOT NULL PRIMARY KEY, "randomnumber" INTEGER NOT NULL DEFAULT (0)))"});
    EXPECT_EQ(sql_of(create_table<query_models::fortune>(backend::postgresql)),
              std::vector<std::string>{
                  R"(CREATE TABLE IF NOT EXISTS "fortune" ("id" INTEGER NOT NULL PRIMARY KEY, "message" VARCHAR(2048) NOT NULL))"});
    EXPECT_EQ(sql_of(create_table<query_models::world>(backend::sqlite)),
              std::vector<std::string>{
                  R"(CREATE TABLE IF NOT EXISTS "world" ("id" INTEGER NOT NULL PRIMARY KEY, "randomnumber" INTEGER NOT NULL DEFAULT (0)))"});
}

TEST(ddl, foreign_keys_checks_and_varchar_from_text_max)
{
    using query_models::member;
    EXPECT_EQ(sql_of(create_table<member>(backend::postgresql)).front(),
              R"(CREATE TABLE IF NOT EXISTS "members" ("id" BIGINT GENERATED ALWAYS AS IDENTITY NOT NULL PRIMARY KEY, "team_id" BIGINT NOT NULL REFERENCES "teams" ("id") ON DELETE CASCADE, "name" VARCHAR(64) NOT NULL, "score" DOUBLE PRECISION, "active" BOOLEAN NOT NULL, CONSTRAINT "members_score_positive" CHECK (score >= 0)))");
    EXPECT_EQ(sql_of(create_table<member>(backend::sqlite)).back(),
              R"(CREATE UNIQUE INDEX IF NOT EXISTS "members_team_name" ON "members" ("team_id", "name"))");
}

TEST(ddl, every_type_composite_key_partial_index)
{
    using ddl_models::ledger;
    const std::string columns_pg =
        R"("account" BIGINT NOT NULL, "line" INTEGER NOT NULL, "kind" SMALLINT NOT NULL, "amount" NUMERIC(12, 2) NOT NULL DEFAULT (0), )"
        R"("day" DATE NOT NULL, "ref" UUID NOT NULL, "payload" JSONB NOT NULL, "attachment" BYTEA NOT NULL, )"
        R"("state" TEXT NOT NULL CHECK ("state" IN ('open', 'it''s closed')), "note" TEXT, "settled" BOOLEAN NOT NULL)";
    EXPECT_EQ(sql_of(create_table<ledger>(backend::postgresql)),
              (std::vector<std::string>{R"(CREATE TABLE IF NOT EXISTS "ledger" ()" + columns_pg + R"(, PRIMARY KEY ("account", "line")))",
                                        R"(CREATE INDEX IF NOT EXISTS "ledger_open" ON "ledger" ("account") WHERE settled = false)"}));
    const std::string columns_sqlite =
        R"("account" INTEGER NOT NULL, "line" INTEGER NOT NULL, "kind" INTEGER NOT NULL, "amount" NUMERIC NOT NULL DEFAULT (0), )"
        R"("day" TEXT NOT NULL, "ref" TEXT NOT NULL, "payload" TEXT NOT NULL, "attachment" BLOB NOT NULL, )"
        R"("state" TEXT NOT NULL CHECK ("state" IN ('open', 'it''s closed')), "note" TEXT, "settled" INTEGER NOT NULL)";
    EXPECT_EQ(sql_of(create_table<ledger>(backend::sqlite)).front(),
              R"(CREATE TABLE IF NOT EXISTS "ledger" ()" + columns_sqlite + R"(, PRIMARY KEY ("account", "line")))");
}

TEST(ddl, declaration_mistakes_are_clear_errors)
{
    EXPECT_THROW(keel::model::table_of<ddl_models::untyped>(), std::logic_error);
    // SQLite numbers only its INTEGER PRIMARY KEY; PostgreSQL has identity columns anywhere.
    EXPECT_THROW(create_table<ddl_models::numbered_twice>(backend::sqlite), std::invalid_argument);
    EXPECT_EQ(sql_of(create_table<ddl_models::numbered_twice>(backend::postgresql)).front(),
              R"(CREATE TABLE IF NOT EXISTS "numbered_twice" ("id" BIGINT NOT NULL PRIMARY KEY, "serial" BIGINT GENERATED ALWAYS AS IDENTITY NOT NULL))");
}

TEST(ddl, metadata_for_migrations)
{
    const auto& ledger = keel::model::table_of<ddl_models::ledger>();
    EXPECT_EQ(ledger.renamed_from, "journal");
    EXPECT_EQ(ledger.find("payload")->renamed_from, "body");
    EXPECT_TRUE(ledger.find("note")->nullable);
    EXPECT_EQ(ledger.find("nope"), nullptr);
    const auto& member = keel::model::table_of<query_models::member>();
    EXPECT_EQ(member.find("team_id")->references->table().name, "teams");
}

}  // namespace

// Every builder form rendered for each dialect: the SQL text and its parameters.
#include <typeinfo>

#include <gtest/gtest.h>

#include <keel/query/unit_of_work.hpp>

#include "unit/query/models.hpp"

namespace {

using namespace keel::query;
using namespace query_models;
using keel::db::backend;
using keel::db::value;

constexpr auto sqlite = backend::sqlite;
constexpr auto postgres = backend::postgresql;

void expect_both(const auto& query, const std::string& sql, const std::vector<value>& params)
{
    for (auto dialect : {sqlite, postgres}) {
        auto statement = query.to_statement(dialect);
        EXPECT_EQ(statement.sql, sql);
        EXPECT_EQ(statement.params, params);
    }
}

TEST(render, select_model_where_order_limit)
{
    expect_both(select<member_public>()
                    .from<member>()
                    .where(col<&member::team_id> == 7 && col<&member::score> >= 1.5)
                    .order_by(col<&member::name>)
                    .limit(10)
                    .offset(20),
                R"(SELECT "id", "name", "score" FROM "members" WHERE "team_id" = $1 AND "score" >= $2 ORDER BY "name" LIMIT $3 OFFSET $4)",
                {std::int64_t{7}, 1.5, std::int64_t{10}, std::int64_t{20}});
}

TEST(render, offset_without_limit_differs_by_dialect)
{
    auto q = select(col<&team::id>).from<team>().offset(5);
    EXPECT_EQ(q.to_statement(sqlite).sql, R"(SELECT "id" FROM "teams" LIMIT -1 OFFSET $1)");
    EXPECT_EQ(q.to_statement(postgres).sql, R"(SELECT "id" FROM "teams" OFFSET $1)");
}

TEST(render, every_comparison_and_logic)
{
    expect_both(select(col<&member::id>)
                    .from<member>()
                    .where((col<&member::id> != 1 || col<&member::id> < 2) && !(col<&member::id> <= 3) &&
                           col<&member::id> > 4 && col<&member::name> == std::string("x")),
                R"(SELECT "id" FROM "members" WHERE ("id" <> $1 OR "id" < $2) AND NOT ("id" <= $3) AND "id" > $4 AND "name" = $5)",
                {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, std::int64_t{4}, std::string("x")});
}

TEST(render, in_like_and_null_tests)
{
    expect_both(select(col<&member::id>)
                    .from<member>()
                    .where(col<&member::id>.in(std::vector<int>{1, 2}) && col<&member::name>.like("a%") &&
                           col<&member::score>.is_null() && col<&member::score>.is_not_null()),
                R"(SELECT "id" FROM "members" WHERE "id" IN ($1, $2) AND "name" LIKE $3 AND "score" IS NULL AND "score" IS NOT NULL)",
                {std::int64_t{1}, std::int64_t{2}, std::string("a%")});
    expect_both(select(col<&member::id>).from<member>().where(col<&member::id>.in(std::vector<int>{})),
                R"(SELECT "id" FROM "members" WHERE 1 = 0)", {});
}

TEST(render, count_and_aggregates_group_by)
{
    auto q = select(col<&member::team_id>, count(), sum(col<&member::id>), avg(col<&member::score>),
                    min(col<&member::name>), max(col<&member::score>), count(col<&member::score>))
                 .from<member>()
                 .group_by(col<&member::team_id>)
                 .order_by(desc(count()));
    EXPECT_EQ(q.to_statement(sqlite).sql,
              R"(SELECT "team_id", COUNT(*), SUM("id"), AVG("score"), MIN("name"), MAX("score"), COUNT("score") FROM "members" GROUP BY "team_id" ORDER BY COUNT(*) DESC)");
    EXPECT_EQ(q.to_statement(postgres).sql,
              R"(SELECT "team_id", COUNT(*), CAST(SUM("id") AS BIGINT), CAST(AVG("score") AS DOUBLE PRECISION), MIN("name"), MAX("score"), COUNT("score") FROM "members" GROUP BY "team_id" ORDER BY COUNT(*) DESC)");
    static_assert(std::is_same_v<decltype(q)::row_type,
                                 std::tuple<std::int64_t, std::int64_t, std::optional<std::int64_t>, std::optional<double>,
                                            std::optional<keel::text<1, 64>>, std::optional<double>, std::int64_t>>);
}

TEST(render, inner_and_left_join)
{
    expect_both(select(col<&member::name>, col<&team::name>)
                    .from<member>()
                    .join<team>(col<&member::team_id> == col<&team::id>)
                    .where(col<&team::name> == "red"),
                R"(SELECT "members"."name", "teams"."name" FROM "members" JOIN "teams" ON "members"."team_id" = "teams"."id" WHERE "teams"."name" = $1)",
                {std::string("red")});
    expect_both(select(col<&team::name>, count(col<&member::id>))
                    .from<team>()
                    .left_join<member>(col<&member::team_id> == col<&team::id>)
                    .group_by(col<&team::name>),
                R"(SELECT "teams"."name", COUNT("members"."id") FROM "teams" LEFT JOIN "members" ON "members"."team_id" = "teams"."id" GROUP BY "teams"."name")",
                {});
}

TEST(render, exists_subquery_correlated)
{
    expect_both(select<team>().from<team>().where(
                    exists(select(col<&member::id>).from<member>().where(col<&member::team_id> == col<&team::id> &&
                                                                           col<&member::active> == true))),
                R"(SELECT "teams"."id", "teams"."name" FROM "teams" WHERE EXISTS (SELECT "members"."id" FROM "members" WHERE "members"."team_id" = "teams"."id" AND "members"."active" = $1))",
                {true});
}

TEST(render, insert_one_model_leaves_identity_out)
{
    member m;
    m.team_id = 3;
    m.name = "ada";
    expect_both(insert_into<member>().values(m),
                R"(INSERT INTO "members" ("team_id", "name", "score", "active") VALUES ($1, $2, $3, $4))",
                {std::int64_t{3}, std::string("ada"), nullptr, true});
}

TEST(render, insert_many_request_models_with_client_defaults_returning_model)
{
    std::vector<member_create> rows{{1, "a", 2.0}, {1, "b", std::nullopt}};
    expect_both(insert_into<member>().values(rows).returning<member_public>(),
                R"(INSERT INTO "members" ("team_id", "name", "score", "active") VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) RETURNING "id", "name", "score")",
                {std::int64_t{1}, std::string("a"), 2.0, true, std::int64_t{1}, std::string("b"), nullptr, true});
}

TEST(render, insert_set_on_conflict_returning_column)
{
    expect_both(insert_into<team>().set(col<&team::name> = "red").on_conflict(col<&team::name>).do_nothing(),
                R"(INSERT INTO "teams" ("name") VALUES ($1) ON CONFLICT ("name") DO NOTHING)", {std::string("red")});
    auto upsert = insert_into<member>()
                      .set(col<&member::team_id> = 1, col<&member::name> = "a", col<&member::score> = 3.0)
                      .on_conflict(col<&member::team_id>, col<&member::name>)
                      .do_update(col<&member::score>)
                      .returning(col<&member::id>);
    expect_both(upsert,
                R"(INSERT INTO "members" ("team_id", "name", "score", "active") VALUES ($1, $2, $3, $4) ON CONFLICT ("team_id", "name") DO UPDATE SET "score" = excluded."score" RETURNING "id")",
                {std::int64_t{1}, std::string("a"), 3.0, true});
    static_assert(std::is_same_v<decltype(upsert)::row_type, std::int64_t>);
}

TEST(render, update_set_where_returning)
{
    expect_both(update<member>()
                    .set(col<&member::score> = nullptr, col<&member::active> = false)
                    .where(col<&member::id> == 5)
                    .returning<member_public>(),
                R"(UPDATE "members" SET "score" = $1, "active" = $2 WHERE "id" = $3 RETURNING "id", "name", "score")",
                {nullptr, false, std::int64_t{5}});
    EXPECT_THROW(update<member>().where(col<&member::id> == 5).to_statement(sqlite), std::invalid_argument);
}

TEST(render, update_set_from_a_partial_sets_only_the_members_sent)
{
    keel::partial<member_create>::sent_set sent;
    sent.set(1).set(2);  // name and score; team_id not sent
    const keel::partial<member_create> changes(member_create{9, "renamed", std::nullopt}, sent);
    expect_both(update<member>().set(changes).where(col<&member::id> == 5),
                R"(UPDATE "members" SET "name" = $1, "score" = $2 WHERE "id" = $3)",
                {std::string("renamed"), nullptr, std::int64_t{5}});
    EXPECT_THROW(update<member>().set(keel::partial<member_create>()).to_statement(sqlite), std::invalid_argument);
}

TEST(render, delete_where_returning)
{
    expect_both(delete_from<member>().where(col<&member::name> == "x").returning(col<&member::id>, col<&member::name>),
                R"(DELETE FROM "members" WHERE "name" = $1 RETURNING "id", "name")", {std::string("x")});
    expect_both(delete_from<team>().where(!exists(select(col<&member::id>).from<member>().where(col<&member::team_id> == col<&team::id>))),
                R"(DELETE FROM "teams" WHERE NOT (EXISTS (SELECT "members"."id" FROM "members" WHERE "members"."team_id" = "teams"."id")))",
                {});
}

TEST(render, a_renamed_column_reads_back_under_its_member_name)
{
    expect_both(select<world>().from<world>().where(col<&world::randomNumber> > 5),
                R"(SELECT "id", "randomnumber" AS "randomNumber" FROM "world" WHERE "randomnumber" > $1)", {std::int64_t{5}});
    expect_both(update<world>().set(col<&world::randomNumber> = 7).where(col<&world::id> == 1).returning<world>(),
                R"(UPDATE "world" SET "randomnumber" = $1 WHERE "id" = $2 RETURNING "id", "randomnumber" AS "randomNumber")",
                {std::int64_t{7}, std::int64_t{1}});
    expect_both(insert_into<world>().values(world{1, 2}),
                R"(INSERT INTO "world" ("id", "randomnumber") VALUES ($1, $2))", {std::int64_t{1}, std::int64_t{2}});
}

TEST(render, raw_sql_keeps_its_parameters)
{
    expect_both(raw<std::int64_t>("SELECT count(*) FROM members WHERE name = $1", "x"),
                "SELECT count(*) FROM members WHERE name = $1", {std::string("x")});
}

TEST(render, hostile_text_is_only_ever_a_parameter)
{
    const std::string hostile = "'; drop table users; --";
    auto statement = select<member_public>().from<member>().where(col<&member::name> == hostile).to_statement(postgres);
    EXPECT_EQ(statement.sql.find("drop"), std::string::npos);
    EXPECT_EQ(statement.params, std::vector<value>{hostile});
}

}  // namespace

namespace {

TEST(render, identifiers_with_quotes_are_doubled_and_placeholders_go_past_nine)
{
    keel::query::detail::select_ast ast;
    ast.items = {keel::query::detail::column_node("we\"ird", "c\"ol\"")};
    ast.from = "we\"ird";
    for (auto dialect : {sqlite, postgres})
        EXPECT_EQ(keel::query::detail::render(ast, dialect).sql, R"(SELECT "c""ol""" FROM "we""ird")");
    const std::vector<std::int64_t> ids{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const auto statement = select(col<&member::id>).from<member>().where(col<&member::id>.in(ids)).to_statement(postgres);
    EXPECT_EQ(statement.sql,
              R"(SELECT "id" FROM "members" WHERE "id" IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11))");
    EXPECT_EQ(statement.params.size(), 11u);
}

// The unit of work finds an object by its key's bytes: a get() binds the key (identity_key of a
// db::value), a row read makes them from the member (append_key_of). They must agree for every
// integer type, or a get() would miss the object the identity map has.
template <class M>
void expect_same_identity_key(M v)
{
    std::string from_member;
    keel::query::detail::append_key_of(from_member, v);
    EXPECT_EQ(from_member, keel::query::detail::identity_key(keel::query::detail::bind(v))) << typeid(M).name();
}

TEST(identity_key, an_integer_key_has_the_same_bytes_from_a_member_and_from_a_bound_value)
{
    expect_same_identity_key(std::int64_t{-5});
    expect_same_identity_key(std::int32_t{42});
    expect_same_identity_key(std::int16_t{-7});
    expect_same_identity_key(std::uint32_t{4'000'000'000u});
    expect_same_identity_key(std::uint64_t{17});
    expect_same_identity_key(keel::integer<1, 100>{9});
    expect_same_identity_key(true);
    expect_same_identity_key(std::string("k"));
}

}  // namespace

// Every query builder form against real SQLite and real PostgreSQL, the schema made from the models.
#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>

#include "support/database_test.hpp"
#include "unit/query/models.hpp"

namespace {

using keel::task;
using namespace keel::query;
using namespace query_models;
namespace db = keel::db;

const std::string hostile = "'; drop table users; --";
using name_list = std::vector<keel::text<1, 64>>;

struct user_public {
    std::int64_t id = 0;
    std::string username;
    keel::timestamp created_at;
};
BOOST_DESCRIBE_STRUCT(user_public, (), (id, username, created_at))

class query_test : public keel::testing::database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        std::vector<std::string> schema;
        for (const auto& list : {create_table<team>(dialect()), create_table<member>(dialect()), create_table<user>(dialect()),
                                 create_table<world>(dialect())})
            for (const auto& statement : list)
                schema.push_back(statement.sql);
        run_all(schema);
    }
    db::backend dialect() const { return database_->kind(); }

    /// Runs `body(session)` in one session and commits.
    template <class Body>
    void in_session(Body body)
    {
        keel::block_on([&]() -> task<void> {
            auto s = database_->make_session();
            co_await body(s);
            co_await s.commit();
        });
    }
    /// Two teams, red and blue, and members a, b (red; scores 1, 2) and c (blue, no score).
    void seed()
    {
        in_session([&](db::session& s) -> task<void> {
            auto red = insert_into<team>().set(col<&team::name> = "red").returning(col<&team::id>);
            red_ = co_await one(s, red);
            auto blue = insert_into<team>().set(col<&team::name> = "blue").returning(col<&team::id>);
            blue_ = co_await one(s, blue);
            std::vector<member_create> rows{{red_, "a", 1.0}, {red_, "b", 2.0}, {blue_, "c", std::nullopt}};
            auto insert = insert_into<member>().values(rows);
            auto inserted = co_await execute(s, insert);
            EXPECT_EQ(inserted.affected_rows(), 3);
        });
    }
    template <class Query>
    auto all_of(const Query& query)
    {
        return keel::block_on([&]() -> task<std::vector<typename Query::row_type>> {
            auto s = database_->make_session();
            auto rows = co_await all(s, query);
            co_await s.rollback();
            co_return rows;
        });
    }

    /// The names of the members matching `condition`, in order. (column_ref<…>{} rather than
    /// col<…>: inside a template, g++ 12 takes a variable template's value as type-dependent.)
    template <class Cols>
    name_list names_where(const expr<Cols>& condition)
    {
        constexpr column_ref<&member::name> name;
        return all_of(select(name).from<member>().where(condition).order_by(name));
    }

    std::int64_t red_ = 0, blue_ = 0;
};

TEST_P(query_test, select_model_where_order_limit_offset)
{
    seed();
    auto rows = all_of(select<member_public>()
                           .from<member>()
                           .where(col<&member::team_id> == red_ && col<&member::score> >= 1)
                           .order_by(desc(col<&member::name>))
                           .limit(1)
                           .offset(1));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].name, "a");
    EXPECT_EQ(rows[0].score, 1.0);
    EXPECT_EQ(all_of(select(col<&member::name>).from<member>().order_by(col<&member::name>).offset(2)),
              name_list{"c"});
}

TEST_P(query_test, in_like_null_not_or)
{
    seed();
    EXPECT_EQ(names_where(col<&member::name>.in(std::vector<std::string>{"a", "c", "z"})), (name_list{"a", "c"}));
    EXPECT_EQ(names_where(col<&member::name>.in(std::vector<std::string>{})), name_list{});
    EXPECT_EQ(names_where(col<&member::name>.like("b%")), name_list{"b"});
    EXPECT_EQ(names_where(col<&member::score>.is_null()), name_list{"c"});
    EXPECT_EQ(names_where(!(col<&member::score>.is_not_null()) || col<&member::name> == "a"), (name_list{"a", "c"}));
    EXPECT_EQ(names_where(col<&member::id> != 0 && col<&member::score> < 2 && col<&member::score> > 0.5 && col<&member::score> <= 1),
              name_list{"a"});
}

TEST_P(query_test, count_aggregates_group_by)
{
    seed();
    auto rows = all_of(select(col<&member::team_id>, count(), count(col<&member::score>), sum(col<&member::team_id>),
                              avg(col<&member::score>), min(col<&member::name>), max(col<&member::score>))
                           .from<member>()
                           .group_by(col<&member::team_id>)
                           .order_by(desc(count())));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], std::make_tuple(red_, std::int64_t{2}, std::int64_t{2}, std::optional<std::int64_t>(2 * red_),
                                       std::optional<double>(1.5), std::optional<keel::text<1, 64>>("a"), std::optional<double>(2.0)));
    EXPECT_EQ(std::get<4>(rows[1]), std::nullopt);  // AVG over NULLs only
    EXPECT_EQ(all_of(select(count()).from<team>()), std::vector<std::int64_t>{2});
}

TEST_P(query_test, inner_and_left_join)
{
    seed();
    in_session([&](db::session& s) -> task<void> {
        auto lonely = insert_into<team>().set(col<&team::name> = "green");
        co_await execute(s, dialect(), lonely);
    });
    using pair = std::tuple<keel::text<1, 64>, std::string>;
    EXPECT_EQ(all_of(select(col<&member::name>, col<&team::name>)
                         .from<member>()
                         .join<team>(col<&member::team_id> == col<&team::id>)
                         .where(col<&team::name> == "red")
                         .order_by(col<&member::name>)),
              (std::vector<pair>{{"a", "red"}, {"b", "red"}}));
    using counted = std::tuple<std::string, std::int64_t>;
    EXPECT_EQ(all_of(select(col<&team::name>, count(col<&member::id>))
                         .from<team>()
                         .left_join<member>(col<&member::team_id> == col<&team::id>)
                         .group_by(col<&team::name>)
                         .order_by(col<&team::name>)),
              (std::vector<counted>{{"blue", 1}, {"green", 0}, {"red", 2}}));
}

TEST_P(query_test, exists_subquery)
{
    seed();
    auto with_scores = select(col<&team::name>).from<team>().where(exists(
        select(col<&member::id>).from<member>().where(col<&member::team_id> == col<&team::id> && col<&member::score>.is_not_null())));
    EXPECT_EQ(all_of(with_scores), std::vector<std::string>{"red"});
}

TEST_P(query_test, update_and_delete_returning)
{
    seed();
    in_session([&](db::session& s) -> task<void> {
        auto raise = update<member>()
                         .set(col<&member::score> = 5.0, col<&member::active> = false)
                         .where(col<&member::team_id> == red_)
                         .returning<member_public>();
        auto raised = co_await all(s, dialect(), raise);
        EXPECT_EQ(raised.size(), 2u);
        EXPECT_EQ(raised[0].score, 5.0);
        auto remove = delete_from<member>().where(col<&member::active> == false).returning(col<&member::name>);
        auto removed = co_await all(s, dialect(), remove);
        EXPECT_EQ(removed.size(), 2u);
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM members"), 1);
}

TEST_P(query_test, update_from_a_partial_changes_only_the_members_sent)
{
    seed();
    keel::partial<member_create>::sent_set sent;
    sent.set(2);  // score only: the name and team stay
    const keel::partial<member_create> changes(member_create{blue_, "ignored", std::nullopt}, sent);
    in_session([&](db::session& s) -> task<void> {
        auto patch = update<member>().set(changes).where(col<&member::name> == "a").returning(col<&member::team_id>, col<&member::name>, col<&member::score>);
        auto rows = co_await all(s, patch);
        EXPECT_EQ(rows, (std::vector<std::tuple<std::int64_t, keel::text<1, 64>, std::optional<double>>>{{red_, "a", std::nullopt}}));
    });
    EXPECT_EQ(all_of(select(col<&member::name>).from<member>().where(col<&member::score>.is_null()).order_by(col<&member::name>)),
              (std::vector<keel::text<1, 64>>{"a", "c"}));
}

TEST_P(query_test, on_conflict_do_nothing_and_do_update)
{
    seed();
    in_session([&](db::session& s) -> task<void> {
        auto again = insert_into<team>().set(col<&team::name> = "red").on_conflict(col<&team::name>).do_nothing();
        auto ignored = co_await execute(s, dialect(), again);
        EXPECT_EQ(ignored.affected_rows(), 0);
        auto upsert = insert_into<member>()
                          .set(col<&member::team_id> = red_, col<&member::name> = "a", col<&member::score> = 9.0)
                          .on_conflict(col<&member::team_id>, col<&member::name>)
                          .do_update(col<&member::score>)
                          .returning<member_public>();
        auto updated = co_await one(s, dialect(), upsert);
        EXPECT_EQ(updated.name, "a");
        EXPECT_EQ(updated.score, 9.0);
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM members"), 3);
    EXPECT_EQ(scalar("SELECT count(*) FROM teams"), 2);
}

TEST_P(query_test, users_table_from_its_model)
{
    in_session([&](db::session& s) -> task<void> {
        auto insert = insert_into<user>().set(col<&user::username> = "ada", col<&user::hashed_password> = "h",
                                              col<&user::token_subject> = "s1").returning<user_public>();
        auto created = co_await one(s, dialect(), insert);
        EXPECT_GT(created.id, 0);
        EXPECT_GT(created.created_at.time_since_epoch().count(), 0);  // the server default
        auto duplicate = insert_into<user>().set(col<&user::username> = "ada", col<&user::hashed_password> = "h",
                                                 col<&user::token_subject> = "s2");
        EXPECT_THROW(co_await s.savepoint([&]() { return execute(s, dialect(), duplicate); }), db::unique_violation);
    });
}

TEST_P(query_test, renamed_column_round_trip)
{
    in_session([&](db::session& s) -> task<void> {
        auto insert = insert_into<world>().values(std::vector<world>{{1, 10}, {2, 20}});
        co_await execute(s, dialect(), insert);
        auto bump = update<world>().set(col<&world::randomNumber> = 21).where(col<&world::id> == 2).returning<world>();
        auto bumped = co_await one(s, dialect(), bump);
        EXPECT_EQ(bumped.randomNumber, 21);
    });
    auto rows = all_of(select<world>().from<world>().where(col<&world::randomNumber> > 15));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].id, 2);
    EXPECT_EQ(rows[0].randomNumber, 21);
    EXPECT_EQ(scalar("SELECT randomnumber FROM world WHERE id = 1"), 10);
}

// The same hostile text through every form and the escape hatch: stored and read back verbatim.
TEST_P(query_test, hostile_text_is_data_in_every_form)
{
    seed();
    in_session([&](db::session& s) -> task<void> {
        auto as_value = insert_into<member>().values(member_create{red_, hostile, std::nullopt}).returning(col<&member::id>);
        const auto id = co_await one(s, dialect(), as_value);
        auto as_set = insert_into<team>().set(col<&team::name> = hostile).on_conflict(col<&team::name>).do_update(col<&team::name>);
        co_await execute(s, dialect(), as_set);
        auto renamed = update<member>().set(col<&member::name> = hostile + "!").where(col<&member::name> == hostile).returning(col<&member::name>);
        const auto new_name = co_await one(s, dialect(), renamed);
        EXPECT_EQ(new_name, hostile + "!");
        auto found = select(col<&member::id>).from<member>().where(col<&member::name>.like(hostile + "%") &&
                                                                 col<&member::name>.in(std::vector<std::string>{hostile + "!"}));
        const auto found_id = co_await one(s, dialect(), found);
        EXPECT_EQ(found_id, id);
        auto hatch = raw<std::string>("SELECT name FROM teams WHERE name = $1", hostile);
        const auto team_name = co_await one(s, dialect(), hatch);
        EXPECT_EQ(team_name, hostile);
        auto gone = delete_from<member>().where(col<&member::name> == hostile + "!").returning(col<&member::name>);
        const auto gone_name = co_await one(s, dialect(), gone);
        EXPECT_EQ(gone_name, hostile + "!");
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), 0);  // the table survives
    EXPECT_EQ(scalar("SELECT count(*) FROM teams"), 3);
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(query_test);

}  // namespace

// The unit of work (query::unit_of_work) against real SQLite and real PostgreSQL.
#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/query/unit_of_work.hpp>

#include "support/database_test.hpp"
#include "unit/query/models.hpp"

namespace {

using keel::task;
using keel::query::unit_of_work;
using namespace keel::query;
using namespace query_models;
namespace db = keel::db;

/// Whether awaiting `pending` throws E (a coroutine cannot co_await inside EXPECT_THROW's handler).
template <class E>
task<bool> throws(task<void> pending)
{
    bool thrown = false;
    try {
        co_await std::move(pending);
    } catch (const E&) {
        thrown = true;
    }
    co_return thrown;
}

class unit_of_work_test : public keel::testing::database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        std::vector<std::string> schema;
        for (const auto& list : {create_table<team>(dialect()), create_table<member>(dialect()), create_table<user>(dialect())})
            for (const auto& statement : list)
                schema.push_back(statement.sql);
        run_all(schema);
    }
    db::backend dialect() const { return database_->kind(); }

    /// Runs `body(uow)` on a unit of work over a session of its own; the body commits or not.
    template <class Body>
    void in_unit(Body body)
    {
        keel::block_on([&]() -> task<void> {
            auto s = database_->make_session();
            unit_of_work uow(s);
            co_await body(uow);
        });
    }
    /// Two teams, red (members a, b) and blue (member c); returns red's id.
    std::int64_t seed()
    {
        std::int64_t red_id = 0;
        in_unit([&](unit_of_work& uow) -> task<void> {
            team& red = uow.add(team{0, "red"});
            team& blue = uow.add(team{0, "blue"});
            co_await uow.flush();
            uow.add(member{0, red.id, "a", 1.0});
            uow.add(member{0, red.id, "b", 2.0});
            uow.add(member{0, blue.id, "c", std::nullopt});
            co_await uow.commit();
            red_id = red.id;
        });
        return red_id;
    }
    std::string member_name(std::int64_t id) { return text("SELECT name FROM members WHERE id = " + std::to_string(id)); }
    std::string text(const std::string& sql)
    {
        return keel::block_on([&]() -> task<std::string> {
            auto s = database_->make_session();
            auto value = co_await s.one<std::string>(sql);
            co_return value;
        });
    }
};

TEST_P(unit_of_work_test, add_fills_identity_and_server_defaults_and_get_answers_from_the_identity_map)
{
    in_unit([&](unit_of_work& uow) -> task<void> {
        user& ada = uow.add(user{0, "ada", "hash", "subject-ada", {}});
        co_await uow.commit();
        EXPECT_GT(ada.id, 0);
        EXPECT_GT(ada.created_at.time_since_epoch().count(), 0);  // now(), read back by RETURNING

        run_all({"UPDATE users SET hashed_password = 'changed elsewhere'"});
        user* again = co_await uow.get<user>(ada.id);
        EXPECT_EQ(again, &ada);                              // the same object …
        EXPECT_EQ(again->hashed_password, "hash");           // … not read again: no I/O
        co_await uow.refresh(ada);
        EXPECT_EQ(ada.hashed_password, "changed elsewhere");  // refresh() reads it
        EXPECT_EQ(co_await uow.get<user>(ada.id + 1000), nullptr);
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1);
}

TEST_P(unit_of_work_test, get_reads_a_row_once_and_tracks_it)
{
    const auto red = seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        team* first = co_await uow.get<team>(red);
        EXPECT_NE(first, nullptr);
        EXPECT_EQ(first ? first->name : "", "red");
        team* second = co_await uow.get<team>(std::int32_t(red));  // any integer type finds it
        EXPECT_EQ(first, second);
    });
}

TEST_P(unit_of_work_test, flush_updates_only_the_changed_columns)
{
    seed();
    const auto a = scalar("SELECT id FROM members WHERE name = 'a'");
    // Two units of work change different columns of the same row; both changes survive.
    in_unit([&](unit_of_work& first) -> task<void> {
        member* m = co_await first.get<member>(a);
        co_await first.session().commit();
        in_unit([&](unit_of_work& second) -> task<void> {
            member* same = co_await second.get<member>(a);
            same->score = 5.0;
            co_await second.commit();
        });
        m->name = "renamed";
        co_await first.commit();
        EXPECT_EQ(m->score, 1.0);  // this object never read the other change
    });
    EXPECT_EQ(member_name(a), "renamed");
    EXPECT_EQ(scalar("SELECT CAST(score AS BIGINT) FROM members WHERE id = " + std::to_string(a)), 5);
}

TEST_P(unit_of_work_test, remove_deletes_and_get_no_longer_finds_it)
{
    seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        auto rows = co_await uow.execute(select<member>().from<member>().where(col<&member::name> == "b"));
        EXPECT_EQ(rows.size(), 1u);
        if (rows.size() != 1)
            co_return;
        const auto id = rows[0]->id;
        uow.remove(*rows[0]);
        EXPECT_EQ(co_await uow.get<member>(id), nullptr);  // removed, not yet flushed
        co_await uow.commit();
        EXPECT_EQ(co_await uow.get<member>(id), nullptr);  // deleted
        EXPECT_THROW(uow.remove(*rows[0]), std::invalid_argument);
        member stranger;
        EXPECT_THROW(uow.remove(stranger), std::invalid_argument);
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM members"), 2);
}

TEST_P(unit_of_work_test, execute_gives_tracked_models_typed_rows_or_a_result)
{
    const auto red = seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        member* a = co_await uow.get<member>(scalar("SELECT id FROM members WHERE name = 'a'"));
        a->score = 9.0;  // unflushed: autoflush writes it before the query
        auto tracked = co_await uow.execute(select<member>().from<member>().where(col<&member::team_id> == red).order_by(col<&member::name>));
        EXPECT_EQ(tracked.size(), 2u);
        EXPECT_EQ(tracked.at(0), a);
        auto scores = co_await uow.execute(select(col<&member::score>).from<member>().where(col<&member::name> == "a"));
        EXPECT_EQ(scores, std::vector<std::optional<double>>{9.0});
        auto changed = co_await uow.execute(update<member>().set(col<&member::active> = false).where(col<&member::team_id> == red));
        EXPECT_EQ(changed.affected_rows(), 2);
        EXPECT_TRUE(a->active);  // an UPDATE statement does not touch tracked objects …
        co_await uow.refresh(*a);
        EXPECT_FALSE(a->active);  // … refresh() reads them
        co_await uow.commit();
    });
}

TEST_P(unit_of_work_test, select_in_loads_one_to_many_and_many_to_one)
{
    seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        auto teams = co_await uow.execute(select<team>().from<team>().order_by(col<&team::name>));
        EXPECT_EQ(teams.size(), 2u);  // blue, red
        if (teams.size() != 2)
            co_return;
        auto members = co_await uow.load<&team::id, &member::team_id>(teams);
        EXPECT_EQ(members.of(*teams[0]).size(), 1u);
        EXPECT_EQ(members.one_of(*teams[0])->name.str(), "c");
        EXPECT_EQ(members.of(*teams[1]).size(), 2u);

        auto all_members = co_await uow.execute(select<member>().from<member>());
        auto owners = co_await uow.load<&member::team_id, &team::id>(all_members);
        for (member* m : all_members)
            EXPECT_EQ(owners.one_of(*m)->name, m->name.str() == "c" ? "blue" : "red");
        team* owner = co_await uow.get<team>(all_members.at(0)->team_id);
        EXPECT_EQ(owners.one_of(*all_members.at(0)), owner);  // the identity map's objects
        auto none = co_await uow.load<&team::id, &member::team_id>(std::vector<team*>{});
        EXPECT_TRUE(none.of(*teams[0]).empty());
    });
}

// The first rows a unit of work reads skip the identity map until something looks in it: every
// later lookup must still find them, as they were read and as they were changed since.
TEST_P(unit_of_work_test, the_first_rows_read_are_found_by_every_later_lookup)
{
    seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        auto first = co_await uow.execute(select<member>().from<member>().order_by(col<&member::name>));
        EXPECT_EQ(first.size(), 3u);  // a, b, c
        if (first.size() != 3)
            co_return;
        first[0]->name = "a renamed";  // changed before anything looked in the identity map
        EXPECT_EQ(co_await uow.get<member>(first[1]->id), first[1]);
        auto again = co_await uow.execute(select<member>().from<member>().order_by(col<&member::id>));
        EXPECT_EQ(again.size(), 3u);
        for (member* m : again)
            EXPECT_TRUE(m == first[0] || m == first[1] || m == first[2]);  // the same objects, none read twice
        EXPECT_EQ(first[0]->name.str(), "a renamed");                      // autoflush wrote it; the row read again did not overwrite it
        uow.remove(*first[2]);
        EXPECT_EQ(co_await uow.get<member>(first[2]->id), nullptr);
        co_await uow.commit();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM members WHERE name = 'a renamed'"), 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM members"), 2);
}

TEST_P(unit_of_work_test, the_first_rows_read_are_removed_and_detached_like_any_other)
{
    seed();
    const auto a = scalar("SELECT id FROM members WHERE name = 'a'");
    in_unit([&](unit_of_work& uow) -> task<void> {
        auto rows = co_await uow.execute(select<member>().from<member>().where(col<&member::id> == a));
        EXPECT_EQ(rows.size(), 1u);
        if (rows.size() != 1)
            co_return;
        uow.remove(*rows[0]);  // found without a lookup having built the identity map first
        co_await uow.flush();
        EXPECT_EQ(co_await uow.get<member>(a), nullptr);
        co_await uow.rollback();
        EXPECT_THROW(uow.remove(*rows[0]), std::invalid_argument);  // detached by the rollback
        member* read_again = co_await uow.get<member>(a);
        EXPECT_NE(read_again, nullptr);
        EXPECT_NE(read_again, rows[0]);  // a new object: the old one is no longer tracked
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM members"), 3);
    // Read first inside a savepoint that fails: detached, and the next read makes a new object.
    in_unit([&](unit_of_work& uow) -> task<void> {
        member* inside = nullptr;
        auto failing = [&]() -> task<void> {
            auto rows = co_await uow.execute(select<member>().from<member>().where(col<&member::id> == a));
            inside = rows.at(0);
            inside->name = "never written";
            throw std::runtime_error("the block failed");
        };
        EXPECT_TRUE(co_await throws<std::runtime_error>(uow.savepoint(failing)));
        EXPECT_NE(inside, nullptr);
        member* after = co_await uow.get<member>(a);
        EXPECT_NE(after, inside);
        EXPECT_EQ(after ? after->name.str() : "", "a");
        co_await uow.commit();
    });
    EXPECT_EQ(member_name(a), "a");
}

TEST_P(unit_of_work_test, rollback_undoes_and_detaches)
{
    in_unit([&](unit_of_work& uow) -> task<void> {
        team& green = uow.add(team{0, "green"});
        co_await uow.flush();
        const auto id = green.id;
        co_await uow.rollback();
        EXPECT_EQ(green.name, "green");  // still valid memory, no longer tracked
        EXPECT_THROW(uow.remove(green), std::invalid_argument);
        green.name = "ignored";
        EXPECT_EQ(co_await uow.get<team>(id), nullptr);
        co_await uow.commit();
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM teams"), 0);
}

TEST_P(unit_of_work_test, a_failed_savepoint_undoes_its_work_and_the_transaction_goes_on)
{
    in_unit([&](unit_of_work& uow) -> task<void> {
        team& kept = uow.add(team{0, "kept"});
        team* inside = nullptr;
        auto failing = [&]() -> task<void> {
            inside = &uow.add(team{0, "inside"});
            co_await uow.savepoint([&]() -> task<void> { co_return; });  // nested, succeeds
            uow.add(team{0, "kept"});  // unique name: the flush at the block's end fails
        };
        EXPECT_TRUE(co_await throws<db::unique_violation>(uow.savepoint(failing)));
        EXPECT_THROW(uow.remove(*inside), std::invalid_argument);  // detached
        kept.name = "kept and renamed";                             // still tracked
        auto id = co_await uow.savepoint([&]() -> task<std::int64_t> {
            team& more = uow.add(team{0, "more"});
            co_await uow.flush();
            co_return more.id;
        });
        EXPECT_GT(id, 0);
        co_await uow.commit();
    });
    EXPECT_EQ(text("SELECT name FROM teams ORDER BY name LIMIT 1"), "kept and renamed");
    EXPECT_EQ(scalar("SELECT count(*) FROM teams"), 2);
}

// A handler that catches a failed flush and returns normally must not commit the writes the
// flush made before it failed: the failure aborted the transaction, on SQLite as on PostgreSQL.
TEST_P(unit_of_work_test, a_failed_flush_commits_none_of_its_writes)
{
    const auto red = seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        uow.add(member{0, red, "written before the failure", 1.0});
        uow.add(team{0, "red"});  // unique name: the flush fails after the member's INSERT
        EXPECT_TRUE(co_await throws<db::unique_violation>(uow.flush()));
        EXPECT_TRUE(co_await throws<db::error>(uow.session().commit()));  // 25P02, rolled back
    });
    EXPECT_EQ(scalar("SELECT count(*) FROM members"), 3);  // seed()'s
}

TEST_P(unit_of_work_test, transaction_commits_or_rolls_back)
{
    in_unit([&](unit_of_work& uow) -> task<void> {
        co_await uow.transaction([&]() -> task<void> {
            uow.add(team{0, "committed"});
            co_return;
        });
        auto failing = [&]() -> task<void> {
            uow.add(team{0, "rolled back"});
            co_await uow.flush();
            throw std::runtime_error("the work failed");
        };
        EXPECT_TRUE(co_await throws<std::runtime_error>(uow.transaction(failing)));
    });
    EXPECT_EQ(text("SELECT name FROM teams"), "committed");
    EXPECT_EQ(scalar("SELECT count(*) FROM teams"), 1);
}

TEST_P(unit_of_work_test, a_change_to_a_row_deleted_meanwhile_is_an_error)
{
    const auto red = seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        team* t = co_await uow.get<team>(red);
        co_await uow.session().commit();
        run_all({"DELETE FROM members", "DELETE FROM teams WHERE name = 'red'"});
        t->name = "too late";
        EXPECT_TRUE(co_await throws<db::no_result>(uow.flush()));
        co_await uow.rollback();
    });
}

TEST_P(unit_of_work_test, a_changed_primary_key_is_refused)
{
    const auto red = seed();
    in_unit([&](unit_of_work& uow) -> task<void> {
        team* t = co_await uow.get<team>(red);
        t->id += 100;
        EXPECT_TRUE(co_await throws<std::logic_error>(uow.flush()));
        t->id = red;
    });
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(unit_of_work_test);

}  // namespace

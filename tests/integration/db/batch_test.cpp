// Batches (PostgreSQL pipeline mode) on every backend.
#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>

#include "support/database_test.hpp"

namespace {

using keel::task;
using namespace keel::db;
using keel::testing::backend;

struct world {
    std::int64_t id = 0;
    std::int64_t randomnumber = 0;
};
BOOST_DESCRIBE_STRUCT(world, (), (id, randomnumber))

constexpr std::string_view world_by_id = "SELECT id, randomnumber FROM world WHERE id = $1";

class batch_test : public keel::testing::database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        run_all({"CREATE TABLE world (id INT PRIMARY KEY, randomnumber INT NOT NULL)",
                 "CREATE TABLE names (name TEXT PRIMARY KEY)"});
        keel::block_on([&]() -> task<void> {
            auto s = database_->make_session();
            std::vector<statement> rows;
            for (int id = 1; id <= 600; ++id)
                rows.emplace_back("INSERT INTO world (id, randomnumber) VALUES ($1, $2)", id, id * 7);
            for (const auto& entry : co_await s.run_batch(std::move(rows)))
                entry.get();
        });
    }
    std::int64_t count_names() { return scalar("SELECT count(*) FROM names"); }
};

TEST_P(batch_test, results_arrive_in_order)
{
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 500; ++i)
        ids.push_back(1 + (i * 37) % 600);  // scattered, with repeats
    auto rows = keel::block_on([&]() -> task<std::vector<world>> {
        auto s = database_->make_session();
        co_return co_await s.one_each<world>(world_by_id, ids);
    });
    ASSERT_EQ(rows.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(rows[i].id, ids[i]);
        EXPECT_EQ(rows[i].randomnumber, ids[i] * 7);
    }
}

TEST_P(batch_test, outside_a_transaction_a_failure_stays_in_its_own_entry)
{
    auto entries = keel::block_on([&]() -> task<std::vector<batch_entry>> {
        auto s = database_->make_session();
        std::vector<statement> batch;
        batch.emplace_back("INSERT INTO names VALUES ($1)", "a");
        batch.emplace_back("INSERT INTO names VALUES ($1)", "a");  // duplicate
        batch.emplace_back("INSERT INTO names VALUES ($1)", "b");
        batch.emplace_back("INSERT INTO names VALUES ($1)", "c", "extra argument");
        batch.emplace_back("SELECT count(*) FROM names");
        co_return co_await s.run_batch(std::move(batch));
    });
    ASSERT_EQ(entries.size(), 5u);
    EXPECT_FALSE(entries[0].error);
    EXPECT_THROW(entries[1].get(), unique_violation);
    EXPECT_FALSE(entries[2].error);  // its neighbour's failure neither failed nor rolled it back
    EXPECT_THROW(entries[3].get(), keel::db::error);
    EXPECT_EQ(entries[4].get()[0].as<std::int64_t>(), 2);
    EXPECT_EQ(count_names(), 2);
}

TEST_P(batch_test, all_or_nothing_outside_a_transaction_commits_all_or_none)
{
    auto batch_of = [](std::vector<std::string> names) {
        std::vector<statement> batch;
        for (const auto& name : names)
            batch.emplace_back("INSERT INTO names VALUES ($1) RETURNING name", name);
        return batch;
    };
    // Batches built outside the coroutines: see README on g++ 12 and literals in coroutines.
    auto duplicate = batch_of({"a", "a", "b"});
    auto wrong_count = batch_of({"c"});
    wrong_count.emplace_back("INSERT INTO names VALUES ($1)", "d", "extra argument");
    auto two = batch_of({"c", "d"});
    auto failed = keel::block_on([&]() -> task<std::vector<batch_entry>> {
        auto s = database_->make_session();
        auto out = co_await s.run_batch(std::move(duplicate), batch_commit::all_or_nothing);
        EXPECT_FALSE(s.in_transaction());
        co_return out;
    });
    EXPECT_FALSE(failed[0].error);  // it ran, and was undone with the rest
    EXPECT_THROW(failed[1].get(), unique_violation);
    try {
        failed[2].get();
        ADD_FAILURE() << "a statement after the failure reported success";
    } catch (const keel::db::error& e) {
        EXPECT_EQ(e.sqlstate(), "25P02");
    }
    EXPECT_EQ(count_names(), 0);
    // A wrong argument count: nothing persists (PostgreSQL finds it before sending anything).
    auto refused = keel::block_on([&]() -> task<std::vector<batch_entry>> {
        auto s = database_->make_session();
        co_return co_await s.run_batch(std::move(wrong_count), batch_commit::all_or_nothing);
    });
    EXPECT_THROW(refused[1].get(), keel::db::error);
    EXPECT_EQ(count_names(), 0);
    auto fine = keel::block_on([&]() -> task<std::vector<batch_entry>> {
        auto s = database_->make_session();
        co_return co_await s.run_batch(std::move(two), batch_commit::all_or_nothing);
    });
    EXPECT_EQ(fine[1].get()[0].as<std::string>(), "d");
    EXPECT_EQ(count_names(), 2);
}

TEST_P(batch_test, inside_a_transaction_the_batch_joins_it)
{
    auto entries = keel::block_on([&]() -> task<std::vector<batch_entry>> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO names VALUES ($1)", "first");
        std::vector<statement> batch;
        batch.emplace_back("INSERT INTO names VALUES ($1)", "x");
        batch.emplace_back("INSERT INTO names VALUES ($1)", "x");
        batch.emplace_back("INSERT INTO names VALUES ($1)", "y");
        auto out = co_await s.run_batch(std::move(batch));
        EXPECT_TRUE(s.in_transaction());
        co_await s.rollback();  // everything goes, as one transaction
        co_return out;
    });
    EXPECT_FALSE(entries[0].error);
    EXPECT_THROW(entries[1].get(), unique_violation);
    // The failure aborted the transaction (on SQLite too): the statement after it says so.
    try {
        entries[2].get();
        ADD_FAILURE() << "a statement after the failure reported success";
    } catch (const keel::db::error& e) {
        EXPECT_EQ(e.sqlstate(), "25P02");
    }
    EXPECT_EQ(count_names(), 0);
}

TEST_P(batch_test, one_each_reports_a_miss_after_every_statement_ran)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        const std::vector<std::int64_t> ids{1, 9999, 2}, none;
        EXPECT_THROW(co_await s.one_each<world>(world_by_id, ids), no_result);
        auto empty = co_await s.one_each<world>(world_by_id, none);
        EXPECT_TRUE(empty.empty());
    });
}

TEST_P(batch_test, the_session_is_usable_after_a_batch)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        const std::vector<int> ids{1, 2, 3};
        co_await s.one_each<world>(world_by_id, ids);
        co_await s.execute("INSERT INTO names VALUES ($1)", "after");
        co_await s.commit();
    });
    EXPECT_EQ(count_names(), 1);
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(batch_test);

}  // namespace

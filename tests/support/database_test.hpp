#pragma once
// A test suite parameterised over every backend: a fresh database and pool per test.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <keel/core/block_on.hpp>
#include <keel/db/pool.hpp>

#include <keel/testing/databases.hpp>

namespace keel::testing {

class database_test : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override
    {
        quiet_logs();
        settings_ = fresh_database(GetParam());
        database_.emplace(db::pool::open(settings_));
    }
    void TearDown() override { database_->close(); }

    bool postgres() const { return GetParam() == backend::postgres || GetParam() == backend::postgres_pipelined; }
    /// Opens the pool again with `settings_` as the test changed them.
    void reopen()
    {
        database_->close();
        database_.emplace(db::pool::open(settings_));
    }
    /// Opens the pool again with one connection: what the test ends must free that very one.
    void reopen_with_one_connection()
    {
        settings_.pool_size = 1;
        settings_.max_overflow = 0;
        reopen();
    }
    /// A statement that runs until something stops it: a minute's sleep on PostgreSQL, rows
    /// without end on SQLite.
    std::string endless_statement() const
    {
        return postgres() ? "SELECT pg_sleep(60)"
                          : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    }
    /// Runs the statements in one committed transaction (schema and fixtures).
    void run_all(const std::vector<std::string>& statements)
    {
        block_on([&]() -> task<void> {
            auto s = database_->make_session();
            for (const auto& sql : statements)
                co_await s.execute(sql);
            co_await s.commit();
        });
    }
    /// The one value `sql` returns, read in a session of its own.
    std::int64_t scalar(const std::string& sql)
    {
        return block_on([&]() -> task<std::int64_t> {
            auto s = database_->make_session();
            auto value = co_await s.one<std::int64_t>(sql);
            co_await s.rollback();
            co_return value;
        });
    }

    db::database_settings settings_;
    std::optional<db::pool> database_;
};

/// Instantiates a database_test suite for every backend, named after it.
#define KEEL_INSTANTIATE_FOR_EVERY_BACKEND(suite)                                                  \
    INSTANTIATE_TEST_SUITE_P(backends, suite, ::testing::ValuesIn(::keel::testing::all_backends()), \
                             [](const auto& info) { return ::keel::testing::backend_name(info.param); })

}  // namespace keel::testing

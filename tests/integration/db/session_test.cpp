// The driver-neutral session API against every backend.
#include <atomic>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>

#include "support/database_test.hpp"

namespace {

namespace asio = boost::asio;
using keel::task;
using namespace keel::db;
using keel::testing::backend;

struct item {
    std::int64_t id = 0;
    std::string name;
    std::optional<double> price;
    keel::timestamp created;
};
BOOST_DESCRIBE_STRUCT(item, (), (id, name, price, created))

// Runs `count` coroutines made by `make(i)` on `threads` io_contexts, one thread each (as the
// server does), and rethrows the first failure.
template <class Make>
void run_concurrently(std::size_t count, std::size_t threads, Make make)
{
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (std::size_t t = 0; t < threads; ++t)
        contexts.push_back(std::make_unique<asio::io_context>(1));
    std::mutex failure_mutex;
    std::exception_ptr failure;
    for (std::size_t i = 0; i < count; ++i)
        asio::co_spawn(*contexts[i % threads], make(i), [&](std::exception_ptr e) {
            std::lock_guard lock(failure_mutex);
            if (e && !failure)
                failure = e;
        });
    std::vector<std::thread> runners;
    for (auto& c : contexts)
        runners.emplace_back([&c] { c->run(); });
    for (auto& r : runners)
        r.join();
    if (failure)
        std::rethrow_exception(failure);
}

class session_test : public keel::testing::database_test {
protected:
    void SetUp() override
    {
        database_test::SetUp();
        create_tables();
    }
    /// Again after reopen(): an in-memory database ends with its pool.
    void create_tables()
    {
        const bool pg = postgres();
        run_all({std::string("CREATE TABLE IF NOT EXISTS items (") +
                     (pg ? "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY," : "id INTEGER PRIMARY KEY,") +
                     " name TEXT NOT NULL UNIQUE, price DOUBLE PRECISION," +
                     (pg ? " created TIMESTAMPTZ NOT NULL DEFAULT now())" : " created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"),
                 "CREATE TABLE IF NOT EXISTS tags (item_id BIGINT NOT NULL REFERENCES items(id), tag TEXT NOT NULL)"});
    }
    std::int64_t count_items() { return scalar("SELECT count(*) FROM items"); }
    /// A write into items that runs until statement_timeout ends it.
    std::string endless_write() const
    {
        return postgres() ? "INSERT INTO items (name) SELECT 'late' FROM pg_sleep(60)"
                          : "INSERT INTO items (name) SELECT 'n' || x FROM "
                            "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c)";
    }
};

TEST_P(session_test, typed_round_trip)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        auto inserted = co_await s.one<item>(
            "INSERT INTO items (name, price) VALUES ($1, $2) RETURNING id, name, price, created", "pen", 1.5);
        EXPECT_EQ(inserted.name, "pen");
        EXPECT_EQ(inserted.price, 1.5);
        co_await s.execute("INSERT INTO items (name, price) VALUES ($1, $2)", std::string("ink"), std::optional<double>());
        auto all = co_await s.all<item>("SELECT id, name, price, created FROM items ORDER BY id");
        EXPECT_EQ(all.size(), 2u);
        EXPECT_FALSE(all[1].price);
        auto missing = co_await s.maybe<item>("SELECT id, name, price, created FROM items WHERE id = $1", 999);
        EXPECT_FALSE(missing);
        auto r = co_await s.execute("UPDATE items SET price = $2 WHERE name = $1", "ink", 3);
        EXPECT_EQ(r.affected_rows(), 1);
        // $n picks the argument by number, wherever it stands
        auto swapped = co_await s.one<std::string>("SELECT CAST($2 AS TEXT) || CAST($1 AS TEXT)", "a", "b");
        EXPECT_EQ(swapped, "ba");
        co_await s.commit();
    });
    EXPECT_EQ(count_items(), 2);
}

TEST_P(session_test, knows_its_backend)
{
    auto s = database_->make_session();
    EXPECT_EQ(s.kind(), postgres() ? keel::db::backend::postgresql : keel::db::backend::sqlite);
    EXPECT_EQ(s.kind(), database_->kind());
}

TEST_P(session_test, unique_violation_is_typed)
{
    const bool pg = postgres();
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "pen");
        try {
            co_await s.execute("INSERT INTO items (name) VALUES ($1)", "pen");
            ADD_FAILURE() << "expected unique_violation";
        } catch (const unique_violation& e) {
            EXPECT_EQ(e.sqlstate(), "23505");
            EXPECT_EQ(e.constraint(), pg ? "items_name_key" : "items.name");
        }
        // The error aborted the whole transaction (SQLite's too: keel reports it as PostgreSQL
        // does); committing it must not pretend to succeed.
        try {
            co_await s.commit();
            ADD_FAILURE() << "commit of an aborted transaction succeeded";
        } catch (const keel::db::error& e) {
            EXPECT_EQ(e.sqlstate(), "25P02");
        }
    });
    EXPECT_EQ(count_items(), 0);
}

TEST_P(session_test, foreign_keys_are_enforced)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        try {
            co_await s.execute("INSERT INTO tags (item_id, tag) VALUES ($1, $2)", 12345, "x");
            ADD_FAILURE() << "expected foreign_key_violation";
        } catch (const foreign_key_violation& e) {
            EXPECT_EQ(e.sqlstate(), "23503");
        }
        co_await s.rollback();
    });
}

TEST_P(session_test, rollback_discards_and_commit_keeps)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "gone");
        EXPECT_TRUE(s.in_transaction());
        co_await s.rollback();
        EXPECT_FALSE(s.in_transaction());
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "kept");
        co_await s.commit();
    });
    EXPECT_EQ(count_items(), 1);
}

TEST_P(session_test, a_dropped_session_rolls_back_and_frees_its_connection)
{
    keel::block_on([&]() -> task<void> {
        {
            auto s = database_->make_session();
            co_await s.execute("INSERT INTO items (name) VALUES ($1)", "abandoned");
        }  // destroyed with the transaction open
        co_return;
    });
    EXPECT_EQ(count_items(), 0);
    // The writer lock and the connection came back: another write goes through.
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "next");
        co_await s.commit();
    });
    EXPECT_EQ(count_items(), 1);
}

// Start-up code, a CLI's steps, a test's arrange and act: a session carried from one block_on call
// to the next on the same thread goes on, since the calls share the thread's io_context.
TEST_P(session_test, a_session_goes_on_in_the_next_block_on_call)
{
    std::optional<keel::db::session> s;
    keel::block_on([&]() -> task<void> {
        s.emplace(database_->make_session());
        co_await s->execute("INSERT INTO items (name) VALUES ($1)", "first");
    });
    keel::block_on([&]() -> task<void> {
        co_await s->execute("INSERT INTO items (name) VALUES ($1)", "second");
        co_await s->commit();
        s.reset();
    });
    EXPECT_EQ(count_items(), 2);
}

TEST_P(session_test, a_value_larger_than_the_sockets_send_buffer_goes_and_comes_back_whole)
{
    // 16 MiB: more than a socket takes at once, so the driver must wait for it to drain and send
    // the rest (PostgreSQL); the same statement on SQLite for the same answer.
    const std::string big(16 << 20, 'k');
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        EXPECT_EQ(co_await s.one<std::int64_t>("SELECT length(CAST($1 AS TEXT))", big), std::int64_t{16 << 20});
        EXPECT_EQ(co_await s.one<std::string>("SELECT CAST($1 AS TEXT)", big), big);
        co_await s.commit();
    });
}

TEST_P(session_test, mistakes_in_statements_are_errors_not_crashes)
{
    // Each in its own session: on PostgreSQL an error aborts the transaction it happened in.
    auto expect_error = [&](auto statement) {
        keel::block_on([&]() -> task<void> {
            auto s = database_->make_session();
            co_await statement(s);
            co_await s.rollback();
        });
    };
    EXPECT_THROW(expect_error([](session& s) { return s.execute("SELECT CAST($1 AS TEXT), CAST($2 AS TEXT)", 1); }), keel::db::error);
    EXPECT_THROW(expect_error([](session& s) { return s.execute("SELECT CAST($1 AS TEXT)", 1, 2); }), keel::db::error);
    EXPECT_THROW(expect_error([](session& s) { return s.execute("SELEC 1"); }), keel::db::error);
    EXPECT_THROW(expect_error([](session& s) { return s.execute("SELECT 1; SELECT 2"); }), keel::db::error);
    EXPECT_THROW(expect_error([](session& s) { return s.one<std::int64_t>("SELECT 1 WHERE 1 = 0"); }), no_result);
    EXPECT_THROW(expect_error([](session& s) { return s.one<std::int64_t>("SELECT 'x'"); }), decode_error);
    EXPECT_EQ(count_items(), 0);  // and the pool still serves
}

TEST_P(session_test, concurrent_writers_from_many_coroutines_never_see_locked)
{
    // 200 write transactions from 40 coroutines on two threads; SQLite must not answer
    // "database is locked": writers queue in the driver instead.
    run_concurrently(40, 2, [&](std::size_t i) -> task<void> {
        for (int k = 0; k < 5; ++k) {
            auto s = database_->make_session();
            co_await s.execute("INSERT INTO items (name) VALUES ($1)", "item-" + std::to_string(i) + "-" + std::to_string(k));
            co_await s.one<std::int64_t>("SELECT count(*) FROM items");
            co_await s.commit();
        }
    });
    EXPECT_EQ(count_items(), 200);
}

TEST_P(session_test, readers_are_not_blocked_by_an_open_write)
{
    if (GetParam() == backend::sqlite_memory)
        GTEST_SKIP() << "SQLite's memdb VFS has no WAL: its lock is database-wide, so an open write transaction "
                        "holds new readers until it ends (README, 'SQLite in memory')";
    run_concurrently(1, 1, [&](std::size_t) -> task<void> {
        auto writer = database_->make_session();
        co_await writer.execute("INSERT INTO items (name) VALUES ($1)", "uncommitted");
        auto reader = database_->make_session();
        // The reader sees the last committed state and is not kept waiting by the writer.
        auto n = co_await reader.one<std::int64_t>("SELECT count(*) FROM items");
        EXPECT_EQ(n, 0);
        co_await reader.rollback();
        co_await writer.commit();
    });
    EXPECT_EQ(count_items(), 1);
}

TEST_P(session_test, every_connection_of_the_pool_sees_the_same_database)
{
    keel::block_on([&]() -> task<void> {
        auto w = database_->make_session();
        co_await w.execute("INSERT INTO items (name) VALUES ($1)", "shared");
        co_await w.commit();
        // Hold several connections at once: each must see the committed row.
        std::vector<session> held;
        for (int i = 0; i < 4; ++i) {
            held.push_back(database_->make_session());
            EXPECT_EQ(co_await held.back().one<std::int64_t>("SELECT count(*) FROM items"), 1);
        }
        for (auto& s : held)
            co_await s.rollback();
    });
}

TEST_P(session_test, waiting_for_a_connection_ends_in_pool_timeout)
{
    settings_.pool_timeout = std::chrono::milliseconds(200);
    reopen_with_one_connection();
    keel::block_on([&]() -> task<void> {
        auto holder = database_->make_session();
        co_await holder.execute("SELECT 1");
        auto waiter = database_->make_session();
        const auto started = std::chrono::steady_clock::now();
        EXPECT_THROW(co_await waiter.execute("SELECT 1"), pool_timeout);
        EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(150));
        co_await holder.rollback();
        co_await waiter.execute("SELECT 1");  // the freed connection serves the next one
        co_await waiter.rollback();
    });
}

// What a request's deadline does to its statement: cancelling the coroutine that awaits it ends a
// statement that would otherwise run for minutes, and the pool's one connection serves the next
// session.
TEST_P(session_test, a_cancelled_statement_ends_early_and_its_connection_serves_the_next)
{
    reopen_with_one_connection();
    EXPECT_EQ(scalar("SELECT 1"), 1);  // the connection is open: the statement goes out at once
    asio::io_context io(1);
    asio::cancellation_signal cancel;
    auto ended = asio::co_spawn(
        io,
        [&]() -> task<void> {
            auto s = database_->make_session();
            co_await s.execute(endless_statement());
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
    io.poll();  // the statement is on its way, and the coroutine waits for it
    cancel.emit(asio::cancellation_type::terminal);
    io.run();
    EXPECT_THROW(ended.get(), boost::system::system_error);  // operation_aborted, as any cancelled operation
    EXPECT_EQ(scalar("SELECT 2"), 2);
}

TEST_P(session_test, a_statement_past_statement_timeout_ends_with_statement_timeout)
{
    settings_.statement_timeout = std::chrono::milliseconds(200);
    reopen_with_one_connection();
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        EXPECT_THROW(co_await s.execute(endless_statement()), statement_timeout);
        co_await s.rollback();
    });
    EXPECT_EQ(scalar("SELECT 2"), 2);  // the one connection serves the next session
}

// A write that runs past statement_timeout inside a transaction ends the transaction on every
// backend (PostgreSQL aborts it, SQLite rolls it back itself): the next statement and the commit
// say so (25P02) instead of going on without what the transaction had written.
TEST_P(session_test, a_transaction_whose_write_timed_out_reports_itself_aborted)
{
    settings_.statement_timeout = std::chrono::milliseconds(200);
    reopen();
    create_tables();
    const std::string endless_write = this->endless_write();
    std::string next_statement, commit;
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "first");
        EXPECT_THROW(co_await s.execute(endless_write), statement_timeout);
        EXPECT_TRUE(s.in_transaction());  // until rolled back, as a request's rollback needs to know
        try {
            co_await s.execute("SELECT 1");
        } catch (const error& e) {
            next_statement = e.sqlstate();
        }
        try {
            co_await s.commit();
        } catch (const error& e) {
            commit = e.sqlstate();
        }
    });
    EXPECT_EQ(next_statement, "25P02");
    EXPECT_EQ(commit, "25P02");
    EXPECT_EQ(count_items(), 0);
    keel::block_on([&]() -> task<void> {  // a ROLLBACK statement ends it too (the migrator's way)
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "second");
        EXPECT_THROW(co_await s.execute(endless_write), statement_timeout);
        co_await s.execute("ROLLBACK");
        EXPECT_FALSE(s.in_transaction());
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "next");  // the writer's lock came back
        co_await s.commit();
    });
    EXPECT_EQ(count_items(), 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM items WHERE name = 'next'"), 1);
}

// SQLite ends the whole transaction when a write is interrupted, so undoing the savepoint fails
// too (25P02); the error that says why is the timeout's (503), not the undo's (500).
TEST_P(session_test, a_write_that_times_out_inside_a_savepoint_reports_the_timeout)
{
    settings_.statement_timeout = std::chrono::milliseconds(200);
    reopen();
    create_tables();
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        co_await s.execute("INSERT INTO items (name) VALUES ($1)", "first");
        EXPECT_THROW(co_await s.savepoint([&]() -> task<void> { co_await s.execute(endless_write()); }), statement_timeout);
        co_await s.rollback();
    });
    EXPECT_EQ(count_items(), 0);
}

TEST_P(session_test, a_closed_pool_refuses_with_connection_error)
{
    database_->close();
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        EXPECT_THROW(co_await s.execute("SELECT 1"), connection_error);
        EXPECT_THROW(co_await database_->ping(), connection_error);
    });
}

TEST_P(session_test, ping_answers_while_the_database_is_up)
{
    EXPECT_NO_THROW(keel::block_on([&]() -> task<void> { co_await database_->ping(); }));
}

// The tasks are lazy: what they are given must still be there when they run.
TEST_P(session_test, a_task_made_from_temporary_sql_owns_its_text)
{
    keel::block_on([&]() -> task<void> {
        auto s = database_->make_session();
        auto text = std::make_unique<std::string>("SELECT 40 + $1");
        auto sum = s.one<std::int64_t>(*text, 2);
        auto rows = s.execute(std::string("SELECT 1 WHERE 1 = $1"), 1);
        std::fill(text->begin(), text->end(), 'x');  // what a freed string's memory may hold
        text.reset();
        EXPECT_EQ(co_await std::move(sum), 42);
        EXPECT_EQ((co_await std::move(rows)).size(), 1u);
        co_await s.rollback();
    });
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(session_test);

TEST(sqlite_pool, an_unopenable_file_fails_at_start_up_with_the_path)
{
    database_settings s;
    s.database_url = url::parse("sqlite:////nonexistent-dir/x.db");
    try {
        pool::open(s);
        FAIL();
    } catch (const connection_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.db"), std::string::npos) << e.what();
    }
}

TEST(sqlite_pool, memory_databases_of_two_pools_are_separate)
{
    auto a = pool::open(keel::testing::fresh_database(backend::sqlite_memory));
    auto b = pool::open(keel::testing::fresh_database(backend::sqlite_memory));
    keel::block_on([&]() -> task<void> {
        auto s = a.make_session();
        co_await s.execute("CREATE TABLE only_in_a (x INTEGER)");
        co_await s.commit();
        auto t = b.make_session();
        EXPECT_THROW(co_await t.execute("SELECT * FROM only_in_a"), keel::db::error);
        co_await t.rollback();
    });
}

}  // namespace

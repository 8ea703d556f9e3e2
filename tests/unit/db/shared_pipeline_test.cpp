// shared_pipeline against a scripted link instead of a socket: which session gets which results,
// what a lost connection fails, when preparation and close() happen. The io_context is run by
// hand; nothing sleeps, and every test ends with the io_context out of work (TearDown), so a
// session or reader left waiting fails the test instead of hanging it.
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <keel/db/errors.hpp>

#include "db/driver.hpp"
#include "db/postgres/shared_pipeline.hpp"

namespace {

namespace asio = boost::asio;
using namespace keel::db;
using keel::task;
using keel::db::postgres::pipeline_link;
using keel::db::postgres::shared_pipeline;

constexpr const char* echo = "SELECT $1";       // cached on every new link (fake_link)
constexpr const char* fresh = "SELECT $1 + 0";  // never cached: needs preparation
constexpr const char* bad_sql = "SELEC $1";     // preparation fails (42601)

/// How the server answers one batch: the Nth batch read gets script[N] (rows once it runs out).
struct answer {
    enum class kind { rows, statement_error, lost } what = kind::rows;
    std::size_t entry = 0;  // which entry raises unique_violation (statement_error)
};
answer fails_at(std::size_t entry) { return {answer::kind::statement_error, entry}; }
answer lost() { return {answer::kind::lost}; }

/// One coroutine parked until the test lets it go, or just for a turn of the io_context (what a
/// socket wait looks like to the others: they run meanwhile).
class parking {
public:
    explicit parking(asio::any_io_executor executor) : executor_(std::move(executor)) {}
    task<void> wait(bool hold)
    {
        return asio::async_initiate<decltype(asio::use_awaitable), void()>(
            [this, hold](auto handler) {
                if (hold)
                    parked_.emplace(std::move(handler));
                else
                    asio::post(executor_, std::move(handler));
            },
            asio::use_awaitable);
    }
    bool occupied() const { return parked_.has_value(); }
    void release()
    {
        if (parked_)
            asio::post(executor_, std::exchange(parked_, std::nullopt).value());
    }

private:
    asio::any_io_executor executor_;
    std::optional<asio::any_completion_handler<void()>> parked_;
};

class fake_link;

/// What every link of one test shares: the script, what the test holds back, and the log of calls.
struct fake_server {
    explicit fake_server(asio::any_io_executor executor) : executor(executor), opening(executor), reading(executor) {}
    task<std::unique_ptr<pipeline_link>> open();
    void give_back(std::unique_ptr<pipeline_link> link);
    answer next_answer()
    {
        const answer next = script.empty() ? answer{} : script.front();
        if (!script.empty())
            script.pop_front();
        return next;
    }

    asio::any_io_executor executor;
    std::deque<answer> script;
    int send_fails_at = 0;  // the Nth send_each (1-based) throws connection_error; 0: none
    int sends = 0;
    std::vector<std::string> output;  // what reached the links' sockets: sends, holds and releases
    int opens_failing = 0;  // so many opens throw connection_error first
    bool hold_reads = false, hold_opens = false;
    parking opening, reading;  // the open and the read held back, if any (one reader at a time)
    std::vector<fake_link*> links;                         // every link opened, in order
    std::vector<std::unique_ptr<pipeline_link>> returned;  // given back: kept alive for the checks
    std::vector<std::string> log;
};

std::string names(const std::vector<statement>& statements)
{
    std::string out;
    for (const auto& st : statements)
        out += (out.empty() ? "" : ",") + std::to_string(std::get<std::int64_t>(st.params.at(0)));
    return out;
}

/// Answers each statement with its first argument, as one row, unless the script says otherwise.
class fake_link final : public pipeline_link {
public:
    fake_link(fake_server& server, int id) : server_(server), name_("L" + std::to_string(id))
    {
        plans_.emplace(echo, prepared{"s1", 1});
    }
    std::optional<plan_list> cached_plans(const std::vector<statement>& statements) const override
    {
        plan_list plans;
        for (const auto& st : statements) {
            auto it = plans_.find(st.sql);
            if (it == plans_.end())
                return std::nullopt;
            plans.push_back(&it->second);
        }
        return plans;
    }
    task<plan_list> prepare_all(const std::vector<statement>& statements) override
    {
        record("prepare " + names(statements));
        EXPECT_FALSE(in_pipeline_) << "prepared in pipeline mode";
        co_await server_.reading.wait(false);  // a round trip
        plan_list plans;
        for (const auto& st : statements) {
            if (st.sql == bad_sql)
                throw error("syntax error at or near \"SELEC\"", "42601");
            auto [it, added] = plans_.emplace(st.sql, prepared{"s" + std::to_string(plans_.size() + 1), 1});
            plans.push_back(&it->second);
        }
        co_return plans;
    }
    std::vector<bool> send_each(const std::vector<statement>& statements, const plan_list& plans,
                                std::vector<batch_entry>& entries, batch_commit mode) override
    {
        record("send " + names(statements) + (mode == batch_commit::all_or_nothing ? " together" : ""));
        EXPECT_TRUE(in_pipeline_) << "sent outside pipeline mode";
        EXPECT_EQ(plans, *cached_plans(statements)) << "sent without the cached plans";
        EXPECT_EQ(entries.size(), statements.size());
        server_.output.push_back(name_ + " send " + names(statements));
        if (++server_.sends == server_.send_fails_at)
            lose("lost while sending");
        auto& echoed = unread_.emplace_back();
        for (const auto& st : statements)
            echoed.push_back(st.params.at(0));
        return std::vector<bool>(statements.size(), true);
    }
    task<void> read_each(std::vector<batch_entry>& entries, const std::vector<bool>& sent, batch_commit mode) override;
    void enter_pipeline() override
    {
        record("enter");
        in_pipeline_ = true;
    }
    void leave_pipeline() override
    {
        record("leave");
        EXPECT_TRUE(unread_.empty()) << "left pipeline mode with results unread";
        EXPECT_FALSE(held_) << "left pipeline mode with its output held";
        in_pipeline_ = false;
    }
    void interrupt() override
    {
        record("interrupt");
        interrupted_ = true;
        server_.reading.release();  // as a cancelled socket wait: the reader wakes up to an error
    }
    bool broken() const noexcept override { return broken_; }
    std::chrono::steady_clock::time_point opened_at() const noexcept override { return opened_at_; }
    void rest() override { record("rest"); }
    void hold_output(bool hold) override
    {
        server_.output.push_back(name_ + (hold ? " hold" : " release"));
        held_ = hold;
    }
    bool held() const { return held_; }

    bool in_pipeline() const { return in_pipeline_; }
    const std::string& name() const { return name_; }

private:
    void record(const std::string& what) { server_.log.push_back(name_ + " " + what); }
    [[noreturn]] void lose(const char* why)
    {
        broken_ = true;
        throw connection_error(std::string("PostgreSQL connection ") + why, "08006");
    }

    fake_server& server_;
    std::string name_;
    std::map<std::string, prepared, std::less<>> plans_;
    std::deque<std::vector<value>> unread_;  // per batch sent and not read: each statement's first argument
    std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();
    bool in_pipeline_ = false, broken_ = false, interrupted_ = false, held_ = false;
};

// As PostgreSQL answers: each statement's rows; the failing one its error; in an all-or-nothing
// batch, every later one PIPELINE_ABORTED (25P02).
task<void> fake_link::read_each(std::vector<batch_entry>& entries, const std::vector<bool>& sent, batch_commit mode)
{
    EXPECT_TRUE(std::all_of(sent.begin(), sent.end(), [](bool s) { return s; }));
    co_await server_.reading.wait(server_.hold_reads && !interrupted_);
    if (interrupted_)
        lose("interrupted");
    EXPECT_FALSE(unread_.empty()) << "read a batch never sent";
    const auto echoed = std::move(unread_.front());
    unread_.pop_front();
    const auto a = server_.next_answer();
    record(a.what == answer::kind::lost ? "read lost" : "read ok");
    if (a.what == answer::kind::lost)
        lose("lost");
    const bool failing = a.what == answer::kind::statement_error;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (failing && i == a.entry)
            entries[i].error = std::make_exception_ptr(
                unique_violation("duplicate key value violates unique constraint \"item_pkey\"", "23505", "item_pkey"));
        else if (failing && i > a.entry && mode == batch_commit::all_or_nothing)
            entries[i].error = keel::db::detail::not_run_error();
        else
            entries[i].rows = result({"v"}, {echoed[i]}, 0);
    }
}

task<std::unique_ptr<pipeline_link>> fake_server::open()
{
    log.push_back("open");
    co_await opening.wait(hold_opens);
    if (opens_failing > 0) {
        --opens_failing;
        throw connection_error("could not connect to server: Connection refused", "08001");
    }
    auto link = std::make_unique<fake_link>(*this, static_cast<int>(links.size()) + 1);
    links.push_back(link.get());
    co_return link;
}

void fake_server::give_back(std::unique_ptr<pipeline_link> link)
{
    auto& fake = static_cast<fake_link&>(*link);
    EXPECT_FALSE(fake.held()) << "given back with its output held";
    const char* state = fake.broken() ? "broken" : fake.in_pipeline() ? "in pipeline" : "idle";
    log.push_back(fake.name() + " given back " + state);
    returned.push_back(std::move(link));
}

/// What one session's run() came to.
struct outcome {
    bool done = false;
    std::vector<batch_entry> entries;
    std::exception_ptr error;
};

task<void> session(std::shared_ptr<shared_pipeline> pipeline, std::vector<statement> statements, batch_commit mode,
                   outcome& out)
{
    try {
        out.entries = co_await pipeline->run(statements, mode);
    } catch (const error&) {
        out.error = std::current_exception();
    }
    out.done = true;
}

/// One statement per value, each answered with its value.
std::vector<statement> statements(std::initializer_list<std::int64_t> values, const char* sql = echo)
{
    std::vector<statement> out;
    for (auto v : values)
        out.emplace_back(sql, v);
    return out;
}

/// What a session got, as one line: each entry's value or error ("1 unique_violation 25P02"), the
/// error that failed the whole run ("connection_error 08006"), or "waiting".
std::string summary(const outcome& o)
{
    const auto error_name = [](const std::exception_ptr& e) -> std::string {
        try {
            std::rethrow_exception(e);
        } catch (const unique_violation&) {
            return "unique_violation";
        } catch (const connection_error& c) {
            return "connection_error " + c.sqlstate();
        } catch (const error& other) {
            return other.sqlstate();
        }
    };
    if (!o.done)
        return "waiting";
    if (o.error)
        return error_name(o.error);
    std::string out;
    for (const auto& entry : o.entries)
        out += (out.empty() ? "" : " ") +
               (entry.error ? error_name(entry.error) : std::to_string(entry.get()[0].as<std::int64_t>()));
    return out;
}

class shared_pipeline_test : public ::testing::Test {
protected:
    void TearDown() override
    {
        settle();
        EXPECT_TRUE(ioc_.stopped()) << "a coroutine still waits";
        for (const auto& o : outcomes_)
            EXPECT_TRUE(o.done) << "a session never finished";
    }
    /// Starts one session's run() (it begins at the next settle()).
    outcome& start(std::vector<statement> batch, batch_commit mode = batch_commit::each)
    {
        auto& out = outcomes_.emplace_back();
        asio::co_spawn(ioc_, session(pipeline_, std::move(batch), mode, out), asio::detached);
        return out;
    }
    /// Runs everything ready; what waits for the test stays waiting.
    void settle()
    {
        ioc_.restart();
        ioc_.poll();
    }
    /// Lets the held read go: one batch answered.
    void answer_one()
    {
        EXPECT_TRUE(server_.reading.occupied()) << "no read is held";
        server_.reading.release();
        settle();
    }
    /// The log from the first entry equal to `from` on (the whole log if absent).
    std::vector<std::string> log_from(const std::string& from) const
    {
        auto it = std::find(server_.log.begin(), server_.log.end(), from);
        return {it == server_.log.end() ? server_.log.begin() : it, server_.log.end()};
    }

    asio::io_context ioc_;
    fake_server server_{ioc_.get_executor()};
    std::shared_ptr<shared_pipeline> pipeline_ = std::make_shared<shared_pipeline>(
        ioc_.get_executor(), [this] { return server_.open(); },
        [this](std::unique_ptr<pipeline_link> l) { server_.give_back(std::move(l)); }, std::chrono::milliseconds(0));
    std::deque<outcome> outcomes_;
};

using log_lines = std::vector<std::string>;

TEST_F(shared_pipeline_test, concurrent_sessions_get_their_own_results_in_order_and_close_gives_the_link_back)
{
    server_.hold_reads = true;
    auto& a = start(statements({1, 2}));
    auto& b = start(statements({3}));
    auto& c = start(statements({4, 5, 6}));
    settle();
    // One link, all three batches sent before any result is read.
    EXPECT_EQ(server_.log, (log_lines{"open", "L1 enter", "L1 send 1,2", "L1 send 3", "L1 send 4,5,6"}));
    answer_one();
    EXPECT_EQ(summary(a), "1 2");
    EXPECT_EQ(summary(b), "waiting");
    answer_one();
    answer_one();
    EXPECT_EQ(summary(b), "3");
    EXPECT_EQ(summary(c), "4 5 6");
    pipeline_->close();  // idle: the link goes back at once, out of pipeline mode so that the lane can keep it
    EXPECT_EQ(log_from("L1 read ok"), (log_lines{"L1 read ok", "L1 read ok", "L1 read ok", "L1 rest", "L1 leave",
                                                 "L1 given back idle"}));
}

TEST_F(shared_pipeline_test, a_statement_error_touches_only_its_entry_or_in_all_or_nothing_the_rest_of_its_batch)
{
    server_.script = {fails_at(1), fails_at(1)};
    auto& a = start(statements({1, 2, 3}));
    auto& b = start(statements({4, 5, 6}), batch_commit::all_or_nothing);
    auto& c = start(statements({7}));
    settle();
    EXPECT_EQ(summary(a), "1 unique_violation 3");
    EXPECT_EQ(summary(b), "4 unique_violation 25P02");
    EXPECT_EQ(summary(c), "7");
    auto& d = start(statements({8}));  // the link is still good
    settle();
    EXPECT_EQ(summary(d), "8");
    EXPECT_EQ(server_.log, (log_lines{"open", "L1 enter", "L1 send 1,2,3", "L1 send 4,5,6 together", "L1 send 7",
                                      "L1 read ok", "L1 read ok", "L1 read ok", "L1 rest", "L1 send 8", "L1 read ok",
                                      "L1 rest"}));
}

TEST_F(shared_pipeline_test, a_lost_connection_fails_every_batch_in_flight_and_the_next_run_opens_a_new_link)
{
    server_.hold_reads = true;
    server_.script = {answer{}, lost()};
    auto& a = start(statements({1}));
    auto& b = start(statements({2}));
    auto& c = start(statements({3}));
    settle();
    answer_one();
    answer_one();  // the connection drops while b's results are read
    EXPECT_EQ(summary(a), "1");
    EXPECT_EQ(summary(b), "connection_error 08006");
    EXPECT_EQ(summary(c), "connection_error 08006");
    server_.hold_reads = false;
    auto& d = start(statements({4}));
    settle();
    EXPECT_EQ(summary(d), "4");
    EXPECT_EQ(log_from("L1 read lost"), (log_lines{"L1 read lost", "L1 given back broken", "open", "L2 enter",
                                                   "L2 send 4", "L2 read ok", "L2 rest"}));
}

TEST_F(shared_pipeline_test, from_the_eighth_batch_of_a_turn_the_output_is_held_until_the_turn_ends)
{
    server_.hold_reads = true;
    std::vector<outcome*> sessions;
    for (std::int64_t i = 1; i <= 10; ++i)
        sessions.push_back(&start(statements({i})));
    settle();  // one turn: the link opens, then all ten are sent
    EXPECT_EQ(server_.output, (log_lines{"L1 send 1", "L1 send 2", "L1 send 3", "L1 send 4", "L1 send 5", "L1 send 6",
                                         "L1 send 7", "L1 hold", "L1 send 8", "L1 send 9", "L1 send 10",
                                         "L1 release"}));
    for (int i = 0; i < 10; ++i)
        answer_one();
    for (std::int64_t i = 1; i <= 10; ++i)
        EXPECT_EQ(summary(*sessions[i - 1]), std::to_string(i));
}

TEST_F(shared_pipeline_test, a_connection_lost_while_its_output_is_held_is_released_before_it_is_given_back)
{
    server_.hold_reads = true;
    server_.script = {lost()};
    auto& first = start(statements({1}));
    settle();
    // In one turn: eight more are sent behind the first (the last of them held), then the reader
    // finds the connection lost before the turn's end would have released the hold.
    std::vector<outcome*> behind;
    for (std::int64_t i = 2; i <= 9; ++i)
        behind.push_back(&start(statements({i})));
    server_.reading.release();
    settle();
    EXPECT_EQ(summary(first), "connection_error 08006");
    for (const auto* b : behind)
        EXPECT_EQ(summary(*b), "connection_error 08006");
    EXPECT_EQ(server_.output, (log_lines{"L1 send 1", "L1 send 2", "L1 send 3", "L1 send 4", "L1 send 5", "L1 send 6",
                                         "L1 send 7", "L1 send 8", "L1 hold", "L1 send 9", "L1 release"}));
    EXPECT_EQ(server_.log.back(), "L1 given back broken");  // and give_back checked it was not held
}

TEST_F(shared_pipeline_test, a_lost_connection_spares_a_batch_still_waiting_to_be_prepared)
{
    server_.hold_reads = true;
    server_.script = {lost()};
    auto& a = start(statements({1}));
    auto& p = start(statements({7}, fresh));
    settle();
    EXPECT_EQ(server_.log.back(), "L1 send 1");  // p waits for the pipeline to drain
    server_.hold_reads = false;
    answer_one();
    EXPECT_EQ(summary(a), "connection_error 08006");
    EXPECT_EQ(summary(p), "7");
    EXPECT_EQ(log_from("L1 read lost"),
              (log_lines{"L1 read lost", "L1 given back broken", "open", "L2 enter", "L2 leave", "L2 prepare 7",
                         "L2 enter", "L2 send 7", "L2 read ok", "L2 rest"}));
}

TEST_F(shared_pipeline_test, a_batch_needing_preparation_waits_for_the_pipeline_to_drain_then_runs)
{
    server_.hold_reads = true;
    auto& a = start(statements({1}));
    auto& b = start(statements({2}));
    settle();
    auto& p = start(statements({7, 8}, fresh));
    auto& d = start(statements({3}));  // needs no preparation, but waits behind p
    settle();
    EXPECT_EQ(server_.log.back(), "L1 send 2");
    for (int read = 0; read < 4; ++read)
        answer_one();
    EXPECT_EQ(summary(a) + "|" + summary(b) + "|" + summary(p) + "|" + summary(d), "1|2|7 8|3");
    EXPECT_EQ(log_from("L1 read ok"),
              (log_lines{"L1 read ok", "L1 read ok", "L1 rest", "L1 leave", "L1 prepare 7,8", "L1 enter", "L1 send 7,8",
                         "L1 send 3", "L1 read ok", "L1 read ok", "L1 rest"}));
}

TEST_F(shared_pipeline_test, a_statement_that_cannot_be_prepared_fails_its_run_and_keeps_the_link)
{
    auto& bad = start(statements({1}, bad_sql));
    settle();
    EXPECT_EQ(summary(bad), "42601");
    // Back in pipeline mode, and at rest: no watchdog left armed on an idle link.
    EXPECT_EQ(server_.log, (log_lines{"open", "L1 enter", "L1 leave", "L1 prepare 1", "L1 enter", "L1 rest"}));
    auto& good = start(statements({2}));
    settle();
    EXPECT_EQ(summary(good), "2");
    EXPECT_EQ(server_.links.size(), 1u);
}

TEST_F(shared_pipeline_test, close_with_work_in_flight_gives_the_link_back_once_it_is_answered)
{
    server_.hold_reads = true;
    auto& a = start(statements({1}));
    settle();
    pipeline_->close();
    auto& late = start(statements({2}));
    settle();
    EXPECT_EQ(summary(late), "connection_error 08003");
    EXPECT_EQ(summary(a), "waiting");
    EXPECT_TRUE(server_.returned.empty());
    answer_one();
    EXPECT_EQ(summary(a), "1");
    EXPECT_EQ(log_from("L1 read ok"), (log_lines{"L1 read ok", "L1 rest", "L1 leave", "L1 given back idle"}));
}

TEST_F(shared_pipeline_test, close_while_opening_gives_the_new_link_back)
{
    server_.hold_opens = true;
    auto& a = start(statements({1}));
    settle();
    pipeline_->close();
    server_.opening.release();
    settle();
    EXPECT_EQ(summary(a), "connection_error 08003");
    EXPECT_EQ(server_.log, (log_lines{"open", "L1 given back idle"}));
}

TEST_F(shared_pipeline_test, a_send_failure_fails_the_batches_the_reader_waits_for)
{
    server_.hold_reads = true;
    server_.send_fails_at = 2;
    auto& a = start(statements({1}));
    auto& b = start(statements({2}));
    settle();
    EXPECT_EQ(summary(a), "connection_error 08006");
    EXPECT_EQ(summary(b), "connection_error 08006");
    try {
        std::rethrow_exception(a.error);
    } catch (const connection_error& e) {
        EXPECT_STREQ(e.what(), "PostgreSQL connection lost while sending");  // the cause, not the interruption
    }
    EXPECT_EQ(log_from("L1 send 2"), (log_lines{"L1 send 2", "L1 interrupt", "L1 given back broken"}));
    // With no reader running, the one spawned for the failed batch fails it; the next run reopens.
    server_.hold_reads = false;
    server_.send_fails_at = 3;
    auto& c = start(statements({3}));
    auto& d = start(statements({4}));
    settle();
    EXPECT_EQ(summary(c), "connection_error 08006");
    EXPECT_EQ(summary(d), "4");
    EXPECT_EQ(log_from("open"), (log_lines{"open", "L1 enter", "L1 send 1", "L1 send 2", "L1 interrupt",
                                           "L1 given back broken", "open", "L2 enter", "L2 send 3",
                                           "L2 given back broken", "open", "L3 enter", "L3 send 4", "L3 read ok",
                                           "L3 rest"}));
}

TEST_F(shared_pipeline_test, a_failed_open_fails_only_the_session_that_opened)
{
    server_.opens_failing = 1;
    auto& a = start(statements({1}));
    auto& b = start(statements({2}));  // waits for a's open, then opens itself
    settle();
    EXPECT_EQ(summary(a), "connection_error 08001");
    EXPECT_EQ(summary(b), "2");
    EXPECT_EQ(server_.log, (log_lines{"open", "open", "L1 enter", "L1 send 2", "L1 read ok", "L1 rest"}));
}

}  // namespace

#include "db/postgres/shared_pipeline.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <keel/db/errors.hpp>

namespace keel::db::postgres {

namespace asio = boost::asio;

// Not a coroutine itself: no frame of its own for each statement's wait.
task<void> wakeup::wait()
{
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [this](auto handler) {
            if (fired_)
                resume_soon(std::move(handler));
            else
                resume_.emplace(std::move(handler));
        },
        asio::use_awaitable);
}

// Never inside the caller's frame. Posted as a plain function that calls the handler: posting the
// type-erased handler itself would dispatch it again through its own type-erased executor.
void wakeup::resume_soon(boost::asio::any_completion_handler<void()> resume)
{
    asio::post(executor_, [resume = std::move(resume)]() mutable { std::move(resume)(); });
}

void wakeup::fire()
{
    fired_ = true;
    if (!resume_)
        return;
    resume_soon(std::move(*resume_));
    resume_.reset();
}

shared_pipeline::shared_pipeline(asio::any_io_executor executor,
                                 std::function<task<std::unique_ptr<pipeline_link>>()> open,
                                 std::function<void(std::unique_ptr<pipeline_link>)> give_back,
                                 std::chrono::milliseconds recycle)
    : executor_(std::move(executor)), open_(std::move(open)), give_back_(std::move(give_back)), recycle_(recycle)
{
}

shared_pipeline::~shared_pipeline() = default;

void shared_pipeline::wake_turn_waiters()
{
    auto waiters = std::move(turn_waiters_);
    turn_waiters_.clear();
    for (auto* w : waiters)
        w->fire();
}

task<void> shared_pipeline::wait_turn()
{
    for (;;) {
        if (closed_)
            throw connection_error("the database pool is closed", "08003");
        const bool idle = in_flight_.empty() && !reading_ && !preparing_ && !opening_;
        if (conn_ && idle && recycle_.count() > 0 && std::chrono::steady_clock::now() - conn_->opened_at() > recycle_)
            give_back_idle();
        if (!conn_ && !opening_) {
            co_await open_connection();
            continue;
        }
        if (conn_ && !preparing_)
            co_return;
        wakeup turn(executor_);
        turn_waiters_.push_back(&turn);
        co_await turn.wait();
    }
}

task<void> shared_pipeline::open_connection()
{
    opening_ = true;
    std::exception_ptr failure;
    try {
        conn_ = co_await open_();
        if (closed_)
            give_back_(std::move(conn_));  // closed while it was opening: fresh, idle, and nobody's
        else
            conn_->enter_pipeline();
    } catch (...) {
        failure = std::current_exception();
    }
    opening_ = false;
    if (failure && conn_)
        give_back_(std::move(conn_));
    wake_turn_waiters();
    if (failure)
        std::rethrow_exception(failure);
}

task<void> shared_pipeline::prepare(const std::vector<statement>& statements)
{
    preparing_ = true;
    release_output();
    std::exception_ptr failure;
    try {
        while (conn_ && (!in_flight_.empty() || reading_)) {
            wakeup drained(executor_);
            turn_waiters_.push_back(&drained);
            co_await drained.wait();
        }
        if (conn_) {
            conn_->leave_pipeline();
            co_await conn_->prepare_all(statements);
            conn_->enter_pipeline();
        }
    } catch (...) {
        failure = std::current_exception();
    }
    preparing_ = false;
    if (conn_ && failure) {
        // A statement that cannot be prepared leaves the connection fine: back to pipeline mode.
        bool usable = !conn_->broken();
        if (usable) {
            try {
                conn_->enter_pipeline();
            } catch (const connection_error&) {
                usable = false;  // replaced at the next statement; `failure` is what the caller learns
            }
        }
        if (usable)
            conn_->rest();  // idle with nothing in flight: the watchdog armed by preparing has nothing to watch
        else
            give_back_(std::move(conn_));
    }
    if (conn_ && closed_)
        give_back_idle();
    wake_turn_waiters();
    if (failure)
        std::rethrow_exception(failure);
}

task<std::vector<batch_entry>> shared_pipeline::run(const std::vector<statement>& statements, batch_commit mode)
{
    std::optional<pipeline_link::plan_list> plans;
    for (;;) {
        if (!open_and_busy())  // the busiest path needs no coroutine for its turn
            co_await wait_turn();
        plans = conn_->cached_plans(statements);  // valid until this coroutine next suspends
        if (plans)
            break;
        co_await prepare(statements);
    }
    pending mine{mode, std::vector<batch_entry>(statements.size()), {}, wakeup(executor_), nullptr};
    hold_output_if_busy_turn();
    try {
        mine.sent = conn_->send_each(statements, *plans, mine.entries, mode);
    } catch (const connection_error&) {
        send_failure_ = std::current_exception();
        mine.sent.assign(statements.size(), true);
    }
    in_flight_.push_back(&mine);
    if (!reading_) {
        reading_ = true;
        asio::co_spawn(executor_, read_results(), asio::detached);
    } else if (send_failure_) {
        conn_->interrupt();  // the reader stops waiting and fails what is in flight
    }
    co_await mine.answered.wait();
    if (mine.lost)
        std::rethrow_exception(mine.lost);
    co_return std::move(mine.entries);
}

task<void> shared_pipeline::read_results()
{
    auto keep_alive = shared_from_this();  // the lane may let go while results are on their way
    std::exception_ptr failure;
    try {
        while (!in_flight_.empty()) {
            if (send_failure_)
                std::rethrow_exception(send_failure_);
            pending& front = *in_flight_.front();
            co_await conn_->read_each(front.entries, front.sent, front.mode);
            in_flight_.pop_front();
            front.answered.fire();
        }
    } catch (...) {
        failure = send_failure_ ? send_failure_ : std::current_exception();
    }
    reading_ = false;
    if (!failure && conn_)
        conn_->rest();  // nothing in flight: no deadline to watch
    if (failure)
        lose(failure);
    else if (closed_ && conn_)
        give_back_idle();
    wake_turn_waiters();
}

void shared_pipeline::lose(std::exception_ptr failure)
{
    release_output();
    send_failure_ = nullptr;
    if (conn_)
        give_back_(std::move(conn_));  // broken: the lane closes it
    auto lost = std::move(in_flight_);
    in_flight_.clear();
    for (auto* p : lost) {
        p->lost = failure;
        p->answered.fire();
    }
}

void shared_pipeline::hold_output_if_busy_turn()
{
    if (sends_this_turn_++ == 0) {
        asio::post(executor_, [self = shared_from_this()] {
            self->sends_this_turn_ = 0;
            self->release_output();
        });
    } else if (sends_this_turn_ == hold_output_from && !output_held_) {
        output_held_ = true;
        conn_->hold_output(true);
    }
}

void shared_pipeline::release_output()
{
    if (output_held_ && conn_)
        conn_->hold_output(false);
    output_held_ = false;
}

void shared_pipeline::give_back_idle()
{
    release_output();
    // In pipeline mode the connection counts as busy: the lane would close it, and its destructor
    // would send the server a cancel request for nothing. Out of it, the lane can keep it.
    try {
        conn_->leave_pipeline();
    } catch (const connection_error&) {
        // Now broken: given back all the same, and the lane closes it.
    }
    give_back_(std::move(conn_));
}

void shared_pipeline::close()
{
    closed_ = true;
    if (conn_ && !reading_ && !opening_ && !preparing_)
        give_back_idle();
    wake_turn_waiters();
}

}  // namespace keel::db::postgres

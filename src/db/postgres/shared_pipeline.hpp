#pragma once
// One connection in pipeline mode shared by every session of one I/O thread, for statements
// outside a transaction (database_settings::pipeline_autocommit): each session's statements are
// sent as soon as they come, with a sync point each, and one reader hands the results back in
// order. Many requests' statements then travel together and the server keeps working instead of
// sleeping between them. Used only on its io_context's thread.
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <keel/core/task.hpp>
#include <keel/db/session.hpp>

#include "db/postgres/connection.hpp"

namespace keel::db::postgres {

/// Resumes one waiting coroutine of this thread, once. The waiter must run on `executor`'s
/// thread: it is resumed there directly, not through the executor it was started with.
class wakeup {
public:
    explicit wakeup(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
    task<void> wait();
    void fire();

private:
    void resume_soon(boost::asio::any_completion_handler<void()> resume);

    boost::asio::any_io_executor executor_;
    bool fired_ = false;
    std::optional<boost::asio::any_completion_handler<void()>> resume_;
};

class shared_pipeline : public std::enable_shared_from_this<shared_pipeline> {
public:
    /// `open` checks a connection out of the lane; `give_back` returns it (closed if broken).
    /// A connection older than `recycle` (0: never) is replaced when nothing is in flight.
    shared_pipeline(boost::asio::any_io_executor executor, std::function<task<std::unique_ptr<pipeline_link>>()> open,
                    std::function<void(std::unique_ptr<pipeline_link>)> give_back, std::chrono::milliseconds recycle);
    ~shared_pipeline();

    /// Runs each statement on its own, as connection::pipeline does. Throws
    /// db::connection_error when the connection is lost (its statements' fate is then unknown).
    task<std::vector<batch_entry>> run(const std::vector<statement>& statements, batch_commit mode);
    /// No new statements; the connection is given back once those in flight are answered.
    void close();

private:
    struct pending {
        batch_commit mode;
        std::vector<batch_entry> entries;
        std::vector<bool> sent;
        wakeup answered;
        std::exception_ptr lost;
    };

    /// Waits until the connection is open and no statement is being prepared.
    task<void> wait_turn();
    /// Statements in flight on an open connection: wait_turn would return at once (it recycles
    /// or opens only an idle connection).
    bool open_and_busy() const noexcept
    {
        return conn_ && !preparing_ && !closed_ && (!in_flight_.empty() || reading_);
    }
    task<void> open_connection();
    /// Prepares new statements: lets the pipeline drain, leaves pipeline mode, prepares, re-enters.
    task<void> prepare(const std::vector<statement>& statements);
    task<void> read_results();
    /// Fails every statement in flight with `failure` and gives the connection back.
    void lose(std::exception_ptr failure);
    /// Gives back the connection, nothing in flight, out of pipeline mode.
    void give_back_idle();
    void wake_turn_waiters();
    /// Called before each batch is sent. Counts the batches of this turn (per turn, not per
    /// connection): from the hold_output_from-th on, what is sent waits in the kernel until the
    /// work queued before the turn's first batch has run, so that the server reads it together:
    /// one wake-up and one read for the lot instead of one each (libpq 15 sends at every sync
    /// point). A quieter turn sends at once: the two system calls would cost it more than they
    /// save (bench/README.md, issue 10's third pass).
    void hold_output_if_busy_turn();
    static constexpr std::size_t hold_output_from = 8;
    /// Sends what is held; before the connection is given back or used outside the pipeline.
    void release_output();

    boost::asio::any_io_executor executor_;
    std::function<task<std::unique_ptr<pipeline_link>>()> open_;
    std::function<void(std::unique_ptr<pipeline_link>)> give_back_;
    std::chrono::milliseconds recycle_;
    std::unique_ptr<pipeline_link> conn_;
    std::exception_ptr send_failure_;  // sending broke the connection: the reader fails everything
    std::deque<pending*> in_flight_;
    std::vector<wakeup*> turn_waiters_;  // wait for opening, preparing or draining to end
    bool opening_ = false;
    bool preparing_ = false;
    bool reading_ = false;
    bool closed_ = false;
    bool output_held_ = false;
    std::size_t sends_this_turn_ = 0;
};

}  // namespace keel::db::postgres

#pragma once
// One libpq connection in non-blocking mode, driven by its io_context: never blocks a thread.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <keel/core/task.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/result.hpp>
#include <keel/db/session.hpp>
#include <keel/db/url.hpp>

struct pg_conn;
struct pg_result;

namespace keel::db::postgres {

/// libpq keyword/value pairs for PQconnectStartParams.
struct connect_options {
    std::vector<std::pair<std::string, std::string>> keywords;
    std::chrono::milliseconds connect_timeout{10'000};
    /// The longest keel waits for the server on an open connection (command_timeout).
    std::chrono::milliseconds command_timeout{30'000};
};

/// database_settings::command_timeout as it applies: the setting, or statement_timeout + 5 s
/// when it is 0, or 30 s when neither is set.
std::chrono::milliseconds effective_command_timeout(const database_settings& settings);

/// Builds libpq options from the settings: host, port, user, password and dbname from the URL;
/// application_name, sslmode, sslrootcert, keepalives_*; UTC session time zone and
/// statement_timeout; then every other URL parameter, which libpq checks itself.
connect_options make_connect_options(const database_settings& settings);

/// What shared_pipeline needs of a connection: an open-ended pipeline that many sessions share.
/// Statements are sent as they come (send_each, in pipeline mode) and one reader takes their
/// results in order (read_each); only statements whose plans are cached can be sent that way.
/// An interface so that the shared pipeline's scheduling can be tested against a scripted link;
/// each call sits next to network I/O, so the virtual call costs nothing measurable.
class pipeline_link {
public:
    struct prepared {
        std::string name;
        int parameters;
    };
    /// One plan per statement, in order.
    using plan_list = std::vector<const prepared*>;

    virtual ~pipeline_link() = default;
    /// The statements' plans if every one is cached (no allocation beyond the list), else nullopt.
    virtual std::optional<plan_list> cached_plans(const std::vector<statement>& statements) const = 0;
    /// The statements' plans, preparing those not cached yet; outside pipeline mode, nothing in flight.
    virtual task<plan_list> prepare_all(const std::vector<statement>& statements) = 0;
    /// Sends the statements with their sync point(s) and returns which were sent; one with the
    /// wrong number of arguments is not sent and gets its error in `entries` at once (in an
    /// all-or-nothing batch, none is sent then). Throws db::connection_error if sending failed.
    virtual std::vector<bool> send_each(const std::vector<statement>& statements, const plan_list& plans,
                                        std::vector<batch_entry>& entries, batch_commit mode) = 0;
    /// Reads the results of the oldest batch sent and not read yet, and its sync point(s); a
    /// statement's error goes to its entry, a lost connection throws db::connection_error.
    virtual task<void> read_each(std::vector<batch_entry>& entries, const std::vector<bool>& sent,
                                 batch_commit mode) = 0;
    virtual void enter_pipeline() = 0;
    virtual void leave_pipeline() = 0;
    /// Wakes a coroutine waiting on the socket with a connection_error (the connection is
    /// then abandoned).
    virtual void interrupt() = 0;
    /// The connection can no longer be used (lost, timed out, or left mid-protocol).
    virtual bool broken() const noexcept = 0;
    virtual std::chrono::steady_clock::time_point opened_at() const noexcept = 0;
    /// Stops watching: called when nothing is in flight, so that no timer keeps its io_context
    /// running.
    virtual void rest() = 0;
    /// While held, what is sent waits in the kernel (TCP_CORK) and leaves in full segments or
    /// when released: statements sent one by one then reach the server together.
    virtual void hold_output(bool hold) = 0;

protected:
    pipeline_link() = default;
    pipeline_link(const pipeline_link&) = default;
    pipeline_link& operator=(const pipeline_link&) = default;
};

class connection final : public pipeline_link {
public:
    /// Connects without blocking (PQconnectStartParams/PQconnectPoll); throws db::connection_error
    /// with libpq's reason, or after connect_timeout.
    static task<std::unique_ptr<connection>> open(const connect_options& options);
    ~connection() override;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Runs one parameterised statement through the prepared-statement cache.
    task<result> execute(std::string_view sql, const std::vector<value>& params);
    /// A statement without parameters (BEGIN, COMMIT, ROLLBACK, SELECT 1).
    task<void> simple(const char* sql);
    /// BEGIN (`begin`, e.g. "BEGIN ISOLATION LEVEL …") and the transaction's first statement
    /// in one round trip. If BEGIN succeeded, the transaction is open even when the statement failed.
    task<result> begin_and_execute(const char* begin, std::string_view sql, const std::vector<value>& params);
    /// Sends every statement at once in pipeline mode and reads the results in order. With a
    /// sync point after each (libpq 34.5), outside a transaction block each one commits or fails
    /// on its own; batch_commit::all_or_nothing has one sync point for all. Only a lost
    /// connection fails the whole batch.
    task<std::vector<batch_entry>> pipeline(const std::vector<statement>& statements, batch_commit mode);

    // pipeline_link: the open-ended pipeline a shared_pipeline drives.
    std::optional<plan_list> cached_plans(const std::vector<statement>& statements) const override;
    task<plan_list> prepare_all(const std::vector<statement>& statements) override;
    std::vector<bool> send_each(const std::vector<statement>& statements, const plan_list& plans,
                                std::vector<batch_entry>& entries, batch_commit mode) override;
    task<void> read_each(std::vector<batch_entry>& entries, const std::vector<bool>& sent, batch_commit mode) override;
    void enter_pipeline() override;
    void leave_pipeline() override;
    void interrupt() override;

    /// The server's view: idle, in a transaction, in a failed transaction, or unknown.
    bool idle() const noexcept;
    bool in_failed_transaction() const noexcept;
    /// A transaction block is open (possibly failed).
    bool in_transaction() const noexcept;
    /// The connection can no longer be used (lost, timed out, or left mid-protocol).
    bool broken() const noexcept override;
    /// A wait for the server outlasted command_timeout (the connection is then broken).
    bool timed_out() const noexcept { return timed_out_; }
    /// Stops watching: called when the connection goes idle (back to its pool), so that no timer
    /// keeps its io_context running.
    void rest() override;
    void hold_output(bool hold) override;
    /// SELECT 1, each of its waits limited to `limit` instead of command_timeout (the pre-ping).
    task<void> ping(std::chrono::milliseconds limit);

    std::chrono::steady_clock::time_point opened_at() const noexcept override { return opened_at_; }
    std::chrono::steady_clock::time_point last_used() const noexcept { return last_used_; }
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

private:
    connection(boost::asio::any_io_executor executor, pg_conn* conn, std::chrono::milliseconds command_timeout);
    // Every wait on the socket is watched: one timer per connection, armed by a statement's first
    // wait and re-armed only when it fires while a wait is still pending, so each further wait
    // costs a clock read, not a timer operation. A statement done rests it (statement_done()):
    // a session left open between calls keeps no timer pending, which would hold block_on's
    // run() for command_timeout.
    void watch();
    /// The statement in flight is over (collect(), leave_pipeline()): the connection is free
    /// again and its watchdog rests.
    void statement_done();
    void arm_watchdog();
    void on_watchdog();
    [[noreturn]] void fail_wait(const boost::system::error_code& ec);
    task<void> wait_readable();
    /// Sends what libpq holds as far as the socket takes it: true when nothing is left.
    bool flushed();
    /// Sends everything libpq holds, waiting for the socket as often as it takes.
    task<void> flush();
    /// flush() after a flushed() that left something: waits for the socket first.
    task<void> send_rest();
    /// Reads every result of the command sent; throws the first error among them.
    task<std::vector<std::unique_ptr<pg_result, void (*)(pg_result*)>>> collect();
    /// The cached plan of `sql`, or null: no allocation, no coroutine (the hot path).
    const prepared* cached(std::string_view sql) const;
    /// Prepares `sql` (not cached yet) and caches it.
    task<const prepared*> prepare(std::string_view sql);
    /// The plans of `statements`, preparing those not cached. Keeps the cache bounded: when the
    /// new ones would pass the limit it first forgets every plan (DEALLOCATE ALL), so no plan
    /// this call returns is lost.
    task<std::vector<const prepared*>> plans_for(std::vector<std::string_view> statements);
    /// plans_for one statement that is not cached.
    task<const prepared*> plan_for(std::string_view sql);
    static constexpr std::size_t statement_cache_limit = 256;
    /// Waits until PQgetResult will not block.
    task<void> until_result();
    /// In pipeline mode: one command's results into `entry` (rows, or the error it raised).
    task<void> read_command(batch_entry& entry);
    /// In pipeline mode: the PGRES_PIPELINE_SYNC of a sync point.
    task<void> read_sync();
    /// read_command and read_sync as far as the input already read allows, without waiting:
    /// true once done, false when more must be read first.
    bool take_command(batch_entry& entry);
    bool take_sync();
    [[noreturn]] void fail_connection(std::string_view during);

    boost::asio::any_io_executor executor_;
    pg_conn* conn_;
    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer watchdog_;
    std::shared_ptr<connection*> self_;  // what the watchdog's handler sees; null once destroyed
    std::chrono::milliseconds wait_limit_;
    std::chrono::steady_clock::time_point deadline_, watchdog_expiry_;
    bool waiting_ = false, watchdog_armed_ = false, timed_out_ = false, abandoned_ = false;
    bool output_holdable_ = true;  // false once corking failed (a Unix socket)
    struct sql_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
    };
    std::unordered_map<std::string, prepared, sql_hash, std::equal_to<>> statements_;
    std::uint64_t statements_prepared_ = 0;
    bool busy_ = false;  // a command was sent and its results not all read: unusable if abandoned
    std::chrono::steady_clock::time_point opened_at_, last_used_;
};

/// SQLSTATE → db::error subclass, for a failed result (errors.cpp).
[[noreturn]] void throw_result_error(const pg_result* res);

/// A result's rows as db values, by column type OID (decode.cpp).
result decode_result(const pg_result* res);

}  // namespace keel::db::postgres

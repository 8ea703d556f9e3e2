// PostgreSQL pool. Each io_context gets its own lane (idle connections and a slot count) stored
// in an Asio service of that context: a request only touches its own thread's lane, and the
// connections go away with their io_context. The budget (pool_size, max_overflow) is split
// evenly across the lanes.
#include "db/postgres/pool.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include <keel/core/block_on.hpp>
#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>

#include "core/async_semaphore.hpp"
#include "db/postgres/connection.hpp"
#include "db/postgres/shared_pipeline.hpp"

namespace keel::db::postgres {

namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

struct pool_config {
    connect_options connect;
    std::size_t size_per_lane;
    std::size_t overflow_per_lane;
    std::chrono::milliseconds pool_timeout;
    std::chrono::milliseconds recycle;
    bool pre_ping;
    std::chrono::milliseconds pre_ping_idle;
    bool pipeline_autocommit;
};

task<bool> answers(connection& c, std::chrono::milliseconds limit)
{
    try {
        co_await c.ping(limit);
        co_return true;
    } catch (const db::error& e) {
        log::info("discarding a pooled PostgreSQL connection that failed its pre-ping: {}", e.what());
        co_return false;
    }
}

// One io_context's share of a pool. Used only on that io_context's thread.
class lane : public std::enable_shared_from_this<lane> {
public:
    lane(asio::any_io_executor executor, std::shared_ptr<const pool_config> config, bool closed)
        : executor_(std::move(executor)), config_(std::move(config)),
          slots_(config_->size_per_lane + config_->overflow_per_lane), closed_(closed)
    {
        if (closed_)
            slots_.close();
    }
    const asio::any_io_executor& executor() const noexcept { return executor_; }

    task<std::unique_ptr<connection>> checkout()
    {
        const bool got_slot = co_await slots_.acquire(config_->pool_timeout);
        if (!got_slot) {
            if (closed_)
                throw connection_error("the database pool is closed", "08003");
            throw pool_timeout(fmt::format("no database connection was free within pool_timeout ({} ms); raise "
                                           "POOL_SIZE, MAX_OVERFLOW or POOL_TIMEOUT",
                                           config_->pool_timeout.count()));
        }
        std::exception_ptr failure;
        try {
            while (!idle_.empty()) {
                auto c = std::move(idle_.back());
                idle_.pop_back();
                const auto now = clock::now();
                if (c->broken() || (config_->recycle.count() > 0 && now - c->opened_at() > config_->recycle))
                    continue;
                if (config_->pre_ping && now - c->last_used() > config_->pre_ping_idle) {
                    const bool alive = co_await answers(*c, config_->connect.connect_timeout);
                    if (!alive)
                        continue;
                }
                co_return c;
            }
            co_return co_await connection::open(config_->connect);
        } catch (...) {
            failure = std::current_exception();
        }
        slots_.release();
        std::rethrow_exception(failure);
    }

    /// Takes a connection back: kept when clean and within pool_size, closed otherwise.
    void checkin(std::unique_ptr<connection> c)
    {
        if (!closed_ && c && !c->broken() && c->idle() && idle_.size() < config_->size_per_lane) {
            c->rest();
            idle_.push_back(std::move(c));
        }
        slots_.release();
    }

    void close()
    {
        closed_ = true;
        idle_.clear();
        slots_.close();
        if (shared_)
            shared_->close();
    }

    /// The lane's shared pipelined connection (pipeline_autocommit), made at first use.
    shared_pipeline& shared()
    {
        if (!shared_) {
            std::weak_ptr<lane> self = weak_from_this();
            shared_ = std::make_shared<shared_pipeline>(
                executor_,
                [self]() -> task<std::unique_ptr<pipeline_link>> {
                    auto l = self.lock();
                    if (!l)
                        throw connection_error("the database pool is closed", "08003");
                    co_return co_await l->checkout();
                },
                [self](std::unique_ptr<pipeline_link> link) {
                    // Every link the pipeline holds came from checkout() above: a connection.
                    std::unique_ptr<connection> c(static_cast<connection*>(link.release()));
                    if (auto l = self.lock())
                        l->checkin(std::move(c));
                },
                config_->recycle);
        }
        return *shared_;
    }
    bool pipelines_autocommit() const noexcept { return config_->pipeline_autocommit; }

    /// After a connection was found lost, the idle ones (as old or older) are likely lost too.
    void invalidate_idle() { idle_.clear(); }

private:
    asio::any_io_executor executor_;
    std::shared_ptr<const pool_config> config_;
    std::deque<std::unique_ptr<connection>> idle_;
    keel::detail::async_semaphore slots_;
    bool closed_;
    std::shared_ptr<shared_pipeline> shared_;
};

// Holds every pool's lane for one io_context; shutting the context down closes them.
class lane_service : public asio::execution_context::service {
public:
    using key_type = lane_service;
    static asio::execution_context::id id;

    explicit lane_service(asio::execution_context& context) : asio::execution_context::service(context) {}

    template <class Make>
    std::shared_ptr<lane> find_or_create(std::uint64_t pool_id, Make make)
    {
        std::lock_guard lock(mutex_);
        auto& slot = lanes_[pool_id];
        if (!slot)
            slot = make();
        return slot;
    }

private:
    void shutdown() override
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, l] : lanes_)
            l->close();
        lanes_.clear();
    }

    std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::shared_ptr<lane>> lanes_;
};
asio::execution_context::id lane_service::id;

task<void> roll_back_and_return(std::shared_ptr<lane> home, std::unique_ptr<connection> c)
{
    try {
        co_await c->simple("ROLLBACK");
    } catch (const std::exception& e) {
        log::warn("ROLLBACK of an abandoned session failed, closing its connection: {}", e.what());
    }
    home->checkin(std::move(c));
}

class pg_pool;

class pg_session final : public db::detail::session_impl {
public:
    explicit pg_session(std::shared_ptr<pg_pool> pool) : pool_(std::move(pool)) {}
    ~pg_session() override;
    task<result> run(sql_text sql, std::vector<value> params) override;
    task<void> commit() override;
    task<void> rollback() override;
    bool in_transaction() const noexcept override { return in_tx_; }
    void set_transaction_options(const transaction_options& options) override { options_ = options; }
    backend kind() const noexcept override { return backend::postgresql; }
    task<std::vector<batch_entry>> run_batch(std::vector<statement> statements, batch_commit mode) override;

private:
    task<result> begin_with(std::string_view sql, const std::vector<value>& params);

    void release()
    {
        in_tx_ = false;
        if (conn_)
            lane_->checkin(std::move(conn_));
    }

    std::shared_ptr<pg_pool> pool_;
    std::shared_ptr<lane> lane_;
    std::unique_ptr<connection> conn_;
    bool in_tx_ = false;
    transaction_options options_;
};

// A table, not a format per transaction: every request with a session begins one.
const char* begin_statement(const transaction_options& options)
{
    static constexpr const char* texts[3][2] = {
        {"BEGIN ISOLATION LEVEL READ COMMITTED", "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"},
        {"BEGIN ISOLATION LEVEL REPEATABLE READ", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"},
        {"BEGIN ISOLATION LEVEL SERIALIZABLE", "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY"}};
    return texts[static_cast<int>(options.isolation)][options.read_only ? 1 : 0];
}

class pg_pool final : public db::detail::pool_impl, public std::enable_shared_from_this<pg_pool> {
public:
    pg_pool(url u, std::shared_ptr<const pool_config> config) : url_(std::move(u)), config_(std::move(config)) {}

    std::unique_ptr<db::detail::session_impl> make_session() override
    {
        return std::make_unique<pg_session>(shared_from_this());
    }
    std::string_view ping_sql() const noexcept override { return "SELECT 1"; }
    const url& database_url() const noexcept override { return url_; }
    std::chrono::milliseconds checkout_timeout() const noexcept override { return config_->pool_timeout; }

    void close() override
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        for (auto& weak : lanes_)
            if (auto l = weak.lock())
                asio::post(l->executor(), [l] { l->close(); });
    }

    std::shared_ptr<lane> lane_for(const asio::any_io_executor& executor)
    {
        auto& context = asio::query(executor, asio::execution::context);
        return asio::use_service<lane_service>(context).find_or_create(id_, [&] {
            std::lock_guard lock(mutex_);
            auto l = std::make_shared<lane>(executor, config_, closed_);
            lanes_.push_back(l);
            return l;
        });
    }

private:
    static inline std::atomic<std::uint64_t> next_id_{1};
    const std::uint64_t id_ = next_id_++;
    url url_;
    std::shared_ptr<const pool_config> config_;
    std::mutex mutex_;
    std::vector<std::weak_ptr<lane>> lanes_;
    bool closed_ = false;
};

task<result> pg_session::begin_with(std::string_view sql, const std::vector<value>& params)
{
    if (!lane_)
        lane_ = pool_->lane_for(co_await asio::this_coro::executor);
    const char* const begin = begin_statement(options_);
    // A pooled connection may have died with a server restart. Its transaction cannot have
    // committed, so drop the lane's idle connections and run it once more on a new one.
    for (int attempt = 0;; ++attempt) {
        if (!conn_)
            conn_ = co_await lane_->checkout();
        std::exception_ptr failure;
        bool lost = false;
        try {
            auto rows = co_await conn_->begin_and_execute(begin, sql, params);
            in_tx_ = true;
            co_return rows;
        } catch (const connection_error&) {
            failure = std::current_exception();
            lost = !conn_->timed_out();  // a server that stopped answering is not retried
        } catch (...) {
            failure = std::current_exception();
        }
        if (!lost) {
            in_tx_ = conn_->in_transaction() && !conn_->broken();  // BEGIN ran: the caller must roll back
            std::rethrow_exception(failure);
        }
        lane_->invalidate_idle();
        lane_->checkin(std::move(conn_));
        in_tx_ = false;
        if (attempt == 1)
            std::rethrow_exception(failure);
    }
}

task<result> pg_session::run(sql_text sql, std::vector<value> params)
{
    if (!in_tx_)
        co_return co_await begin_with(sql, params);  // one round trip for BEGIN and the statement
    std::exception_ptr lost;
    try {
        auto rows = co_await conn_->execute(sql, params);
        in_tx_ = conn_->in_transaction();  // a COMMIT or ROLLBACK run as a statement ended it
        co_return rows;
    } catch (const connection_error&) {
        lost = std::current_exception();
    }
    lane_->invalidate_idle();  // the server may have gone away for all of them
    std::rethrow_exception(lost);
}

task<std::vector<batch_entry>> pg_session::run_batch(std::vector<statement> statements, batch_commit mode)
{
    if (!conn_) {
        // No BEGIN: outside a transaction every statement of the batch commits on its own.
        if (!lane_)
            lane_ = pool_->lane_for(co_await asio::this_coro::executor);
        if (lane_->pipelines_autocommit()) {
            std::exception_ptr lost;
            try {
                co_return co_await lane_->shared().run(statements, mode);
            } catch (const connection_error&) {
                lost = std::current_exception();
            }
            lane_->invalidate_idle();
            std::rethrow_exception(lost);
        }
        conn_ = co_await lane_->checkout();
    }
    std::exception_ptr lost;
    try {
        auto entries = co_await conn_->pipeline(statements, mode);
        if (!in_tx_)
            release();
        co_return entries;
    } catch (const connection_error&) {
        lost = std::current_exception();
    }
    lane_->invalidate_idle();
    release();
    std::rethrow_exception(lost);
}

task<void> pg_session::commit()
{
    if (!conn_)
        co_return;
    if (in_tx_ && conn_->in_failed_transaction()) {
        // PostgreSQL would answer COMMIT with ROLLBACK: say so instead of reporting success.
        co_await rollback();
        db::detail::throw_aborted_transaction();
    }
    std::exception_ptr failure;
    if (in_tx_) {
        try {
            co_await conn_->simple("COMMIT");
        } catch (...) {
            failure = std::current_exception();
        }
    }
    release();
    if (failure)
        std::rethrow_exception(failure);
}

task<void> pg_session::rollback()
{
    if (!conn_)
        co_return;
    if (in_tx_ && !conn_->broken()) {
        try {
            co_await conn_->simple("ROLLBACK");
        } catch (const std::exception& e) {
            log::warn("ROLLBACK failed, closing the connection: {}", e.what());
        }
    }
    release();
}

pg_session::~pg_session()
{
    if (!conn_)
        return;
    if (in_tx_ && !conn_->broken()) {
        log::warn("a database session ended with its transaction open; rolling it back");
        asio::co_spawn(lane_->executor(), roll_back_and_return(lane_, std::move(conn_)), asio::detached);
        return;
    }
    lane_->checkin(std::move(conn_));  // a broken or busy connection is closed there
}

std::size_t share(std::size_t total, std::size_t lanes) { return (total + lanes - 1) / lanes; }

struct server_limits {
    std::int64_t max_connections = 0;
    std::int64_t reserved = 0;
    std::int64_t in_use = 0;
};
BOOST_DESCRIBE_STRUCT(server_limits, (), (max_connections, reserved, in_use))

// The seed's pitfall: a pool larger than the server allows fails only under load. Check at
// start-up instead, with the numbers and the setting to change.
task<void> check_budget(const connect_options& options, std::size_t most, budget_check check)
{
    auto c = co_await connection::open(options);
    if (check == budget_check::off)
        co_return;  // the connection above still proved that the server answers
    auto rows = co_await c->execute(
        "SELECT current_setting('max_connections')::int8 AS max_connections,"
        " current_setting('superuser_reserved_connections')::int8 AS reserved,"
        " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use",
        {});
    const auto [max_connections, reserved, in_use] = rows[0].as<server_limits>();
    const auto available = max_connections - reserved - in_use;
    if (static_cast<std::int64_t>(most) <= available)
        co_return;
    const std::string message = fmt::format(
        "the pool may open {} connections but the server accepts {} more (max_connections {} - "
        "superuser_reserved_connections {} - {} in use): lower POOL_SIZE or MAX_OVERFLOW (or THREADS), or raise "
        "max_connections; POOL_BUDGET_CHECK=warn starts anyway",
        most, std::max<std::int64_t>(available, 0), max_connections, reserved, in_use);
    if (check == budget_check::error)
        throw connection_error(message, "53300");
    log::warn("{}", message);
}

std::size_t lane_count(std::size_t io_threads) { return io_threads ? io_threads : std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace

std::size_t most_connections(const database_settings& settings, std::size_t io_threads)
{
    const std::size_t lanes = lane_count(io_threads);
    return lanes * (share(settings.pool_size, lanes) + share(settings.max_overflow, lanes));
}

std::shared_ptr<db::detail::pool_impl> open_pool(const database_settings& settings, std::size_t io_threads)
{
    const std::size_t lanes = lane_count(io_threads);
    if (settings.pool_size == 0)
        throw connection_error("POOL_SIZE must be at least 1");
    if (settings.command_timeout.count() > 0 && settings.statement_timeout.count() > 0 &&
        settings.command_timeout <= settings.statement_timeout)
        throw settings_error({"COMMAND_TIMEOUT must be longer than STATEMENT_TIMEOUT, or a slow statement is reported as "
                              "a dead server (leave COMMAND_TIMEOUT at 0 for STATEMENT_TIMEOUT + 5s)"});
    auto config = std::make_shared<pool_config>(pool_config{
        make_connect_options(settings),
        share(settings.pool_size, lanes), share(settings.max_overflow, lanes), settings.pool_timeout,
        settings.pool_recycle, settings.pool_pre_ping, settings.pool_pre_ping_idle, settings.pipeline_autocommit});
    const std::size_t most = most_connections(settings, io_threads);
    try {
        block_on([&]() -> task<void> { co_await check_budget(config->connect, most, settings.pool_budget_check); });
    } catch (const connection_error& e) {
        throw connection_error("cannot use " + settings.database_url.redacted() + ": " + e.what(), e.sqlstate());
    }
    return std::make_shared<pg_pool>(settings.database_url, std::move(config));
}

}  // namespace keel::db::postgres

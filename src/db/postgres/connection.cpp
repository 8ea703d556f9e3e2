#include "db/postgres/connection.hpp"

#include <algorithm>
#include <charconv>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>

#include "db/driver.hpp"
#include "db/postgres/canceller.hpp"

namespace keel::db::postgres {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using result_ptr = std::unique_ptr<pg_result, void (*)(pg_result*)>;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Server notices go to keel's log instead of libpq's printer on stderr: a WARNING deserves an
// operator's eye; a NOTICE ("relation … already exists, skipping") is detail.
void log_notice(void*, const PGresult* notice)
{
    const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char* message = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
    if (severity && std::string_view(severity) == "WARNING")
        log::warn("PostgreSQL: {}", message ? message : "");
    else
        log::debug("PostgreSQL {}: {}", severity ? severity : "notice", message ? message : "");
}
}  // namespace

std::chrono::milliseconds effective_command_timeout(const database_settings& settings)
{
    using std::chrono::milliseconds;
    if (settings.command_timeout.count() > 0)
        return settings.command_timeout;
    // Past the server's own limit, so that a slow statement is reported as the server's
    // statement_timeout (57014) and only a server that stopped answering hits this one.
    return settings.statement_timeout.count() > 0 ? settings.statement_timeout + milliseconds(5'000)
                                                  : milliseconds(30'000);
}

connect_options make_connect_options(const database_settings& settings)
{
    const url& u = settings.database_url;
    connect_options out;
    out.connect_timeout = settings.connect_timeout;
    out.command_timeout = effective_command_timeout(settings);
    auto add = [&](std::string key, std::string value) {
        if (!value.empty())
            out.keywords.emplace_back(std::move(key), std::move(value));
    };
    auto add_positive = [&](std::string key, long long value) {  // 0 means libpq's default
        if (value > 0)
            add(std::move(key), std::to_string(value));
    };
    add("host", u.host());
    if (u.port())
        add("port", std::to_string(*u.port()));
    add("user", u.user());
    add("password", u.password());
    add("dbname", u.database());
    add("application_name", settings.application_name);
    add("sslmode", settings.sslmode);
    add("sslrootcert", settings.sslrootcert);
    if (settings.keepalives_idle.count() > 0 || settings.keepalives_interval.count() > 0 || settings.keepalives_count > 0)
        add("keepalives", "1");
    add_positive("keepalives_idle", settings.keepalives_idle.count());
    add_positive("keepalives_interval", settings.keepalives_interval.count());
    add_positive("keepalives_count", settings.keepalives_count);
    // libpq's own connect_timeout counts whole seconds per host; keel also enforces the limit.
    add("connect_timeout", std::to_string(std::max<long long>(2, settings.connect_timeout.count() / 1000)));
    // Data the server does not acknowledge within this fails the socket (packets dropped on the
    // way): the kernel's own deadline under keel's watchdog.
    if (!u.params().contains("tcp_user_timeout"))
        add("tcp_user_timeout", std::to_string(out.command_timeout.count()));
    std::string options = "-c TimeZone=UTC";
    if (settings.statement_timeout.count() > 0)
        options += " -c statement_timeout=" + std::to_string(settings.statement_timeout.count());
    add("options", options);
    // Other URL parameters go to libpq as they are (it rejects unknown ones); those that name a
    // keel setting were applied to `settings` already.
    using members = boost::describe::describe_members<database_settings, boost::describe::mod_public>;
    for (const auto& [key, value] : u.params()) {
        bool ours = false;
        boost::mp11::mp_for_each<members>([&](auto member) { ours = ours || key == member.name; });
        if (!ours)
            add(key, value);
    }
    return out;
}

connection::connection(asio::any_io_executor executor, pg_conn* conn, std::chrono::milliseconds command_timeout)
    : executor_(std::move(executor)), conn_(conn), socket_(executor_), watchdog_(executor_),
      self_(std::make_shared<connection*>(this)), wait_limit_(command_timeout),
      opened_at_(std::chrono::steady_clock::now()), last_used_(opened_at_)
{
}

connection::~connection()
{
    *self_ = nullptr;
    watchdog_.cancel();
    // Abandoned mid-wait (COMMAND_TIMEOUT, a request's deadline): the server would go on running
    // the statement, holding its locks, until it noticed the closed socket.
    if (abandoned_ && conn_ && PQstatus(conn_) == CONNECTION_OK)
        cancel_in_background(PQgetCancel(conn_));
    // libpq owns the socket: take it back from Asio before PQfinish closes it.
    if (socket_.is_open())
        socket_.release();
    PQfinish(conn_);
}

void connection::watch()
{
    waiting_ = true;
    deadline_ = std::chrono::steady_clock::now() + wait_limit_;
    if (!watchdog_armed_ || deadline_ < watchdog_expiry_)
        arm_watchdog();
}

void connection::arm_watchdog()
{
    watchdog_armed_ = true;
    watchdog_expiry_ = deadline_;
    watchdog_.expires_at(deadline_);  // cancels a later expiry's wait, if one is pending
    watchdog_.async_wait([self = self_](const boost::system::error_code& ec) {
        if (ec != asio::error::operation_aborted && *self)
            (*self)->on_watchdog();
    });
}

void connection::rest()
{
    waiting_ = false;
    if (!watchdog_armed_)
        return;
    watchdog_armed_ = false;
    watchdog_.cancel();
}

void connection::hold_output(bool hold)
{
    if (!output_holdable_)
        return;
    const int cork = hold ? 1 : 0;
    const bool failed = ::setsockopt(PQsocket(conn_), IPPROTO_TCP, TCP_CORK, &cork, sizeof cork) != 0;
    // Corking fails on a Unix socket (nothing to hold there: each send is one wake-up anyway), so
    // it is not tried again; releasing fails only on a socket that is gone.
    if (failed && hold)
        output_holdable_ = false;
}

void connection::on_watchdog()
{
    watchdog_armed_ = false;
    if (!waiting_)
        return;  // the next wait arms it again
    if (std::chrono::steady_clock::now() < deadline_) {
        arm_watchdog();
        return;
    }
    timed_out_ = true;
    boost::system::error_code ignored;
    socket_.cancel(ignored);  // the pending wait ends with operation_aborted
}

void connection::fail_wait(const boost::system::error_code& ec)
{
    waiting_ = false;
    busy_ = true;  // whatever was in flight is abandoned: never reuse the connection
    abandoned_ = true;
    if (timed_out_)
        throw connection_error(fmt::format("PostgreSQL did not answer within {} ms (COMMAND_TIMEOUT); the connection "
                                           "is closed",
                                           wait_limit_.count()),
                               "08006");
    throw connection_error("PostgreSQL connection: " + ec.message(), "08006");
}

void connection::fail_connection(std::string_view during)
{
    std::string reason = PQerrorMessage(conn_);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' '))
        reason.pop_back();
    throw connection_error(fmt::format("PostgreSQL connection {}: {}", during, reason), "08006");
}

task<std::unique_ptr<connection>> connection::open(const connect_options& options)
{
    std::vector<const char*> keys, values;
    for (const auto& [k, v] : options.keywords) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    auto executor = co_await asio::this_coro::executor;
    std::unique_ptr<connection> c(
        new connection(executor, PQconnectStartParams(keys.data(), values.data(), 0), options.command_timeout));
    if (!c->conn_)
        throw connection_error("PostgreSQL connection: out of memory", "08001");
    PQsetNoticeReceiver(c->conn_, log_notice, nullptr);
    if (PQstatus(c->conn_) == CONNECTION_BAD)
        c->fail_connection("failed");
    asio::steady_timer deadline(executor, options.connect_timeout);
    // libpq 34.1: poll, waiting for what PQconnectPoll asks, until OK or FAILED. The socket can
    // change between calls (another host or address), so it is re-wrapped each time.
    for (PostgresPollingStatusType state = PGRES_POLLING_WRITING;;) {
        if (state == PGRES_POLLING_OK)
            break;
        if (state == PGRES_POLLING_FAILED)
            c->fail_connection("failed");
        if (c->socket_.is_open())
            c->socket_.release();
        c->socket_.assign(PQsocket(c->conn_));
        const auto want = state == PGRES_POLLING_READING ? asio::posix::stream_descriptor::wait_read
                                                         : asio::posix::stream_descriptor::wait_write;
        auto outcome = co_await (c->socket_.async_wait(want, use_tuple) || deadline.async_wait(use_tuple));
        if (outcome.index() == 1)
            throw connection_error(fmt::format("PostgreSQL connection timed out after {} ms", options.connect_timeout.count()),
                                   "08001");
        state = PQconnectPoll(c->conn_);
    }
    if (PQsetnonblocking(c->conn_, 1) != 0)
        c->fail_connection("setup");
    co_return c;
}

bool connection::idle() const noexcept { return !busy_ && PQtransactionStatus(conn_) == PQTRANS_IDLE; }
bool connection::in_failed_transaction() const noexcept { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }
bool connection::in_transaction() const noexcept
{
    const auto status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}
bool connection::broken() const noexcept { return busy_ || timed_out_ || PQstatus(conn_) != CONNECTION_OK; }

task<void> connection::wait_readable()
{
    watch();
    auto [ec] = co_await socket_.async_wait(asio::posix::stream_descriptor::wait_read, use_tuple);
    if (ec)
        fail_wait(ec);
    waiting_ = false;
    if (!PQconsumeInput(conn_))
        fail_connection("lost");
}

bool connection::flushed()
{
    const int pending = PQflush(conn_);
    if (pending < 0)
        fail_connection("lost while sending");
    return pending == 0;
}

task<void> connection::flush()
{
    if (!flushed())
        co_await send_rest();
}

task<void> connection::send_rest()
{
    // libpq 34.4: in non-blocking mode keep flushing until PQflush returns 0.
    do {
        // Read while waiting to write: a server blocked on sending results to us would otherwise
        // never drain what we send it (a long pipeline).
        watch();
        auto ready = co_await (socket_.async_wait(asio::posix::stream_descriptor::wait_write, use_tuple) ||
                               socket_.async_wait(asio::posix::stream_descriptor::wait_read, use_tuple));
        const auto ec = ready.index() == 0 ? std::get<0>(std::get<0>(ready)) : std::get<0>(std::get<1>(ready));
        if (ec)
            fail_wait(ec);
        waiting_ = false;
        if (ready.index() == 1 && !PQconsumeInput(conn_))
            fail_connection("lost");
    } while (!flushed());
}

task<void> connection::until_result()
{
    while (PQisBusy(conn_))
        co_await wait_readable();
}

task<std::vector<result_ptr>> connection::collect()
{
    co_await flush();
    std::vector<result_ptr> results;
    for (;;) {
        co_await until_result();
        pg_result* r = PQgetResult(conn_);
        if (!r)
            break;
        results.emplace_back(r, PQclear);
    }
    statement_done();
    if (PQstatus(conn_) != CONNECTION_OK)
        fail_connection("lost");
    for (const auto& r : results) {
        const auto status = PQresultStatus(r.get());
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE || status == PGRES_NONFATAL_ERROR)
            throw_result_error(r.get());
    }
    co_return results;
}

task<void> connection::ping(std::chrono::milliseconds limit)
{
    const auto usual = wait_limit_;
    wait_limit_ = std::min(limit, usual);
    std::exception_ptr failure;
    try {
        co_await simple("SELECT 1");
    } catch (...) {
        failure = std::current_exception();
    }
    wait_limit_ = usual;
    if (failure)
        std::rethrow_exception(failure);
}

task<void> connection::simple(const char* sql)
{
    if (!PQsendQuery(conn_, sql))
        fail_connection("lost while sending");
    busy_ = true;
    co_await collect();
}

const connection::prepared* connection::cached(std::string_view sql) const
{
    auto it = statements_.find(sql);
    return it == statements_.end() ? nullptr : &it->second;
}

task<std::vector<const connection::prepared*>> connection::plans_for(std::vector<std::string_view> statements)
{
    std::vector<const prepared*> plans(statements.size());
    std::size_t missing = 0;
    for (std::size_t i = 0; i < statements.size(); ++i)
        missing += (plans[i] = cached(statements[i])) == nullptr;
    if (missing == 0)
        co_return plans;
    if (statements_.size() + missing > statement_cache_limit) {
        co_await simple("DEALLOCATE ALL");
        statements_.clear();
        std::fill(plans.begin(), plans.end(), nullptr);
    }
    for (std::size_t i = 0; i < statements.size(); ++i) {
        if (!plans[i])
            plans[i] = cached(statements[i]);  // the same text earlier in this batch
        if (!plans[i])
            plans[i] = co_await prepare(statements[i]);
    }
    co_return plans;
}

task<const connection::prepared*> connection::plan_for(std::string_view sql)
{
    std::vector<std::string_view> one{sql};
    auto plans = co_await plans_for(std::move(one));  // named: see README on g++ 12
    co_return plans.front();
}

task<const connection::prepared*> connection::prepare(std::string_view sql)
{
    std::string key(sql);
    std::string name = "keel_" + std::to_string(++statements_prepared_);
    // Prepare, then describe: the parameter count lets keel report a wrong number of arguments
    // itself (the server would answer with a protocol error, SQLSTATE 08P01).
    if (!PQsendPrepare(conn_, name.c_str(), key.c_str(), 0, nullptr))
        fail_connection("lost while sending");
    busy_ = true;
    co_await collect();
    if (!PQsendDescribePrepared(conn_, name.c_str()))
        fail_connection("lost while sending");
    busy_ = true;
    auto described = co_await collect();
    const int parameters = described.empty() ? 0 : PQnparams(described.front().get());
    auto [it, inserted] = statements_.emplace(std::move(key), prepared{std::move(name), parameters});
    co_return &it->second;
}

namespace {

std::string text_of(const value& v)
{
    if (const auto* b = std::get_if<bool>(&v))
        return *b ? "true" : "false";
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&v))
        return fmt::format("{}", *d);  // shortest form that reads back exactly
    if (const auto* s = std::get_if<std::string>(&v))
        return *s;
    if (const auto* t = std::get_if<timestamp>(&v))
        return format_iso8601(*t);
    return {};
}

// Arguments as PQsendQueryPrepared takes them: text, except blobs in binary.
struct bound_params {
    explicit bound_params(const std::vector<value>& params)
        : texts(params.size()), values(params.size()), lengths(params.size()), formats(params.size())
    {
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (std::holds_alternative<std::nullptr_t>(params[i])) {
                values[i] = nullptr;
            } else if (const auto* b = std::get_if<blob>(&params[i])) {
                values[i] = reinterpret_cast<const char*>(b->data());
                lengths[i] = static_cast<int>(b->size());
                formats[i] = 1;
            } else {
                texts[i] = text_of(params[i]);
                values[i] = texts[i].c_str();
                lengths[i] = static_cast<int>(texts[i].size());
            }
        }
    }
    int count() const { return static_cast<int>(values.size()); }
    std::vector<std::string> texts;
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
};

std::exception_ptr argument_count_error(int expected, std::size_t given)
{
    return std::make_exception_ptr(
        error(fmt::format("the statement uses {} parameter(s) but {} argument(s) were given", expected, given)));
}

}  // namespace

task<result> connection::execute(std::string_view sql, const std::vector<value>& params)
{
    const prepared* statement = cached(sql);
    if (!statement)
        statement = co_await plan_for(sql);
    if (static_cast<int>(params.size()) != statement->parameters)
        std::rethrow_exception(argument_count_error(statement->parameters, params.size()));
    const bound_params bound(params);
    if (!PQsendQueryPrepared(conn_, statement->name.c_str(), bound.count(), bound.values.data(), bound.lengths.data(),
                             bound.formats.data(), 0))
        fail_connection("lost while sending");
    busy_ = true;
    auto results = co_await collect();
    if (results.empty())
        co_return result{};
    co_return decode_result(results.back().get());
}

void connection::enter_pipeline()
{
    if (!PQenterPipelineMode(conn_))
        fail_connection("cannot enter pipeline mode");
    busy_ = true;
}

void connection::leave_pipeline()
{
    if (!PQexitPipelineMode(conn_))
        fail_connection("cannot leave pipeline mode");
    statement_done();
}

void connection::statement_done()
{
    busy_ = false;
    last_used_ = std::chrono::steady_clock::now();
    rest();
}

bool connection::take_command(batch_entry& entry)
{
    // libpq 34.5: a command's results, then a null.
    while (!PQisBusy(conn_)) {
        result_ptr r(PQgetResult(conn_), PQclear);
        if (!r)
            return true;
        try {
            switch (PQresultStatus(r.get())) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
                entry.rows = decode_result(r.get());
                break;
            case PGRES_PIPELINE_ABORTED:
                entry.error = db::detail::not_run_error();
                break;
            default:
                throw_result_error(r.get());
            }
        } catch (const db::error&) {
            entry.error = std::current_exception();
        }
    }
    return false;
}

bool connection::take_sync()
{
    if (PQisBusy(conn_))
        return false;
    result_ptr sync(PQgetResult(conn_), PQclear);
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC)
        fail_connection("lost its place in the pipeline");
    return true;
}

task<void> connection::read_command(batch_entry& entry)
{
    while (!take_command(entry))
        co_await wait_readable();
}

task<void> connection::read_sync()
{
    while (!take_sync())
        co_await wait_readable();
}

std::optional<connection::plan_list> connection::cached_plans(const std::vector<statement>& statements) const
{
    plan_list plans(statements.size());
    for (std::size_t i = 0; i < statements.size(); ++i)
        if (!(plans[i] = cached(statements[i].sql)))
            return std::nullopt;
    return plans;
}

task<connection::plan_list> connection::prepare_all(const std::vector<statement>& statements)
{
    std::vector<std::string_view> texts;
    texts.reserve(statements.size());
    for (const auto& st : statements)
        texts.push_back(st.sql);
    co_return co_await plans_for(std::move(texts));
}

std::vector<bool> connection::send_each(const std::vector<statement>& statements, const plan_list& plans,
                                       std::vector<batch_entry>& entries, batch_commit mode)
{
    const bool together = mode == batch_commit::all_or_nothing;
    std::vector<bool> sent(statements.size());
    for (std::size_t i = 0; i < statements.size(); ++i)
        if (static_cast<int>(statements[i].params.size()) != plans[i]->parameters)
            entries[i].error = argument_count_error(plans[i]->parameters, statements[i].params.size());
    if (together && std::any_of(entries.begin(), entries.end(), [](const batch_entry& e) { return e.error != nullptr; })) {
        for (auto& entry : entries)  // all or nothing: nothing
            if (!entry.error)
                entry.error = db::detail::not_run_error();
        return sent;
    }
    for (std::size_t i = 0; i < statements.size(); ++i) {
        if (entries[i].error)
            continue;
        const bound_params bound(statements[i].params);
        if (!PQsendQueryPrepared(conn_, plans[i]->name.c_str(), bound.count(), bound.values.data(),
                                 bound.lengths.data(), bound.formats.data(), 0) ||
            (!together && !PQpipelineSync(conn_)))
            fail_connection("lost while sending");
        sent[i] = true;
    }
    // One sync point for the whole batch makes it one implicit transaction (protocol 55.2.3).
    if (together && !statements.empty() && !PQpipelineSync(conn_))
        fail_connection("lost while sending");
    return sent;
}

task<void> connection::read_each(std::vector<batch_entry>& entries, const std::vector<bool>& sent, batch_commit mode)
{
    const bool together = mode == batch_commit::all_or_nothing;
    // Under load the results are mostly read already: a coroutine only for what must be waited for.
    if (!flushed())
        co_await send_rest();  // what PQpipelineSync could not send yet
    bool any = false;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!sent[i])
            continue;
        if (!take_command(entries[i]))
            co_await read_command(entries[i]);
        if (!together && !take_sync())
            co_await read_sync();
        any = true;
    }
    if (together && any && !take_sync())
        co_await read_sync();
    last_used_ = std::chrono::steady_clock::now();
}

void connection::interrupt()
{
    boost::system::error_code ignored;
    socket_.cancel(ignored);
}

task<std::vector<batch_entry>> connection::pipeline(const std::vector<statement>& statements, batch_commit mode)
{
    std::vector<batch_entry> entries(statements.size());
    const auto plans = co_await prepare_all(statements);  // new statements are prepared once, before the pipeline
    enter_pipeline();
    const auto sent = send_each(statements, plans, entries, mode);
    co_await read_each(entries, sent, mode);
    leave_pipeline();
    co_return entries;
}

task<result> connection::begin_and_execute(const char* begin, std::string_view sql, const std::vector<value>& params)
{
    const prepared* statement = cached(sql);
    if (!statement)  // before BEGIN: a statement that cannot be prepared opens nothing
        statement = co_await plan_for(sql);
    if (static_cast<int>(params.size()) != statement->parameters)
        std::rethrow_exception(argument_count_error(statement->parameters, params.size()));
    const bound_params bound(params);
    enter_pipeline();
    // One sync point for both: if BEGIN failed, the statement is not run.
    if (!PQsendQueryParams(conn_, begin, 0, nullptr, nullptr, nullptr, nullptr, 0) ||
        !PQsendQueryPrepared(conn_, statement->name.c_str(), bound.count(), bound.values.data(), bound.lengths.data(),
                             bound.formats.data(), 0) ||
        !PQpipelineSync(conn_))
        fail_connection("lost while sending");
    co_await flush();
    batch_entry began, first;
    co_await read_command(began);
    co_await read_command(first);
    co_await read_sync();
    leave_pipeline();
    if (began.error)
        std::rethrow_exception(began.error);
    if (first.error)
        std::rethrow_exception(first.error);
    co_return std::move(*first.rows);
}

}  // namespace keel::db::postgres

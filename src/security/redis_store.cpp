// The Redis store: GCRA in a Lua script run with EVALSHA, so that the read-modify-write of a key is
// one atomic step on the server whichever instance sends it, timed by the server's own clock.
// Each io_context has its own hiredis connection (held in an Asio service of that context, as the
// PostgreSQL pool's lanes are), driven by hiredis_asio: nothing here blocks an I/O thread.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/uuid/detail/sha1.hpp>
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <keel/core/error.hpp>
#include <keel/core/log.hpp>

#include "core/ascii.hpp"
#include "security/hiredis_asio.hpp"
#include "security/rate_store.hpp"

namespace keel::security::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

std::optional<redis_address> parse_redis_url(std::string_view text)
{
    auto url = boost::urls::parse_uri(text);
    if (!url || !keel::detail::equals_ignoring_case(url->scheme(), "redis") || url->host().empty())  // RFC 3986: any case
        return std::nullopt;
    redis_address out;
    out.host = url->host();
    if (url->has_port()) {
        if (url->port_number() == 0)
            return std::nullopt;
        out.port = url->port_number();
    }
    out.password = url->password();
    const std::string path = url->path();  // decoded: a string of its own
    out.database = path.starts_with('/') ? path.substr(1) : path;
    if (out.database.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return out;
}

namespace {

// KEYS[1]: the key; ARGV: interval and period in µs. Returns {allowed, remaining, reset µs, retry µs}:
// the same step as gcra() in rate_store.cpp. TIME is the server's clock, shared by every instance.
constexpr char gcra_script[] = R"lua(
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local allow_at = tat + interval - period
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil((tat + interval - now) / 1000))
return {1, math.floor((now - allow_at) / interval), tat + interval - now, 0}
)lua";

std::string sha1_hex(std::string_view text)
{
    boost::uuids::detail::sha1 hash;
    hash.process_bytes(text.data(), text.size());
    boost::uuids::detail::sha1::digest_type digest;
    hash.get_digest(digest);
    std::string out;
    for (unsigned word : digest)
        out += fmt::format("{:08x}", word);
    return out;
}

struct redis_reply {
    bool answered = false;  // false: no reply at all (connection lost, timed out)
    std::string error;      // a Redis error reply, or why there was no reply
    std::vector<long long> integers;
    bool stale_connection = false;  // sent on a connection made earlier that turned out closed
};

redis_reply convert(const redisAsyncContext* context, const redisReply* reply)
{
    redis_reply out;
    if (!reply) {
        out.error = context && context->errstr[0] ? context->errstr : "connection closed";
        return out;
    }
    out.answered = true;
    if (reply->type == REDIS_REPLY_ERROR)
        out.error.assign(reply->str, reply->len);
    else if (reply->type == REDIS_REPLY_ARRAY)
        for (std::size_t i = 0; i < reply->elements; ++i)
            out.integers.push_back(reply->element[i]->type == REDIS_REPLY_INTEGER ? reply->element[i]->integer : -1);
    return out;
}

// A command awaiting its reply. The timer is the event: it expires at the deadline, and the reply
// callback cancels it. Shared by the coroutine and hiredis's callback, whichever ends last frees it.
struct pending {
    explicit pending(const asio::any_io_executor& executor) : wake(executor) {}
    asio::steady_timer wake;
    std::optional<redis_reply> reply;

    static void on_reply(redisAsyncContext* context, void* reply, void* data)
    {
        std::unique_ptr<std::shared_ptr<pending>> self(static_cast<std::shared_ptr<pending>*>(data));
        (*self)->reply = convert(context, static_cast<redisReply*>(reply));
        (*self)->wake.cancel();
    }
};

class redis_lane {
public:
    redis_lane(asio::any_io_executor executor, const redis_address& address)
        : executor_(std::move(executor)), address_(address)
    {
    }
    ~redis_lane() { close(); }

    /// Sends `args` and waits for the reply until `deadline`; on a timeout the connection is
    /// dropped (the server is not answering) and the next call makes a new one.
    task<redis_reply> call(const std::vector<std::string>& args, clock::time_point deadline)
    {
        auto p = std::make_shared<pending>(executor_);
        p->wake.expires_at(deadline);
        const bool reused = adapter_ && adapter_->context();
        if (!send(args, p))
            co_return redis_reply{false, connect_error_, {}};
        co_await p->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        if (p->reply) {
            p->reply->stale_connection = reused && !p->reply->answered;
            co_return std::move(*p->reply);
        }
        close();
        co_return redis_reply{false, "no reply in time", {}};
    }

    void close()
    {
        if (adapter_ && adapter_->context())
            redisAsyncFree(adapter_->context());  // fails every pending command; hiredis_asio detaches
        adapter_.reset();
    }

private:
    bool send(const std::vector<std::string>& args, const std::shared_ptr<pending>& p)
    {
        redisAsyncContext* context = connected();
        if (!context)
            return false;
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        auto* data = new std::shared_ptr<pending>(p);
        if (redisAsyncCommandArgv(context, &pending::on_reply, data, static_cast<int>(args.size()), argv.data(),
                                  lengths.data()) == REDIS_OK)
            return true;
        delete data;  // refused (the context is closing): hiredis will not call back
        connect_error_ = context->errstr[0] ? context->errstr : "command refused";
        return false;
    }

    // The live connection, or a new one. Commands may be queued at once: hiredis sends them when
    // the connection is up, and fails them all (null replies) if it never comes up.
    redisAsyncContext* connected()
    {
        if (adapter_ && adapter_->context())
            return adapter_->context();
        redisAsyncContext* context = redisAsyncConnect(address_.ip.c_str(), address_.port);
        if (!context || context->err) {
            connect_error_ = context ? context->errstr : "out of memory";
            if (context)
                redisAsyncFree(context);
            return nullptr;
        }
        adapter_ = hiredis_asio::attach(context, executor_);
        if (!address_.password.empty())
            redisAsyncCommand(context, nullptr, nullptr, "AUTH %s", address_.password.c_str());
        if (!address_.database.empty())
            redisAsyncCommand(context, nullptr, nullptr, "SELECT %s", address_.database.c_str());
        return context;
    }

    asio::any_io_executor executor_;
    redis_address address_;
    std::shared_ptr<hiredis_asio> adapter_;
    std::string connect_error_;
};

// Holds every Redis store's lane for one io_context; shutting the context down closes them.
class lane_service : public asio::execution_context::service {
public:
    using key_type = lane_service;
    static inline asio::execution_context::id id;

    explicit lane_service(asio::execution_context& context) : asio::execution_context::service(context) {}

    std::shared_ptr<redis_lane> find_or_create(std::uint64_t store_id, const asio::any_io_executor& executor,
                                               const redis_address& address)
    {
        std::lock_guard lock(mutex_);
        auto& slot = lanes_[store_id];
        if (!slot)
            slot = std::make_shared<redis_lane>(executor, address);
        return slot;
    }

private:
    void shutdown() override
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, lane] : lanes_)
            lane->close();
        lanes_.clear();
    }

    std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::shared_ptr<redis_lane>> lanes_;
};

class redis_store final : public rate_store {
public:
    redis_store(redis_address address, std::chrono::milliseconds timeout, failure_policy policy)
        : address_(std::move(address)), timeout_(timeout), policy_(policy), sha_(sha1_hex(gcra_script))
    {
    }

    task<std::optional<rate_decision>> hit(std::string key, rate limit) override
    {
        const auto executor = co_await asio::this_coro::executor;
        auto& context = asio::query(executor, asio::execution::context);
        auto lane = asio::use_service<lane_service>(context).find_or_create(id_, executor, address_);
        const auto deadline = clock::now() + timeout_;
        const auto [interval, period] = spacing_of(limit);
        std::vector<std::string> args{"EVALSHA", sha_, "1", "keel:rate:" + key, std::to_string(interval),
                                      std::to_string(period)};
        auto reply = co_await lane->call(args, deadline);
        if (reply.stale_connection)  // Redis restarted, or closed an idle connection: once more on a new one
            reply = co_await lane->call(args, deadline);
        if (reply.error.starts_with("NOSCRIPT")) {  // a new or flushed server: EVAL also caches the script
            args[0] = "EVAL";
            args[1] = gcra_script;
            reply = co_await lane->call(args, deadline);
        }
        if (!reply.answered || !reply.error.empty() || reply.integers.size() != 4) {
            log_failure(reply);
            co_return std::nullopt;
        }
        const auto& v = reply.integers;
        co_return make_decision(v[0] == 1, limit.times, v[1], v[2], v[3]);
    }

private:
    void log_failure(const redis_reply& reply) const
    {
        // Redis down means every limited request fails the same way: one line a second says it.
        static log::limiter failures{std::chrono::seconds(1)};
        failures.warn("rate limit store redis://{}:{} unavailable ({}); RATE_LIMIT_FAILURE={} applies", address_.host,
                      address_.port, reply.error.empty() ? "unexpected reply" : reply.error,
                      policy_ == failure_policy::open ? "open: requests are served" : "closed: requests get 503");
    }

    static inline std::atomic<std::uint64_t> next_id_{1};
    const std::uint64_t id_ = next_id_++;
    redis_address address_;
    std::chrono::milliseconds timeout_;
    failure_policy policy_;
    std::string sha_;
};

}  // namespace

namespace {
// hiredis resolves a host name with a blocking getaddrinfo when it connects, which would stall an
// I/O thread: the name is resolved once here, at start-up, and connections go to the address.
std::string resolve_once(const redis_address& address)
{
    asio::io_context context;
    asio::ip::tcp::resolver resolver(context);
    boost::system::error_code ec;
    const auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
    if (ec || results.empty())
        throw settings_error({"RATE_LIMIT_STORAGE: its host does not resolve (" + ec.message() + ")"});
    return results.begin()->endpoint().address().to_string();
}
}  // namespace

std::shared_ptr<rate_store> make_redis_store(redis_address address, std::chrono::milliseconds timeout,
                                             failure_policy policy)
{
    address.ip = resolve_once(address);
    return std::make_shared<redis_store>(std::move(address), timeout, policy);
}

}  // namespace keel::security::detail

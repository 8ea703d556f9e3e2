#include <keel/security/password.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include <keel/core/error.hpp>
#include <keel/core/settings.hpp>

#include "core/offload.hpp"

namespace keel::security {

namespace {
constexpr setting_names<hash_cost, 4> hash_cost_names{{{"minimum", hash_cost::minimum},
                                                       {"interactive", hash_cost::interactive},
                                                       {"moderate", hash_cost::moderate},
                                                       {"sensitive", hash_cost::sensitive}}};
}

hash_cost parse_setting(std::string_view text, std::type_identity<hash_cost>) { return parse_named_setting(text, hash_cost_names); }
std::string format_setting(hash_cost value) { return format_named_setting(value, hash_cost_names); }

namespace {

struct cost_limits {
    unsigned long long ops;
    std::size_t mem;
};

cost_limits limits_of(hash_cost cost)
{
    static constexpr cost_limits presets[] = {
        {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN},
        {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE},
        {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE},
        {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE},
    };
    return presets[static_cast<std::size_t>(cost)];
}

std::size_t thread_count(std::size_t requested)
{
    return requested ? requested : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

struct password_hasher::impl {
    impl(const password_settings& settings, std::function<void()> before)
        : cost(limits_of(settings.password_hash_cost)), threads(thread_count(settings.password_hash_threads)),
          capacity(threads + settings.password_hash_queue.value_or(4 * threads)), before_each(std::move(before)),
          workers(threads)
    {
    }

    // A place among the calls running or waiting, held until the caller has its result. It shares
    // the count: a coroutine frame destroyed with its io_context may outlive the hasher.
    class place {
    public:
        explicit place(std::shared_ptr<std::atomic<std::size_t>> count) : count_(std::move(count)) {}
        ~place() { count_->fetch_sub(1, std::memory_order_relaxed); }
        place(const place&) = delete;
        place& operator=(const place&) = delete;

    private:
        std::shared_ptr<std::atomic<std::size_t>> count_;
    };

    place admit()
    {
        if (admitted->fetch_add(1, std::memory_order_relaxed) >= capacity) {
            admitted->fetch_sub(1, std::memory_order_relaxed);
            throw overloaded(fmt::format("password hasher busy: {} running and {} waiting", threads, capacity - threads),
                             retry_after());
        }
        return place(admitted);
    }

    // How long the calls ahead of a retry take to drain: capacity / threads hashes per thread.
    std::chrono::seconds retry_after() const
    {
        const double drain = static_cast<double>(mean_ns.load(std::memory_order_relaxed)) * capacity / threads / 1e9;
        return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(drain)));
    }

    // Runs on a hashing thread; keeps a running mean of the duration (weight 1/8 for the newest).
    template <class F>
    auto timed(F work)
    {
        if (before_each)
            before_each();
        const auto start = std::chrono::steady_clock::now();
        auto out = work();
        const std::int64_t took = std::chrono::nanoseconds(std::chrono::steady_clock::now() - start).count();
        const std::int64_t mean = mean_ns.load(std::memory_order_relaxed);
        mean_ns.store(mean == 0 ? took : mean + (took - mean) / 8, std::memory_order_relaxed);  // a lost update is harmless
        return out;
    }

    // A hash of a random password at the current cost, made once on a hashing thread when first
    // needed; verifying against it costs what verifying a real user's password does.
    const std::string& dummy_hash()
    {
        std::call_once(dummy_made, [this] {
            unsigned char password[32];
            randombytes_buf(password, sizeof password);
            char out[crypto_pwhash_STRBYTES];
            if (crypto_pwhash_str_alg(out, reinterpret_cast<const char*>(password), sizeof password, cost.ops, cost.mem,
                                      crypto_pwhash_ALG_ARGON2ID13) != 0)
                throw keel::error("password hashing ran out of memory");
            dummy = out;
        });
        return dummy;
    }

    cost_limits cost;
    std::size_t threads;
    std::size_t capacity;
    std::function<void()> before_each;
    std::shared_ptr<std::atomic<std::size_t>> admitted = std::make_shared<std::atomic<std::size_t>>(0);
    std::atomic<std::int64_t> mean_ns{0};
    std::once_flag dummy_made;
    std::string dummy;
    boost::asio::thread_pool workers;
};

password_hasher::password_hasher(hash_cost cost, std::size_t threads)
    : password_hasher(password_settings{cost, threads, std::nullopt})
{
}

password_hasher::password_hasher(const password_settings& settings, std::function<void()> before_each)
{
    if (sodium_init() < 0)
        throw keel::error("libsodium failed to initialise");
    impl_ = std::make_unique<impl>(settings, std::move(before_each));
}

password_hasher::~password_hasher()
{
    impl_->workers.join();
}

task<std::string> password_hasher::hash(std::string password) const
{
    const auto place = impl_->admit();
    co_return co_await keel::detail::offload(impl_->workers.get_executor(), [this, &password] {
        return impl_->timed([&] {
            char out[crypto_pwhash_STRBYTES];
            if (crypto_pwhash_str_alg(out, password.data(), password.size(), impl_->cost.ops, impl_->cost.mem,
                                      crypto_pwhash_ALG_ARGON2ID13) != 0)
                throw keel::error("password hashing ran out of memory");
            sodium_memzero(password.data(), password.size());
            return std::string(out);
        });
    });
}

task<bool> password_hasher::verify(std::string password, std::optional<std::string> stored_hash) const
{
    const auto place = impl_->admit();
    co_return co_await keel::detail::offload(impl_->workers.get_executor(), [this, &password, &stored_hash] {
        return impl_->timed([&] {
            const std::string& against = stored_hash ? *stored_hash : impl_->dummy_hash();
            const bool ok = crypto_pwhash_str_verify(against.c_str(), password.data(), password.size()) == 0;
            sodium_memzero(password.data(), password.size());
            return ok && stored_hash.has_value();
        });
    });
}

bool password_hasher::needs_rehash(const std::string& stored_hash) const
{
    // 0: made with these parameters; 1: other ones; -1: not an argon2id hash at all.
    return crypto_pwhash_str_needs_rehash(stored_hash.c_str(), impl_->cost.ops, impl_->cost.mem) != 0;
}

}  // namespace keel::security

#include <keel/security/password.hpp>

#include <stdexcept>
#include <thread>

#include <boost/asio/thread_pool.hpp>
#include <sodium.h>

#include <keel/core/error.hpp>

#include "core/offload.hpp"

namespace keel::security {

hash_cost parse_setting(std::string_view text, std::type_identity<hash_cost>)
{
    if (text == "minimum") return hash_cost::minimum;
    if (text == "interactive") return hash_cost::interactive;
    if (text == "moderate") return hash_cost::moderate;
    if (text == "sensitive") return hash_cost::sensitive;
    throw std::invalid_argument("expected minimum, interactive, moderate or sensitive");
}

struct password_hasher::impl {
    unsigned long long opslimit;
    std::size_t memlimit;
    boost::asio::thread_pool workers;
    impl(unsigned long long ops, std::size_t mem, std::size_t threads) : opslimit(ops), memlimit(mem), workers(threads) {}
};

password_hasher::password_hasher(hash_cost cost, std::size_t threads)
{
    if (sodium_init() < 0)
        throw keel::error("libsodium failed to initialise");
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    struct limits {
        unsigned long long ops;
        std::size_t mem;
    };
    static constexpr limits presets[] = {
        {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN},
        {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE},
        {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE},
        {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE},
    };
    const auto& preset = presets[static_cast<std::size_t>(cost)];
    impl_ = std::make_unique<impl>(preset.ops, preset.mem, threads);
}

password_hasher::~password_hasher()
{
    impl_->workers.join();
}

task<std::string> password_hasher::hash(std::string password) const
{
    co_return co_await keel::detail::offload(impl_->workers.get_executor(), [this, &password] {
        char out[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str_alg(out, password.data(), password.size(), impl_->opslimit, impl_->memlimit,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
            throw keel::error("password hashing ran out of memory");
        sodium_memzero(password.data(), password.size());
        return std::string(out);
    });
}

task<bool> password_hasher::verify(std::string password, std::string stored_hash) const
{
    co_return co_await keel::detail::offload(impl_->workers.get_executor(), [&password, &stored_hash] {
        const bool ok = crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
        sodium_memzero(password.data(), password.size());
        return ok;
    });
}

}  // namespace keel::security

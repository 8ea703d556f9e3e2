#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/describe/class.hpp>

#include <keel/core/task.hpp>

namespace keel::security {

/// Argon2id cost presets (libsodium's). `minimum` exists for test suites only: it makes hashes
/// that are cheap to crack.
enum class hash_cost { minimum, interactive, moderate, sensitive };

/// Reads PASSWORD_HASH_COST: "minimum", "interactive", "moderate" or "sensitive".
hash_cost parse_setting(std::string_view text, std::type_identity<hash_cost>);
std::string format_setting(hash_cost value);

/// The hasher's settings; embedded in an application's settings struct they are read from
/// PASSWORD_HASH_COST, PASSWORD_HASH_THREADS and PASSWORD_HASH_QUEUE.
struct password_settings {
    hash_cost password_hash_cost = hash_cost::interactive;
    /// Hashes computed at once, each on its own thread; 0 means one per core.
    std::size_t password_hash_threads = 0;
    /// Calls that may wait for a busy thread; past that, hash() and verify() throw keel::overloaded
    /// (→ 503 with Retry-After) at once. Unset: 4 × password_hash_threads.
    std::optional<std::size_t> password_hash_queue;
};
BOOST_DESCRIBE_STRUCT(password_settings, (), (password_hash_cost, password_hash_threads, password_hash_queue))

/// Hashes and verifies passwords with argon2id (libsodium crypto_pwhash_str) on its own small
/// thread pool, never on an I/O thread; at most `threads` hashes run at once, which also bounds
/// the memory they take (64 MiB each at `interactive`), and at most `queue` more wait. A call
/// holds its place until its result is back on the caller's executor.
class password_hasher {
public:
    explicit password_hasher(hash_cost cost = hash_cost::interactive, std::size_t threads = 0);
    /// `before_each` is a test seam: it runs on the hashing thread before each hash or verify, so a
    /// test can hold the threads busy (with a latch or a future) and fill the queue deterministically.
    explicit password_hasher(const password_settings& settings, std::function<void()> before_each = {});
    ~password_hasher();
    password_hasher(const password_hasher&) = delete;
    password_hasher& operator=(const password_hasher&) = delete;

    /// The PHC string ("$argon2id$v=19$m=…"), salted. Throws keel::overloaded when the queue is
    /// full, keel::error if memory runs out.
    task<std::string> hash(std::string password) const;
    /// True when `password` matches `stored_hash`; false for a wrong password or a malformed hash.
    /// With no stored hash (a log-in for a user who does not exist) it verifies against a dummy
    /// hash of the current cost and returns false, so that the answer takes as long as for a
    /// wrong password. Throws keel::overloaded when the queue is full.
    task<bool> verify(std::string password, std::optional<std::string> stored_hash) const;
    /// True when `stored_hash` was made with other parameters than the current cost (or is not an
    /// argon2id hash): hash the password again after a successful verify. Cheap; runs here.
    bool needs_rehash(const std::string& stored_hash) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace keel::security

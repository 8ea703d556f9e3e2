#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <keel/core/task.hpp>

namespace keel::security {

/// Argon2id cost presets (libsodium's). `minimum` exists for test suites only: it makes hashes
/// that are cheap to crack.
enum class hash_cost { minimum, interactive, moderate, sensitive };

/// Reads PASSWORD_HASH_COST: "minimum", "interactive", "moderate" or "sensitive".
hash_cost parse_setting(std::string_view text, std::type_identity<hash_cost>);

/// Hashes and verifies passwords with argon2id (libsodium crypto_pwhash_str) on its own small
/// thread pool, never on an I/O thread; at most `threads` hashes run at once, which also bounds
/// the memory they take (64 MiB each at `interactive`).
class password_hasher {
public:
    explicit password_hasher(hash_cost cost = hash_cost::interactive, std::size_t threads = 0);
    ~password_hasher();
    password_hasher(const password_hasher&) = delete;
    password_hasher& operator=(const password_hasher&) = delete;

    /// The PHC string ("$argon2id$v=19$m=…"), salted. Throws keel::error if memory runs out.
    task<std::string> hash(std::string password) const;
    /// True when `password` matches `stored_hash`; false for a wrong password or a malformed hash.
    task<bool> verify(std::string password, std::string stored_hash) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace keel::security

#pragma once
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/describe/class.hpp>

#include <keel/core/settings.hpp>
#include <keel/core/time.hpp>

namespace keel::security {

/// Where the service runs. `development` relaxes what would be unsafe in production: without
/// SECRET_KEY a random one is made at start-up (with a warning: tokens do not survive a restart).
enum class deployment { production, development };

/// Reads ENVIRONMENT: "production" or "development".
deployment parse_setting(std::string_view text, std::type_identity<deployment>);
std::string format_setting(deployment value);

/// The token settings; embedded in an application's settings struct they are read from
/// ENVIRONMENT, SECRET_KEY, PREVIOUS_SECRET_KEY, PREVIOUS_SECRET_KEY_UNTIL and
/// ACCESS_TOKEN_LIFETIME (each also from NAME_FILE, see keel::environment).
struct token_settings {
    deployment environment = deployment::production;
    /// The HS256 key tokens are signed with: at least 32 bytes (RFC 7518 3.2). Required in
    /// production.
    secret<std::string> secret_key;
    /// The key before the last rotation: tokens it signed are still accepted until
    /// previous_secret_key_until (which must then be set), never after.
    std::optional<secret<std::string>> previous_secret_key;
    std::optional<timestamp> previous_secret_key_until;
    std::chrono::seconds access_token_lifetime{30 * 60};
};
BOOST_DESCRIBE_STRUCT(token_settings, (),
                      (environment, secret_key, previous_secret_key, previous_secret_key_until, access_token_lifetime))

/// What a verified token says: its subject and when it was issued and expires (whole seconds).
struct token_claims {
    std::string subject;
    std::chrono::sys_seconds issued_at;
    std::chrono::sys_seconds expires_at;
};

/// Signs and verifies access tokens: JWTs (RFC 7519) with HS256 only, through OpenSSL's HMAC.
/// What token_settings cannot be used with, each "NAME: expected …" (SECRET_KEY missing in
/// production, too short, a previous key without its end, a lifetime under a second); none when
/// usable. jwt_signer refuses them; cli::main reports them at start and in `check`.
std::vector<std::string> token_setting_problems(const token_settings& settings);

/// The algorithm is the server's: a token whose header names another one (`none` included) is
/// refused, as is one with a `crit` header. Signatures are compared in constant time.
class jwt_signer {
public:
    /// Checks `settings` and throws keel::settings_error naming every problem (a missing or short
    /// SECRET_KEY in production, a previous key without its end, a lifetime under a second). In
    /// development a missing SECRET_KEY is replaced by a random key, with a warning in the log.
    explicit jwt_signer(const token_settings& settings);

    /// A token for `subject` issued at `now`, expiring access_token_lifetime later.
    std::string sign(std::string_view subject, std::chrono::sys_seconds now = current_time()) const;
    /// The claims of `token` if it is well formed, signed with the current key (or the previous
    /// one before its end), and not expired at `now`; nullopt otherwise. Never throws on bad input.
    std::optional<token_claims> verify(std::string_view token, std::chrono::sys_seconds now = current_time()) const;

    std::chrono::seconds lifetime() const noexcept { return lifetime_; }
    static std::chrono::sys_seconds current_time();

private:
    secret<std::string> key_;
    std::optional<secret<std::string>> previous_key_;
    std::chrono::sys_seconds previous_until_{};
    std::chrono::seconds lifetime_;
};

/// `bytes` random bytes from the operating system's CSPRNG, base64url-encoded without padding
/// (Python's secrets.token_urlsafe).
std::string random_token(std::size_t bytes = 32);

namespace detail {
/// RFC 4648 5 without padding.
std::string base64url_encode(std::string_view bytes);
/// The bytes, or nullopt for anything but the canonical unpadded form (no '=', no stray bits).
std::optional<std::string> base64url_decode(std::string_view text);
}  // namespace detail

}  // namespace keel::security

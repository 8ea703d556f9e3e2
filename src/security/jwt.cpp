#include <keel/security/jwt.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <keel/core/error.hpp>
#include <keel/core/settings.hpp>
#include <keel/core/log.hpp>

namespace keel::security {

namespace {
constexpr setting_names<deployment, 2> deployment_names{{{"production", deployment::production}, {"development", deployment::development}}};
}

deployment parse_setting(std::string_view text, std::type_identity<deployment>) { return parse_named_setting(text, deployment_names); }
std::string format_setting(deployment value) { return format_named_setting(value, deployment_names); }

namespace detail {

namespace {
constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}
}  // namespace

std::string base64url_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t bits = 0;
    int pending = 0;
    for (unsigned char c : bytes) {
        bits = (bits << 8) | c;
        pending += 8;
        while (pending >= 6) {
            pending -= 6;
            out += alphabet[(bits >> pending) & 63];
        }
    }
    if (pending > 0)
        out += alphabet[(bits << (6 - pending)) & 63];
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text)
{
    if (text.size() % 4 == 1)  // 6 bits cannot end a byte
        return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t bits = 0;
    int pending = 0;
    for (char c : text) {
        const int v = sextet(c);
        if (v < 0)
            return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        pending += 6;
        if (pending >= 8) {
            pending -= 8;
            out += static_cast<char>((bits >> pending) & 0xFF);
        }
    }
    // RFC 4648 3.5: the bits left over must be zero, so every byte string has one encoding.
    if ((bits & ((1u << pending) - 1)) != 0)
        return std::nullopt;
    return out;
}

}  // namespace detail

namespace {

using std::chrono::sys_seconds;
using hs256_mac = std::array<unsigned char, 32>;

constexpr std::size_t min_key_bytes = 32;       // RFC 7518 3.2: a key at least as long as the hash
constexpr std::size_t max_token_bytes = 8192;  // far above any token sign() makes; bounds the work

hs256_mac hs256(const std::string& key, std::string_view data)
{
    hs256_mac mac{};
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
              data.size(), mac.data(), &length) ||
        length != mac.size())
        throw keel::error("HMAC-SHA256 failed in OpenSSL");
    return mac;
}

bool mac_matches(const std::string& key, std::string_view signed_part, const std::string& signature)
{
    const hs256_mac expected = hs256(key, signed_part);
    return signature.size() == expected.size() && CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

// The header sign() writes: {"alg":"HS256","typ":"JWT"}.
const std::string& encoded_header()
{
    static const std::string header = detail::base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    return header;
}

// A base64url segment holding a JSON object, or nullopt.
std::optional<boost::json::object> decode_object(std::string_view segment)
{
    auto text = detail::base64url_decode(segment);
    if (!text)
        return std::nullopt;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(*text, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    return std::move(v.as_object());
}

// RFC 7515 4.1.1: the server decides the algorithm; 4.1.11: an unknown "crit" must be refused.
bool acceptable_header(std::string_view segment)
{
    auto header = decode_object(segment);
    if (!header || header->contains("crit"))
        return false;
    const auto* alg = header->if_contains("alg");
    return alg && alg->is_string() && alg->get_string() == "HS256";
}

std::optional<std::int64_t> seconds_claim(const boost::json::object& payload, std::string_view name)
{
    const auto* v = payload.if_contains(name);
    if (!v || !v->is_int64())  // boost::json stores non-negative integers up to INT64_MAX as int64
        return std::nullopt;
    return v->get_int64();
}

std::optional<token_claims> read_claims(std::string_view segment, sys_seconds now)
{
    auto payload = decode_object(segment);
    if (!payload)
        return std::nullopt;
    const auto* sub = payload->if_contains("sub");
    const auto iat = seconds_claim(*payload, "iat");
    const auto exp = seconds_claim(*payload, "exp");
    if (!sub || !sub->is_string() || sub->get_string().empty() || !iat || !exp)
        return std::nullopt;
    // RFC 7519 4.1.4: the token must not be accepted on or after its expiry.
    if (now.time_since_epoch().count() >= *exp || *iat > *exp)
        return std::nullopt;
    return token_claims{std::string(sub->get_string()), sys_seconds(std::chrono::seconds(*iat)),
                        sys_seconds(std::chrono::seconds(*exp))};
}

}  // namespace

std::vector<std::string> token_setting_problems(const token_settings& s)
{
    std::vector<std::string> problems;
    const std::string key_length = "a key of at least " + std::to_string(min_key_bytes) + " bytes";
    if (s.secret_key.reveal().empty() && s.environment == deployment::production)
        problems.push_back("SECRET_KEY: required in production (" + key_length +
                           ", e.g. openssl rand -base64 32; ENVIRONMENT=development makes a random one)");
    else if (!s.secret_key.reveal().empty() && s.secret_key.reveal().size() < min_key_bytes)
        problems.push_back("SECRET_KEY: expected " + key_length);
    if (s.previous_secret_key && s.previous_secret_key->reveal().size() < min_key_bytes)
        problems.push_back("PREVIOUS_SECRET_KEY: expected " + key_length);
    if (s.previous_secret_key && !s.previous_secret_key_until)
        problems.push_back("PREVIOUS_SECRET_KEY_UNTIL: required with PREVIOUS_SECRET_KEY (when its tokens stop being accepted)");
    if (s.access_token_lifetime < std::chrono::seconds(1))
        problems.push_back("ACCESS_TOKEN_LIFETIME: expected a duration of at least 1s");
    return problems;
}

std::string random_token(std::size_t bytes)
{
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1)
        throw keel::error("the operating system's random generator failed (OpenSSL RAND_bytes)");
    return detail::base64url_encode(raw);
}

jwt_signer::jwt_signer(const token_settings& settings) : lifetime_(settings.access_token_lifetime)
{
    if (auto problems = token_setting_problems(settings); !problems.empty())
        throw settings_error(std::move(problems));
    key_ = settings.secret_key;
    if (key_.reveal().empty()) {
        key_ = secret<std::string>(random_token(min_key_bytes));
        log::warn("SECRET_KEY is not set: signing tokens with a random key (ENVIRONMENT=development); "
                  "tokens will not survive a restart");
    }
    if (settings.previous_secret_key) {
        previous_key_ = settings.previous_secret_key;
        previous_until_ = std::chrono::floor<std::chrono::seconds>(*settings.previous_secret_key_until);
    }
}

sys_seconds jwt_signer::current_time()
{
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string jwt_signer::sign(std::string_view subject, sys_seconds now) const
{
    const boost::json::object payload{{"sub", subject},
                                      {"iat", now.time_since_epoch().count()},
                                      {"exp", (now + lifetime_).time_since_epoch().count()}};
    std::string token = encoded_header() + '.' + detail::base64url_encode(boost::json::serialize(payload));
    const hs256_mac mac = hs256(key_.reveal(), token);
    token += '.';
    token += detail::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
    return token;
}

std::optional<token_claims> jwt_signer::verify(std::string_view token, sys_seconds now) const
{
    if (token.size() > max_token_bytes)
        return std::nullopt;
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return std::nullopt;  // a JWS in compact form has exactly three parts
    const std::string_view signed_part = token.substr(0, second);
    const auto signature = detail::base64url_decode(token.substr(second + 1));
    if (!signature || !acceptable_header(token.substr(0, first)))
        return std::nullopt;
    const bool by_key = mac_matches(key_.reveal(), signed_part, *signature);
    const bool by_previous = !by_key && previous_key_ && now < previous_until_ &&
                             mac_matches(previous_key_->reveal(), signed_part, *signature);
    if (!by_key && !by_previous)
        return std::nullopt;
    return read_claims(token.substr(first + 1, second - first - 1), now);
}

}  // namespace keel::security

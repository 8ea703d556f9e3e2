// Fuzz target: access-token verification (src/security/jwt.cpp). The input is an Authorization
// token as a client sends it. Only the signer's own tokens carry a valid HS256 MAC, and it signs
// deterministically, so a token verify() accepts must be, byte for byte, what one of its keys signs
// for the claims it returned; an alg other than HS256 or a changed byte can never pass. Also
// checks that base64url decoding accepts only canonical text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <keel/security/jwt.hpp>

#include "check.hpp"

namespace {

using namespace std::chrono_literals;
using keel::fuzz::check;
using keel::security::jwt_signer;
using keel::security::token_settings;

// The seeds (corpus/jwt) were signed with these keys at this time.
constexpr std::string_view current_key = "fuzz current key, 32 bytes long!";
constexpr std::string_view previous_key = "fuzz previous key, 32 bytes long";
const std::chrono::sys_seconds now{std::chrono::seconds(1'800'000'000)};

token_settings settings(std::string_view key, std::chrono::seconds lifetime)
{
    token_settings s;
    s.secret_key = keel::secret<std::string>(std::string(key));
    s.access_token_lifetime = lifetime;
    return s;
}

const jwt_signer& verifier()
{
    static const jwt_signer signer = [] {
        token_settings s = settings(current_key, 1h);
        s.previous_secret_key = keel::secret<std::string>(std::string(previous_key));
        s.previous_secret_key_until = keel::timestamp(now + 1h);
        return jwt_signer(s);
    }();
    return signer;
}

void check_accepted(std::string_view token, const keel::security::token_claims& claims)
{
    check(!claims.subject.empty(), "a token without a subject was accepted");
    check(now < claims.expires_at, "an expired token was accepted");
    check(claims.issued_at <= claims.expires_at, "a token issued after its expiry was accepted");
    const auto lifetime = claims.expires_at - claims.issued_at;
    if (lifetime < 1s)
        keel::fuzz::fail("an accepted token has a lifetime a signer cannot have");
    bool ours = false;
    for (std::string_view key : {current_key, previous_key})
        ours = ours || jwt_signer(settings(key, lifetime)).sign(claims.subject, claims.issued_at) == token;
    check(ours, "verify() accepted a token none of its keys signed", token);
}

void check_base64url(std::string_view text)
{
    using namespace keel::security::detail;
    if (auto bytes = base64url_decode(text))
        check(base64url_encode(*bytes) == text, "base64url_decode accepted a non-canonical encoding", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view token(reinterpret_cast<const char*>(data), size);
    check_base64url(token);
    if (auto claims = verifier().verify(token, now))
        check_accepted(token, *claims);
    return 0;
}

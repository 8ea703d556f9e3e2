// Access tokens: HS256 JWTs signed and verified by jwt_signer, refused in every shape they can
// be wrong in. No network; times are given, not read from the clock.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/core/error.hpp>
#include <keel/security/jwt.hpp>

namespace {

using namespace std::chrono_literals;
using keel::security::jwt_signer;
using keel::security::token_settings;
using keel::security::detail::base64url_decode;
using keel::security::detail::base64url_encode;
using std::chrono::sys_seconds;

const std::string key_a(32, 'a');
const std::string key_b = "another key, also 32 bytes long!";
const sys_seconds t0{std::chrono::seconds(1'800'000'000)};

token_settings settings_with(const std::string& key, std::chrono::seconds lifetime = 15min)
{
    token_settings s;
    s.secret_key = keel::secret<std::string>(key);
    s.access_token_lifetime = lifetime;
    return s;
}

struct parts {
    std::string header, payload, signature;
};
parts split(const std::string& token)
{
    const auto a = token.find('.'), b = token.find('.', a + 1);
    return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}
std::string join(const parts& p) { return p.header + "." + p.payload + "." + p.signature; }
std::string encode_json(const std::string& text) { return base64url_encode(text); }

TEST(base64url, round_trips_and_refuses_what_is_not_canonical)
{
    const std::vector<std::string> samples = {"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\xff\xfe\x00\x01", 4)};
    for (const std::string& bytes : samples)
        EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");  // the URL alphabet, no padding
    EXPECT_FALSE(base64url_decode("Zm9v="));          // padding
    EXPECT_FALSE(base64url_decode("Zm9v+"));          // the standard alphabet
    EXPECT_FALSE(base64url_decode("Z"));              // 6 bits cannot end a byte
    EXPECT_FALSE(base64url_decode("Zh"));             // "f" is "Zg": stray low bits
    EXPECT_FALSE(base64url_decode("Zm 9v"));
}

TEST(jwt, signs_and_verifies_sub_iat_exp)
{
    const jwt_signer signer(settings_with(key_a));
    const std::string token = signer.sign("user-42", t0);
    const auto header = boost::json::parse(*base64url_decode(split(token).header));
    EXPECT_EQ(header, boost::json::parse(R"({"alg":"HS256","typ":"JWT"})"));
    const auto payload = boost::json::parse(*base64url_decode(split(token).payload));
    EXPECT_EQ(payload.at("sub"), "user-42");
    EXPECT_EQ(payload.at("iat").as_int64(), 1'800'000'000);
    EXPECT_EQ(payload.at("exp").as_int64(), 1'800'000'000 + 15 * 60);
    auto claims = signer.verify(token, t0 + 1s);
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->subject, "user-42");
    EXPECT_EQ(claims->issued_at, t0);
    EXPECT_EQ(claims->expires_at, t0 + 15min);
}

TEST(jwt, an_expired_token_is_refused_from_its_exp_on)
{
    const jwt_signer signer(settings_with(key_a, 60s));
    const std::string token = signer.sign("u", t0);
    EXPECT_TRUE(signer.verify(token, t0 + 59s));
    EXPECT_FALSE(signer.verify(token, t0 + 60s));
    EXPECT_FALSE(signer.verify(token, t0 + 24h));
}

TEST(jwt, a_changed_signature_payload_or_header_is_refused)
{
    const jwt_signer signer(settings_with(key_a));
    const parts good = split(signer.sign("alice", t0));
    parts bad_sig = good;
    bad_sig.signature[5] = bad_sig.signature[5] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(signer.verify(join(bad_sig), t0));
    parts other_sub = good;
    other_sub.payload = encode_json(R"({"sub":"admin","iat":1800000000,"exp":1800000900})");
    EXPECT_FALSE(signer.verify(join(other_sub), t0));
    parts longer = good;
    longer.payload = encode_json(R"({"sub":"alice","iat":1800000000,"exp":1900000000})");
    EXPECT_FALSE(signer.verify(join(longer), t0));
    parts retyped = good;
    retyped.header = encode_json(R"({"alg":"HS256","typ":"JWT","kid":"x"})");
    EXPECT_FALSE(signer.verify(join(retyped), t0));
}

TEST(jwt, alg_none_and_every_other_algorithm_are_refused)
{
    const jwt_signer signer(settings_with(key_a));
    const parts good = split(signer.sign("alice", t0));
    for (const char* alg : {"none", "None", "NONE", "HS384", "HS512", "RS256", "ES256", "hs256", ""}) {
        parts forged = good;
        forged.header = encode_json(std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})");
        EXPECT_FALSE(signer.verify(join(forged), t0)) << alg;
        forged.signature.clear();  // what an alg:none token carries
        EXPECT_FALSE(signer.verify(join(forged), t0)) << alg;
    }
    parts no_alg = good;
    no_alg.header = encode_json(R"({"typ":"JWT"})");
    EXPECT_FALSE(signer.verify(join(no_alg), t0));
    parts critical = good;
    critical.header = encode_json(R"({"alg":"HS256","crit":["exp"]})");
    EXPECT_FALSE(signer.verify(join(critical), t0));
}

TEST(jwt, a_token_signed_with_another_key_is_refused)
{
    const jwt_signer mine(settings_with(key_a));
    const jwt_signer theirs(settings_with(key_b));
    EXPECT_FALSE(mine.verify(theirs.sign("alice", t0), t0));
}

TEST(jwt, the_previous_key_is_accepted_until_its_end_and_never_after)
{
    token_settings rotated = settings_with(key_b);
    rotated.previous_secret_key = keel::secret<std::string>(key_a);
    rotated.previous_secret_key_until = keel::timestamp(t0 + 10min);
    const jwt_signer before(settings_with(key_a));
    const jwt_signer after(rotated);
    const std::string old_token = before.sign("alice", t0);
    EXPECT_TRUE(after.verify(old_token, t0 + 10min - 1s));
    EXPECT_FALSE(after.verify(old_token, t0 + 10min));
    EXPECT_TRUE(after.verify(after.sign("alice", t0), t0 + 10min));  // new tokens use the new key
    EXPECT_FALSE(before.verify(after.sign("alice", t0), t0));
}

TEST(jwt, malformed_tokens_of_every_shape_are_refused)
{
    const jwt_signer signer(settings_with(key_a));
    const std::string good = signer.sign("alice", t0);
    const parts p = split(good);
    const std::string sig = p.signature;
    const std::vector<std::string> shapes = {
        "",
        ".",
        "..",
        "...",
        good + ".",
        good + "." + sig,
        p.header + "." + p.payload,
        p.header + ".." + sig,
        "." + p.payload + "." + sig,
        p.header + "=." + p.payload + "." + sig,
        p.header + "." + p.payload + "." + sig + "=",
        p.header + "." + p.payload + "." + sig.substr(1),
        p.header + "." + p.payload + "." + sig + "AA",
        " " + good,
        good + " ",
        good + "\n",
        encode_json("not json") + "." + p.payload + "." + sig,
        encode_json("[1,2]") + "." + p.payload + "." + sig,
        std::string(10000, 'a') + "." + p.payload + "." + sig,
        std::string(3, '\0'),
    };
    for (const auto& token : shapes)
        EXPECT_FALSE(signer.verify(token, t0)) << token;
}

// HS256 computed here with OpenSSL directly, as anyone holding the key could: the tokens below
// carry a valid signature, so what refuses them is the check of their claims.
std::string signed_with(const std::string& key, const std::string& header_json, const std::string& payload_json)
{
    const std::string signed_part = encode_json(header_json) + "." + encode_json(payload_json);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(signed_part.data()),
         signed_part.size(), mac, &length);
    return signed_part + "." + base64url_encode(std::string(reinterpret_cast<const char*>(mac), length));
}

TEST(jwt, the_signature_is_standard_hs256)
{
    const jwt_signer signer(settings_with(key_a));
    const std::string token = signer.sign("alice", t0);
    const parts p = split(token);
    EXPECT_EQ(token, signed_with(key_a, *base64url_decode(p.header), *base64url_decode(p.payload)));
    // Another encoder's header (other member order, white space) is fine: the MAC covers the text.
    EXPECT_TRUE(signer.verify(signed_with(key_a, R"({ "typ": "JWT", "alg": "HS256" })",
                                          R"({"sub":"alice","iat":1800000000,"exp":1800000900})"),
                              t0));
}

TEST(jwt, signed_tokens_without_valid_claims_are_refused)
{
    const jwt_signer signer(settings_with(key_a));
    const std::string header = R"({"alg":"HS256","typ":"JWT"})";
    for (const char* payload : {R"({"iat":1800000000,"exp":1800000900})", R"({"sub":"","iat":1800000000,"exp":1800000900})",
                                R"({"sub":7,"iat":1800000000,"exp":1800000900})", R"({"sub":"a","exp":1800000900})",
                                R"({"sub":"a","iat":1800000000})", R"({"sub":"a","iat":1800000000,"exp":"1800000900"})",
                                R"({"sub":"a","iat":1800000000,"exp":1800000900.5})",
                                R"({"sub":"a","iat":1800000000,"exp":18446744073709551615})",
                                R"({"sub":"a","iat":1800000901,"exp":1800000900})", R"("alice")", "[]", "{", ""})
        EXPECT_FALSE(signer.verify(signed_with(key_a, header, payload), t0)) << payload;
    EXPECT_TRUE(signer.verify(signed_with(key_a, header, R"({"sub":"a","iat":1800000000,"exp":1800000900})"), t0));
    EXPECT_FALSE(signer.verify(signed_with(key_a, R"({"alg":"none"})", R"({"sub":"a","iat":1800000000,"exp":1800000900})"), t0));
}

TEST(jwt, settings_are_checked_together)
{
    token_settings none;
    try {
        jwt_signer{none};
        FAIL() << "no SECRET_KEY in production";
    } catch (const keel::settings_error& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_TRUE(e.problems()[0].starts_with("SECRET_KEY: required in production")) << e.what();
    }
    token_settings bad = settings_with("short");
    bad.previous_secret_key = keel::secret<std::string>("also short");
    bad.access_token_lifetime = 0s;
    try {
        jwt_signer{bad};
        FAIL() << "bad token settings";
    } catch (const keel::settings_error& e) {
        const std::string all = e.what();
        for (const char* name : {"SECRET_KEY: expected", "PREVIOUS_SECRET_KEY: expected", "PREVIOUS_SECRET_KEY_UNTIL: required",
                                 "ACCESS_TOKEN_LIFETIME"})
            EXPECT_NE(all.find(name), std::string::npos) << all;
        EXPECT_EQ(all.find("short"), std::string::npos) << "a key reached the message: " << all;
    }
}

TEST(jwt, development_without_a_key_signs_with_a_random_one)
{
    token_settings dev;
    dev.environment = keel::security::deployment::development;
    const jwt_signer one(dev), two(dev);
    const std::string token = one.sign("u", t0);
    EXPECT_TRUE(one.verify(token, t0));
    EXPECT_FALSE(two.verify(token, t0));  // another start, another key
}

TEST(random_token, is_url_safe_and_different_each_time)
{
    const std::string a = keel::security::random_token(16), b = keel::security::random_token(16);
    EXPECT_EQ(a.size(), 22u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
}

}  // namespace

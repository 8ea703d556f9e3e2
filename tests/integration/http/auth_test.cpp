// The users service's OAuth2 password flow over real HTTP, on every database: POST /token, bearer
// tokens on /users/me, and every way a token can be wrong.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <list>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/core/block_on.hpp>
#include <keel/security/jwt.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>
#include <keel/testing/rollback.hpp>

#include "service.hpp"

namespace {

namespace json = boost::json;
using namespace keel::testing;
using namespace std::chrono_literals;
using keel::security::jwt_signer;
using keel::security::token_settings;
using keel::security::detail::base64url_decode;
using keel::security::detail::base64url_encode;

const std::string test_key = "a test key of at least 32 bytes, never a real one";
const std::string old_key = "the key before the rotation, 32+ bytes long";

std::string form_encode(std::string_view text)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

class auth_api : public ::testing::TestWithParam<backend> {
protected:
    void SetUp() override
    {
        quiet_logs();
        static_cast<keel::http::server_settings&>(config_) = test_server_settings();
        database_.emplace(GetParam(), "users", users::upgrade_schema);  // rolled back after each test
        static_cast<keel::db::database_settings&>(config_) = database_->settings();
        config_.password_hash_cost = keel::security::hash_cost::minimum;  // tests only: fast hashes
        config_.password_hash_queue = 256;
        config_.secret_key = keel::secret<std::string>(test_key);
        config_.login_rate_limit = 100'000;  // many log-ins per test; the limit has its own test
        restart();
    }
    // The service again on the same database, with `change` applied to its settings. The earlier
    // one keeps running (stopping it would close the pool they share) but is no longer asked.
    void restart(const std::function<void(users::settings&)>& change = {})
    {
        users::settings config = config_;
        if (change)
            change(config);
        servers_.emplace_back(users::make_app(config, database_->pool()));
    }
    std::uint16_t port() const { return servers_.back().port(); }

    reply create(const std::string& username, const std::string& password_json)
    {
        return post_json(port(), "/users", R"({"username":")" + username + R"(","password":")" + password_json + R"("})");
    }
    reply login(const std::string& username, const std::string& password)
    {
        return send(port(), {"POST", "/token", "username=" + form_encode(username) + "&password=" + form_encode(password),
                             {{"Content-Type", "application/x-www-form-urlencoded"}}});
    }
    std::string token_for(const std::string& username, const std::string& password)
    {
        auto r = login(username, password);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? std::string(r.json().at("access_token").as_string()) : std::string();
    }
    reply me(const std::string& token, const std::string& scheme = "Bearer", const std::string& method = "GET")
    {
        return send(port(), {method, "/users/me", "", {{"Authorization", scheme + " " + token}}});
    }
    reply patch_me(const std::string& token, const std::string& body)
    {
        return send(port(), {"PATCH", "/users/me", body, {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}});
    }
    // A token with the subject of `token`, signed by a signer of ours: as the service would sign
    // it at `now` with `key`.
    static std::string resign(const std::string& token, const std::string& key, std::chrono::sys_seconds now,
                              std::chrono::seconds lifetime = 30min)
    {
        token_settings s;
        s.secret_key = keel::secret<std::string>(key);
        s.access_token_lifetime = lifetime;
        return jwt_signer(s).sign(subject_of(token), now);
    }
    static std::string subject_of(const std::string& token)
    {
        const auto a = token.find('.'), b = token.find('.', a + 1);
        return std::string(json::parse(*base64url_decode(token.substr(a + 1, b - a - 1))).at("sub").as_string());
    }

    users::settings config_;
    std::optional<rollback_database> database_;  // declared before the servers: outlives them
    std::list<running_app> servers_;
};

void expect_unauthorized(const reply& r, const std::string& detail)
{
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
    EXPECT_EQ(r.body, R"({"detail":")" + detail + R"("})");
}

TEST_P(auth_api, a_token_is_issued_for_the_right_password_and_names_its_user)
{
    auto created = create("alice", "correct horse");
    ASSERT_EQ(created.status, 201) << created.body;
    auto r = login("alice", "correct horse");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("cache-control"), "no-store");
    EXPECT_EQ(r.header("pragma"), "no-cache");
    const auto body = r.json().as_object();
    EXPECT_EQ(body.size(), 2u) << r.body;
    EXPECT_EQ(body.at("token_type"), "bearer");
    const std::string token(body.at("access_token").as_string());
    EXPECT_EQ(token.find("alice"), std::string::npos);  // the subject is opaque: no name in a readable payload
    auto mine = me(token);
    ASSERT_EQ(mine.status, 200) << mine.body;
    EXPECT_EQ(mine.json(), created.json());
    for (const char* scheme : {"bearer", "BEARER", "BeArEr"})  // RFC 9110 11.1: case-insensitive
        EXPECT_EQ(me(token, scheme).status, 200) << scheme;
}

TEST_P(auth_api, a_wrong_pair_is_401_the_same_whether_the_user_exists_or_not)
{
    ASSERT_EQ(create("bob", "correct horse").status, 201);
    auto wrong_password = login("bob", "wrong horse");
    auto unknown_user = login("nobody", "correct horse");
    expect_unauthorized(wrong_password, "Incorrect username or password");
    expect_unauthorized(unknown_user, "Incorrect username or password");
    EXPECT_EQ(wrong_password.headers.size(), unknown_user.headers.size());
    expect_unauthorized(login("bob", ""), "Incorrect username or password");
}

TEST_P(auth_api, users_me_needs_a_valid_bearer_token)
{
    expect_unauthorized(get(port(), "/users/me"), "Not authenticated");
    expect_unauthorized(send(port(), {"DELETE", "/users/me", "", {}}), "Not authenticated");
    ASSERT_EQ(create("carol", "correct horse").status, 201);
    const std::string token = token_for("carol", "correct horse");
    expect_unauthorized(me(token, "Basic"), "Not authenticated");
    expect_unauthorized(me(token, "Bearer" + std::string(1, '\t')), "Not authenticated");
    expect_unauthorized(me("", "Bearer"), "Not authenticated");
    expect_unauthorized(me("not.a.token"), "Could not validate credentials");
    expect_unauthorized(me(token + "x"), "Could not validate credentials");
}

TEST_P(auth_api, expired_and_tampered_tokens_are_refused)
{
    ASSERT_EQ(create("dave", "correct horse").status, 201);
    ASSERT_EQ(create("erin", "correct horse").status, 201);
    const std::string token = token_for("dave", "correct horse");
    const std::string erins = token_for("erin", "correct horse");
    const auto now = jwt_signer::current_time();
    EXPECT_EQ(me(resign(token, test_key, now)).status, 200);  // the way the tokens below are made is sound
    expect_unauthorized(me(resign(token, test_key, now - 2h)), "Could not validate credentials");  // expired
    expect_unauthorized(me(resign(token, "some other key that is 32 bytes long", now)), "Could not validate credentials");

    const auto first = token.find('.'), second = token.find('.', first + 1);
    const std::string header = token.substr(0, first), signature = token.substr(second + 1);
    std::string bad_signature = token;
    bad_signature.back() = bad_signature.back() == 'A' ? 'B' : 'A';
    expect_unauthorized(me(bad_signature), "Could not validate credentials");
    // Erin's payload under Dave's signature: the payload changed, the signature did not.
    const auto e1 = erins.find('.'), e2 = erins.find('.', e1 + 1);
    expect_unauthorized(me(header + erins.substr(e1, e2 - e1) + "." + signature), "Could not validate credentials");
    const std::string none = base64url_encode(R"({"alg":"none","typ":"JWT"})");
    const std::string payload = token.substr(first + 1, second - first - 1);
    expect_unauthorized(me(none + "." + payload + "."), "Could not validate credentials");
    expect_unauthorized(me(none + "." + payload + "." + signature), "Could not validate credentials");
    const std::string hs512 = base64url_encode(R"({"alg":"HS512","typ":"JWT"})");
    expect_unauthorized(me(hs512 + "." + payload + "." + signature), "Could not validate credentials");
    EXPECT_EQ(me(token).status, 200);
}

TEST_P(auth_api, a_rotated_key_is_accepted_until_its_end)
{
    ASSERT_EQ(create("frank", "correct horse").status, 201);
    const std::string current = token_for("frank", "correct horse");
    const std::string signed_before = resign(current, old_key, jwt_signer::current_time());
    expect_unauthorized(me(signed_before), "Could not validate credentials");
    restart([](users::settings& s) {
        s.previous_secret_key = keel::secret<std::string>(old_key);
        s.previous_secret_key_until = keel::timestamp(jwt_signer::current_time() + 1h);
    });
    EXPECT_EQ(me(signed_before).status, 200);
    EXPECT_EQ(me(current).status, 200);
    restart([](users::settings& s) {
        s.previous_secret_key = keel::secret<std::string>(old_key);
        s.previous_secret_key_until = keel::timestamp(jwt_signer::current_time() - 1s);
    });
    expect_unauthorized(me(signed_before), "Could not validate credentials");
    // After a rotation the key that signs is the new one: tokens of the old one stop at its end.
    restart([](users::settings& s) {
        s.secret_key = keel::secret<std::string>(old_key);
        s.previous_secret_key = keel::secret<std::string>(test_key);
        s.previous_secret_key_until = keel::timestamp(jwt_signer::current_time() + 1h);
    });
    EXPECT_EQ(me(current).status, 200);
}

TEST_P(auth_api, a_deleted_users_token_never_authenticates_the_user_created_again)
{
    auto first = create("grace", "correct horse");
    ASSERT_EQ(first.status, 201) << first.body;
    const std::string old_token = token_for("grace", "correct horse");
    auto deleted = me(old_token, "Bearer", "DELETE");
    EXPECT_EQ(deleted.status, 204) << deleted.body;
    EXPECT_TRUE(deleted.body.empty());
    expect_unauthorized(me(old_token), "Could not validate credentials");
    expect_unauthorized(me(old_token, "Bearer", "DELETE"), "Could not validate credentials");
    auto again = create("grace", "correct horse");
    ASSERT_EQ(again.status, 201) << again.body;
    if (GetParam() == backend::sqlite_file || GetParam() == backend::sqlite_memory) {  // SQLite gave the id out again
        EXPECT_EQ(again.json().at("id"), first.json().at("id"));
    }
    expect_unauthorized(me(old_token), "Could not validate credentials");
    auto now_mine = me(token_for("grace", "correct horse"));
    EXPECT_EQ(now_mine.status, 200);
    EXPECT_EQ(now_mine.json(), again.json());
}

TEST_P(auth_api, passwords_are_compared_whole_past_72_bytes_and_past_a_nul)
{
    const std::string long_password(100, 'p');
    ASSERT_EQ(create("henry", long_password).status, 201);
    EXPECT_EQ(login("henry", long_password).status, 200);
    expect_unauthorized(login("henry", long_password.substr(0, 72)), "Incorrect username or password");
    expect_unauthorized(login("henry", long_password.substr(0, 72) + std::string(28, 'q')), "Incorrect username or password");

    ASSERT_EQ(create("irene", R"(abcdefgh\u0000after the nul)").status, 201);
    const std::string with_nul = std::string("abcdefgh") + '\0' + "after the nul";
    EXPECT_EQ(login("irene", with_nul).status, 200);
    expect_unauthorized(login("irene", "abcdefgh"), "Incorrect username or password");
    expect_unauthorized(login("irene", std::string("abcdefgh") + '\0' + "other tail"), "Incorrect username or password");
}

TEST_P(auth_api, the_token_form_is_validated_like_a_body)
{
    auto missing = send(port(), {"POST", "/token", "username=x", {{"Content-Type", "application/x-www-form-urlencoded"}}});
    EXPECT_EQ(missing.status, 422) << missing.body;
    EXPECT_EQ(missing.json().at("detail").at(0).at("loc"), json::parse(R"(["body","password"])"));
    EXPECT_EQ(missing.json().at("detail").at(0).at("type"), "missing");
    auto grant = send(port(), {"POST", "/token", "grant_type=client_credentials&username=x&password=y",
                               {{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}}});
    EXPECT_EQ(grant.status, 422) << grant.body;
    EXPECT_EQ(grant.json().at("detail").at(0).at("loc"), json::parse(R"(["body","grant_type"])"));
    auto not_utf8 = send(port(), {"POST", "/token", "username=%FF&password=y", {{"Content-Type", "application/x-www-form-urlencoded"}}});
    EXPECT_EQ(not_utf8.status, 422) << not_utf8.body;
    EXPECT_EQ(not_utf8.json().at("detail").at(0).at("type"), "string_unicode");
    auto as_json = post_json(port(), "/token", R"({"username":"x","password":"y"})");
    EXPECT_EQ(as_json.status, 415) << as_json.body;
    EXPECT_NE(as_json.body.find("application/x-www-form-urlencoded"), std::string::npos) << as_json.body;
    ASSERT_EQ(create("judy", "correct horse").status, 201);
    auto granted = send(port(), {"POST", "/token", "grant_type=password&username=judy&password=correct+horse&scope=",
                                 {{"Content-Type", "application/x-www-form-urlencoded"}}});
    EXPECT_EQ(granted.status, 200) << granted.body;
}

TEST_P(auth_api, a_hash_made_with_older_parameters_is_replaced_at_log_in)
{
    ASSERT_EQ(create("kim", "correct horse").status, 201);
    auto stored = [&] {
        return keel::block_on([&]() -> keel::task<std::string> {
            auto s = database_->pool().make_session();
            auto h = co_await s.one<std::string>("SELECT hashed_password FROM users WHERE username = $1", "kim");
            co_await s.rollback();
            co_return h;
        });
    };
    const std::string cheap = stored();
    restart([](users::settings& s) { s.password_hash_cost = keel::security::hash_cost::interactive; });
    EXPECT_EQ(login("kim", "wrong horse").status, 401);
    EXPECT_EQ(stored(), cheap);  // only a verified password is hashed again
    EXPECT_EQ(login("kim", "correct horse").status, 200);
    const std::string upgraded = stored();
    EXPECT_NE(upgraded, cheap);
    EXPECT_TRUE(upgraded.starts_with("$argon2id$v=19$m=65536,t=2,")) << upgraded;  // libsodium's interactive preset
    EXPECT_EQ(login("kim", "correct horse").status, 200);
    EXPECT_EQ(stored(), upgraded);  // current already: left alone
}

// LOGIN_RATE_LIMIT per minute per address: the next attempt is refused before any hash is made.
TEST_P(auth_api, log_ins_past_login_rate_limit_get_429_with_retry_after)
{
    const auto lee = create("lee", "correct horse");
    ASSERT_EQ(lee.status, 201) << lee.body;
    restart([](users::settings& s) { s.login_rate_limit = 5; });
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(login("lee", i % 2 ? "correct horse" : "wrong horse").status, i % 2 ? 200 : 401);
    const auto refused = login("lee", "correct horse");
    EXPECT_EQ(refused.status, 429) << refused.body;
    EXPECT_FALSE(refused.header("retry-after").empty());
    EXPECT_EQ(refused.header("ratelimit-remaining"), "0");
    const auto id = std::to_string(lee.json().at("id").as_int64());  // PostgreSQL's ids are not rolled back
    EXPECT_EQ(send(port(), {"GET", "/users/" + id, "", {}}).status, 200);  // reads are not limited
}

// CORS_ORIGINS turns CORS on in the users service: a listed site's preflight for an
// authenticated DELETE is allowed, another site's is refused and reaches no handler.
TEST_P(auth_api, cors_origins_let_a_listed_site_call_the_api_from_a_browser)
{
    restart([](users::settings& s) {
        s.cors_origins = "https://app.example";
        s.cors_methods = "GET, POST, DELETE";
        s.cors_headers = "Authorization";
    });
    const auto preflight = [&](const std::string& origin) {
        return send(port(), {"OPTIONS", "/users/me", "",
                             {{"Origin", origin}, {"Access-Control-Request-Method", "DELETE"},
                              {"Access-Control-Request-Headers", "authorization"}}});
    };
    const auto allowed = preflight("https://app.example");
    EXPECT_EQ(allowed.status, 200) << allowed.body;
    EXPECT_EQ(allowed.header("access-control-allow-origin"), "https://app.example");
    const auto refused = preflight("https://app.example.evil.example");
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(refused.header("access-control-allow-origin"), "");
    const auto unauthenticated = send(port(), {"GET", "/users/me", "", {{"Origin", "https://app.example"}}});
    EXPECT_EQ(unauthenticated.status, 401);
    EXPECT_EQ(unauthenticated.header("access-control-allow-origin"), "https://app.example");  // errors too
}

// An unknown user costs the same work as a wrong password: one argon2id verify at the current
// cost (against a dummy hash). That is asserted, by counting; the time, median of 50 each
// (interleaved), is printed, not bounded: a bound a loaded machine can break would be a flaky test.
TEST(auth_timing, an_unknown_user_costs_one_verify_like_a_wrong_password)
{
    quiet_logs();
    users::settings config;
    static_cast<keel::http::server_settings&>(config) = test_server_settings();
    static_cast<keel::db::database_settings&>(config) = fresh_database(backend::sqlite_file);
    config.secret_key = keel::secret<std::string>(test_key);
    config.login_rate_limit = 100'000;  // 101 log-ins from one address
    std::atomic<int> verifies{0};
    auto hasher = std::make_shared<keel::security::password_hasher>(
        keel::security::password_settings{keel::security::hash_cost::interactive, 1, 256}, [&] { ++verifies; });
    auto database = keel::db::pool::open(config);
    users::upgrade_schema(database);
    running_app server(users::make_app(config, database, hasher));
    const auto login = [&](const std::string& username) {
        return send(server.port(), {"POST", "/token", "username=" + username + "&password=wrong+horse",
                                    {{"Content-Type", "application/x-www-form-urlencoded"}}});
    };
    ASSERT_EQ(post_json(server.port(), "/users", R"({"username":"known","password":"correct horse"})").status, 201);
    login("nobody");  // the first makes the dummy hash; not measured

    std::vector<double> unknown_ms, wrong_ms;
    for (int i = 0; i < 50; ++i) {
        for (auto [name, times] : {std::pair{"nobody", &unknown_ms}, std::pair{"known", &wrong_ms}}) {
            const int before = verifies.load();
            const auto start = std::chrono::steady_clock::now();
            auto r = login(name);
            times->push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
            ASSERT_EQ(r.status, 401) << r.body;
            ASSERT_EQ(verifies.load() - before, 1) << name;
        }
    }
    const auto median = [](std::vector<double> v) {
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
    };
    const double unknown = median(unknown_ms), wrong = median(wrong_ms);
    std::printf("POST /token, median of 50 (argon2id interactive): unknown user %.2f ms, wrong password %.2f ms, "
                "difference %.1f%%\n",
                unknown, wrong, 100.0 * (unknown - wrong) / wrong);
}

TEST_P(auth_api, patch_changes_only_the_fields_sent)
{
    auto created = create("kate", "correct horse");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string token = token_for("kate", "correct horse");

    auto renamed = patch_me(token, R"({"username":"kathy"})");
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(renamed.json().at("username"), "kathy");
    EXPECT_EQ(renamed.json().at("id"), created.json().at("id"));
    EXPECT_EQ(renamed.json().at("created_at"), created.json().at("created_at"));
    EXPECT_EQ(me(token).json(), renamed.json());  // the token still names the user: only the name changed
    EXPECT_EQ(login("kathy", "correct horse").status, 200);  // and the password is as it was
    expect_unauthorized(login("kate", "correct horse"), "Incorrect username or password");

    auto unchanged = patch_me(token, "{}");
    ASSERT_EQ(unchanged.status, 200) << unchanged.body;
    EXPECT_EQ(unchanged.json(), renamed.json());

    auto new_password = patch_me(token, R"({"password":"battery staple","current_password":"correct horse"})");
    ASSERT_EQ(new_password.status, 200) << new_password.body;
    EXPECT_EQ(new_password.json(), renamed.json());
    expect_unauthorized(me(token), "Could not validate credentials");  // a new password ends the old tokens
    expect_unauthorized(login("kathy", "correct horse"), "Incorrect username or password");
    EXPECT_EQ(me(token_for("kathy", "battery staple")).json(), renamed.json());
}

TEST_P(auth_api, patch_is_validated_and_a_taken_name_is_409)
{
    ASSERT_EQ(create("leo", "correct horse").status, 201);
    ASSERT_EQ(create("mia", "correct horse").status, 201);
    const std::string token = token_for("leo", "correct horse");

    auto taken = patch_me(token, R"({"username":"mia","password":"battery staple","current_password":"correct horse"})");
    EXPECT_EQ(taken.status, 409) << taken.body;
    EXPECT_EQ(taken.body, R"({"detail":"Username already registered"})");
    EXPECT_EQ(me(token).json().at("username"), "leo");  // rolled back, the new password too
    EXPECT_EQ(login("leo", "correct horse").status, 200);

    const auto expect_422 = [&](const std::string& body, const std::string& loc, const std::string& type) {
        auto r = patch_me(token, body);
        ASSERT_EQ(r.status, 422) << body << " → " << r.body;
        EXPECT_EQ(json::serialize(r.json().at("detail").at(0).at("loc")), loc) << body;
        EXPECT_EQ(std::string(r.json().at("detail").at(0).at("type").as_string()), type) << body;
    };
    expect_422(R"({"username":null})", R"(["body","username"])", "string_type");  // sent: it must be a name
    expect_422(R"({"username":"x"})", R"(["body","username"])", "string_too_short");
    expect_422(R"({"password":"short"})", R"(["body","password"])", "string_too_short");
    expect_422("[]", R"(["body"])", "model_attributes_type");
    // A stolen token alone cannot set a new password: it takes the current one.
    expect_422(R"({"password":"battery staple"})", R"(["body","current_password"])", "missing");
    auto wrong = patch_me(token, R"({"password":"battery staple","current_password":"wrong horse"})");
    EXPECT_EQ(wrong.status, 400) << wrong.body;
    EXPECT_EQ(wrong.body, R"({"detail":"Incorrect password"})");
    EXPECT_EQ(login("leo", "correct horse").status, 200);
    EXPECT_EQ(me(token).json().at("username"), "leo");
    expect_unauthorized(send(port(), {"PATCH", "/users/me", R"({"username":"zed"})", {{"Content-Type", "application/json"}}}),
                        "Not authenticated");
}

INSTANTIATE_TEST_SUITE_P(backends, auth_api, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return backend_name(info.param); });

}  // namespace

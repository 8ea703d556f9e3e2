#pragma once
// The rate-limited test app of tests/integration/http/rate_limit_test.cpp and
// redis_rate_limit_test.cpp: one route per kind of limit, and one without.
#include <memory>
#include <string>

#include <keel/http/app.hpp>
#include <keel/model/constraints.hpp>
#include <keel/security/rate_limit.hpp>

#include <keel/testing/app.hpp>

namespace keel::testing {

struct three_a_minute {
    static constexpr std::string_view name = "limited";
    static constexpr security::rate rate = security::per_minute(3);
};

// A user dependency that a limit can be keyed by.
struct caller {
    std::string name;
    static task<caller> resolve(const http::request& request)
    {
        co_return caller{std::string(request.header("X-User").value_or(""))};
    }
    std::string rate_limit_key() const { return "user:" + name; }
};
struct two_a_minute_per_user {
    static constexpr std::string_view name = "mine";
    static constexpr security::rate rate = security::per_minute(2);
    using key = caller;
};

struct credentials {
    keel::text<1, 32> username;
    keel::text<1, 128> password;
};
BOOST_DESCRIBE_STRUCT(credentials, (), (username, password))

struct answer {
    std::string text;
};
BOOST_DESCRIBE_STRUCT(answer, (), (text))

inline void add_rate_limited_routes(http::app& app)
{
    app.get("/limited", [](security::rate_limit<three_a_minute>) -> task<answer> { co_return answer{"limited"}; });
    app.get("/mine", [](security::rate_limit<two_a_minute_per_user>, caller who) -> task<answer> {
        co_return answer{who.name};
    });
    app.post("/token", [](security::rate_limit<security::login_attempts>, http::body<credentials> in) -> task<answer> {
        if (in->password.str() != "secret")
            throw http::error(401, "Incorrect username or password", {{"WWW-Authenticate", "Bearer"}});
        co_return answer{"token"};
    });
    app.get("/free", []() -> task<answer> { co_return answer{"free"}; });
}

inline std::unique_ptr<http::app> make_rate_limited_app(const security::rate_limit_settings& settings,
                                                         http::server_settings server = test_server_settings())
{
    auto app = std::make_unique<http::app>(server);
    app->provide(std::make_shared<security::rate_limiter>(settings));
    add_rate_limited_routes(*app);
    return app;
}

}  // namespace keel::testing

// docs/security.md: rate limits, CORS and CSRF on an app. Tokens: examples/users/routes.cpp.
#include <keel/keel.hpp>

#include "examples.hpp"

namespace docs::security {

using keel::task;
namespace http = keel::http;
namespace security = keel::security;

struct note_in {
    keel::text<1, 500> text;
};
BOOST_DESCRIBE_STRUCT(note_in, (), (text))

struct note {
    std::string text;
};
BOOST_DESCRIBE_STRUCT(note, (), (text))

struct writes {                                          // a policy: a name and a rate
    static constexpr std::string_view name = "writes";
    static constexpr security::rate rate = security::per_minute(30);
};

task<http::created<note>> create_note(security::rate_limit<writes>, http::body<note_in> in)
{
    co_return http::created<note>{{in->text.str()}};
}

void add_routes(http::app& app)
{
    security::rate_limit_settings limits;                              // RATE_LIMIT_STORAGE, … when read from settings
    app.provide(std::make_shared<security::rate_limiter>(limits));
    app.post("/notes", create_note);
    app.use(http::cors{.origins = {"https://app.example"}, .methods = {"GET", "POST"}, .headers = {"X-CSRF-Token"},
                       .credentials = true, .max_age = std::chrono::minutes(10)});
    app.use(http::csrf{.trusted_origins = {"https://app.example"}});
}

}  // namespace docs::security

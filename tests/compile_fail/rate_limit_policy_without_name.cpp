// A rate_limit policy must say its name (part of every key) and its rate.
#include <keel/http/app.hpp>
#include <keel/security/rate_limit.hpp>

struct nameless {
    static constexpr keel::security::rate rate = keel::security::per_minute(5);
};

void wire(keel::http::app& app)
{
    app.get("/x", [](keel::security::rate_limit<nameless>) -> keel::task<void> { co_return; });
}

// A handler that returns a plain value is not a coroutine: say so.
#include <keel/http/app.hpp>

void wire(keel::http::app& a)
{
    a.get("/x", []() -> int { return 1; });
}

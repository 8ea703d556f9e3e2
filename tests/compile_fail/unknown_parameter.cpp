// A handler parameter keel cannot provide must list what a parameter may be.
#include <keel/http/app.hpp>

struct settings_copy {
    int x = 0;
};

void wire(keel::http::app& a)
{
    a.get("/x", [](settings_copy) -> keel::task<void> { co_return; });
}

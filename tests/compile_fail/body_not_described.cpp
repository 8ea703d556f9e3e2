// http::body<T> of a struct with no BOOST_DESCRIBE_STRUCT must say how to fix it.
#include <keel/http/app.hpp>

struct plain {
    int x = 0;
};

void wire(keel::http::app& a)
{
    a.post("/plain", [](keel::http::body<plain>) -> keel::task<void> { co_return; });
}

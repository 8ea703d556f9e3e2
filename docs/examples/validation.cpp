// docs/validation.md: request models, their constraints and defaults, and PATCH with partial<T>.
#include <keel/keel.hpp>

#include "examples.hpp"

namespace docs::validation {

using keel::task;
namespace http = keel::http;
namespace query = keel::query;
using query::col;

struct post_create {
    keel::text<1, 100> title;        // required, 1 to 100 characters
    std::string body;                // may be left out: ""
    bool published = false;          // may be left out: false
    std::optional<keel::text<0, 300, "^[^<>]*$">> summary;   // may be left out or null
};
BOOST_DESCRIBE_STRUCT(post_create, (), (title, body, published, summary))
constexpr auto keel_defaults(post_create*) { return keel::model::defaults(&post_create::body, &post_create::published); }

task<http::created<post>> create_post(http::body<post_create> in, query::unit_of_work uow)
{
    post& added = uow.add(post{0, in->title.str(), in->body, in->published, std::nullopt});
    if (in->summary)
        added.summary = in->summary->str();
    co_await uow.flush();
    co_return http::created<post>{added};
}

task<post> patch_post(http::path<std::int64_t> id, http::body<keel::partial<post_create>> changes, query::unit_of_work uow)
{
    post* p = co_await uow.get<post>(*id);
    if (!p)
        throw http::error(404, "Post not found");
    changes->assign_to(*p);                          // the members sent, by name; the flush writes those columns
    co_await uow.flush();
    co_return *p;
}

task<void> publish_all(http::body<keel::partial<post_create>> changes, keel::db::session& db)
{
    if (changes->empty() || !changes->has<&post_create::published>())   // was it sent?
        throw http::error(400, "Send published");
    co_await query::execute(db, query::update<post>().set(*changes).where(col<&post::published> != (*changes)->published));
}

void add_routes(http::app& app)
{
    app.post("/posts", create_post);
    app.patch("/posts/{id}", patch_post);
    app.patch("/posts", publish_all);
}

}  // namespace docs::validation

// A complete keel service, as a user writes one: a model, three routes, settings from the
// environment, and the command line (serve, openapi, migrate …) keel::cli::main gives it.
#include <keel/keel.hpp>

namespace todos {

using keel::task;
namespace http = keel::http;
namespace query = keel::query;

struct todo {
    std::int64_t id = 0;
    std::string title;
    bool done = false;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id, title, done))
inline keel::model::table_def keel_table(todo*)
{
    return keel::model::table("todos", keel::model::column(&todo::id).primary_key().identity());
}

struct todo_create {
    keel::text<1, 200> title;
};
BOOST_DESCRIBE_STRUCT(todo_create, (), (title))

struct settings : keel::http::server_settings, keel::db::database_settings {};
BOOST_DESCRIBE_STRUCT(settings, (keel::http::server_settings, keel::db::database_settings), ())

task<http::created<todo>> create(http::body<todo_create> in, query::unit_of_work uow)
{
    todo& added = uow.add(todo{0, in->title.str(), false});
    co_await uow.flush();
    co_return http::created<todo>{added};
}

task<todo> read(http::path<std::int64_t> id, query::unit_of_work uow)
{
    const todo* found = co_await uow.get<todo>(*id);
    if (!found)
        throw http::error(404, "Todo not found");
    co_return *found;
}

task<std::vector<todo>> list(keel::db::session& db)
{
    co_return co_await query::all(db, query::select<todo>().from<todo>().order_by(query::col<&todo::id>));
}

}  // namespace todos

int main(int argc, char** argv)
{
    return keel::cli::main<todos::settings>(
        argc, argv, "todos",
        {.routes = [](keel::http::app& app, const todos::settings&) {
             app.post("/todos", todos::create);
             app.get("/todos/{id}", todos::read);
             app.get("/todos", todos::list);
         },
         .serve = [](keel::http::app& app, const todos::settings& config) {
             app.provide(keel::db::pool::open(config, config.threads));
             app.run();
         },
         .models = keel::migrate::metadata::of<todos::todo>()});
}

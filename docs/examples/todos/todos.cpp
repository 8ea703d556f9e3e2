// The todos service of docs/first-service.md: one model, create/list/read/patch/delete, settings
// from the environment and .env, and the command line (serve, check, openapi, migrate …).
#include <keel/keel.hpp>

using keel::task;
namespace http = keel::http;
namespace query = keel::query;

struct todo {                                   // the table: one declaration for rows, JSON, migrations
    std::int64_t id = 0;
    std::string title;
    bool done = false;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id, title, done))
keel::model::table_def keel_table(todo*) { return keel::model::table("todos", keel::model::column(&todo::id).primary_key().identity()); }

struct todo_in {                                // what a client sends: checked before a handler runs
    keel::text<1, 200> title;
    bool done = false;
};
BOOST_DESCRIBE_STRUCT(todo_in, (), (title, done))
constexpr auto keel_defaults(todo_in*) { return keel::model::defaults(&todo_in::done); }  // may be left out

struct settings : keel::http::server_settings, keel::db::database_settings {};   // HOST, PORT, DATABASE_URL, …
BOOST_DESCRIBE_STRUCT(settings, (keel::http::server_settings, keel::db::database_settings), ())

task<todo*> find(query::unit_of_work& uow, std::int64_t id)
{
    todo* found = co_await uow.get<todo>(id);
    if (!found)
        throw http::error(404, "Todo not found");
    co_return found;
}

task<http::created<todo>> create_todo(http::body<todo_in> in, query::unit_of_work uow)
{
    todo& added = uow.add(todo{0, in->title.str(), in->done});
    co_await uow.flush();                       // INSERT … RETURNING fills the id
    co_return http::created<todo>{added};       // 201
}

task<std::vector<todo>> list_todos(keel::db::session& db)
{
    co_return co_await query::all(db, query::select<todo>().from<todo>().order_by(query::col<&todo::id>));
}

task<todo> read_todo(http::path<std::int64_t> id, query::unit_of_work uow) { co_return *co_await find(uow, *id); }

task<todo> patch_todo(http::path<std::int64_t> id, http::body<keel::partial<todo_in>> changes, query::unit_of_work uow)
{
    todo* found = co_await find(uow, *id);
    changes->assign_to(*found);                 // only what the request sent: UPDATE todos SET done = …
    co_await uow.flush();
    co_return *found;
}

task<void> delete_todo(http::path<std::int64_t> id, query::unit_of_work uow)
{
    uow.remove(*co_await find(uow, *id));
    co_await uow.flush();
}

int main(int argc, char** argv)
{
    return keel::cli::main<settings>(argc, argv, "todos",
                                     {.routes = [](http::app& app, const settings&) {
                                          app.post("/todos", create_todo);
                                          app.get("/todos", list_todos);
                                          app.get("/todos/{id}", read_todo);
                                          app.patch("/todos/{id}", patch_todo);
                                          app.del("/todos/{id}", delete_todo);
                                      },
                                      .serve = [](http::app& app, const settings& config) {
                                          app.provide(keel::db::pool::open(config, config.threads));
                                          app.run();
                                      },
                                      .models = keel::migrate::metadata::of<todo>()});
}

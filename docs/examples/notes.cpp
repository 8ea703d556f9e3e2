// A complete keel service: a table, two routes, settings from the environment and .env, and the
// command line (serve, migrate, check, openapi, --help). README.md shows it whole.
#include <keel/keel.hpp>

using keel::task;
namespace http = keel::http;

struct note {
    std::int64_t id = 0;
    std::string text;
    keel::timestamp created_at;
};
BOOST_DESCRIBE_STRUCT(note, (), (id, text, created_at))
keel::model::table_def keel_table(note*)
{
    using namespace keel::model;
    return table("notes", column(&note::id).primary_key().identity(), column(&note::created_at).server_default(now()));
}

struct note_in {
    keel::text<1, 500> text;  // 422 unless 1 to 500 characters
};
BOOST_DESCRIBE_STRUCT(note_in, (), (text))

struct settings : http::server_settings, keel::db::database_settings {};  // HOST, PORT, DATABASE_URL, …
BOOST_DESCRIBE_STRUCT(settings, (http::server_settings, keel::db::database_settings), ())

task<http::created<note>> add_note(http::body<note_in> in, keel::query::unit_of_work uow)
{
    note& added = uow.add(note{.text = in->text.str()});
    co_await uow.flush();  // INSERT … RETURNING fills id and created_at
    co_return http::created<note>{added};
}

task<std::vector<note>> list_notes(keel::db::session& db)
{
    co_return co_await keel::query::all(db, keel::query::select<note>().from<note>());
}

int main(int argc, char** argv)
{
    return keel::cli::main<settings>(argc, argv, "notes",
                                     {.routes = [](http::app& app, const settings&) {
                                          app.post("/notes", add_note);
                                          app.get("/notes", list_notes);
                                      },
                                      .serve = [](http::app& app, const settings& config) {
                                          app.provide(keel::db::pool::open(config, config.threads));
                                          app.run();
                                      },
                                      .models = keel::migrate::metadata::of<note>()});
}

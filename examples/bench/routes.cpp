#include <algorithm>
#include <charconv>
#include <random>

#include <boost/describe/class.hpp>

#include <keel/core/block_on.hpp>
#include <keel/query/query.hpp>

#include "service.hpp"

namespace tfb {

using keel::task;
namespace http = keel::http;
namespace db = keel::db;
namespace query = keel::query;
using query::col;

namespace {

constexpr int world_rows = 10'000;

struct message {
    std::string message;
};
BOOST_DESCRIBE_STRUCT(message, (), (message))

// TechEmpower's tables. JSON says randomNumber, the table says randomnumber.
struct world {
    std::int64_t id = 0;
    std::int64_t randomNumber = 0;
};
BOOST_DESCRIBE_STRUCT(world, (), (id, randomNumber))
keel::model::table_def keel_table(world*)
{
    using namespace keel::model;
    return table("world", column(&world::id).primary_key().type(sql::integer()),
                 column(&world::randomNumber).name("randomnumber").type(sql::integer()).server_default(sql_expression("0")));
}

struct fortune {
    std::int64_t id = 0;
    std::string message;
};
BOOST_DESCRIBE_STRUCT(fortune, (), (id, message))
keel::model::table_def keel_table(fortune*)
{
    using namespace keel::model;
    return table("fortune", column(&fortune::id).primary_key().type(sql::integer()),
                 column(&fortune::message).type(sql::varchar(2048)));
}

// The builder writes each query's text once per database (one text per lambda `make`); requests
// bind their values to it, so the hot paths render nothing.
template <class Make>
const std::string& rendered(db::backend dialect, Make make)
{
    static const std::string sql[] = {make().to_statement(db::backend::sqlite).sql, make().to_statement(db::backend::postgresql).sql};
    return sql[dialect == db::backend::postgresql];
}
const std::string& world_by_id(db::backend dialect)
{
    return rendered(dialect, [] { return query::select<world>().from<world>().where(col<&world::id> == 0); });
}
const std::string& all_fortunes(db::backend dialect)
{
    return rendered(dialect, [] { return query::select<fortune>().from<fortune>(); });
}

int random_id()
{
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_int_distribution<int>(1, world_rows)(engine);
}

// TFB: a missing or non-numeric count is 1; the count is clamped to 1..500.
std::size_t count_of(const http::request& req)
{
    int n = 1;
    if (auto text = req.query_param("queries")) {
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
        if (ec != std::errc{} || end != text->data() + text->size())
            n = 1;
    }
    return static_cast<std::size_t>(std::clamp(n, 1, 500));
}

task<message> json() { co_return message{"Hello, World!"}; }

// TechEmpower's plaintext asks for exactly "text/plain".
task<http::response> plaintext() { co_return http::response::text(200, "Hello, World!", "text/plain"); }

// Every statement here stands alone: no BEGIN/COMMIT around it (two round trips fewer).
constexpr db::transaction_options each_statement_alone{.autocommit = true};

task<world> single_query(db::session& db)
{
    db.set_transaction_options(each_statement_alone);
    co_return co_await db.one<world>(world_by_id(db.kind()), random_id());
}

task<std::vector<world>> queries(const http::request& req, db::session& db)
{
    std::vector<int> ids(count_of(req));
    std::generate(ids.begin(), ids.end(), random_id);
    co_return co_await db.one_each<world>(world_by_id(db.kind()), ids);  // one pipelined round trip
}

task<std::vector<world>> updates(const http::request& req, db::session& db)
{
    std::vector<int> ids(count_of(req));
    std::generate(ids.begin(), ids.end(), random_id);
    db.set_transaction_options(each_statement_alone);
    auto worlds = co_await db.one_each<world>(world_by_id(db.kind()), ids);
    // The write in a transaction of its own: on a connection of its own, so that concurrent
    // requests' commits are flushed together instead of one after another (pipeline_autocommit).
    db.set_transaction_options({});
    for (auto& w : worlds)
        w.randomNumber = random_id();
    // One UPDATE … FROM a VALUES list for all rows, in id order so concurrent updates cannot deadlock;
    // a row drawn twice is written once. Written by hand: the builder has no UPDATE … FROM.
    std::vector<world> ordered = worlds;
    std::sort(ordered.begin(), ordered.end(), [](const world& a, const world& b) { return a.id < b.id; });
    ordered.erase(std::unique(ordered.begin(), ordered.end(), [](const world& a, const world& b) { return a.id == b.id; }),
                  ordered.end());
    std::string sql = "WITH v(id, r) AS (VALUES ";
    std::vector<db::value> params;
    for (std::size_t i = 0; i < ordered.size(); ++i) {
        sql += (i ? ", " : "") + std::string("(CAST($") + std::to_string(2 * i + 1) + " AS INTEGER), CAST($" +
               std::to_string(2 * i + 2) + " AS INTEGER))";
        params.emplace_back(ordered[i].id);
        params.emplace_back(ordered[i].randomNumber);
    }
    sql += ") UPDATE world SET randomnumber = v.r FROM v WHERE world.id = v.id";
    co_await db.run(sql, std::move(params));
    co_return worlds;
}

void append_escaped(std::string& out, std::string_view text)
{
    // Copy the runs between special characters whole.
    auto run = text.begin();
    for (auto at = text.begin(); at != text.end(); ++at) {
        std::string_view entity;
        switch (*at) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#x27;"; break;
        default: continue;
        }
        out.append(run, at).append(entity);
        run = at + 1;
    }
    out.append(run, text.end());
}

task<http::response> fortunes(db::session& db)
{
    db.set_transaction_options(each_statement_alone);
    auto rows = co_await db.all<fortune>(all_fortunes(db.kind()));
    rows.push_back({0, "Additional fortune added at request time."});
    std::sort(rows.begin(), rows.end(), [](const fortune& a, const fortune& b) { return a.message < b.message; });
    std::string html;
    html.reserve(2048);
    html += "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>";
    for (const auto& f : rows) {
        html += "<tr><td>";
        html += std::to_string(f.id);
        html += "</td><td>";
        append_escaped(html, f.message);
        html += "</td></tr>";
    }
    html += "</table></body></html>";
    co_return http::response::text(200, std::move(html), "text/html; charset=utf-8");
}

}  // namespace

void seed(const db::pool& database)
{
    static const std::vector<std::string> messages = {
        "fortune: No such file or directory",
        "A computer scientist is someone who fixes things that aren't broken.",
        "After enough decimal places, nobody gives a damn.",
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
        "A computer program does what you tell it to do, not what you want it to do.",
        "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
        "Any program that runs right is obsolete.",
        "A list is only as strong as its weakest link. — Donald Knuth",
        "Feature: A bug with seniority.",
        "Computers make very fast, very accurate mistakes.",
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
        "フレームワークのベンチマーク",
    };
    std::vector<world> worlds;
    for (int id = 1; id <= world_rows; ++id)
        worlds.push_back({id, random_id()});
    std::vector<fortune> fortunes;
    for (std::size_t i = 0; i < messages.size(); ++i)
        fortunes.push_back({static_cast<std::int64_t>(i + 1), messages[i]});
    std::vector<db::statement> statements = query::create_table<world>(database.kind());
    for (auto& statement : query::create_table<fortune>(database.kind()))
        statements.push_back(std::move(statement));
    constexpr std::size_t per_insert = 1000;  // well under every database's limit of bound parameters
    for (std::size_t from = 0; from < worlds.size(); from += per_insert) {
        const std::vector<world> chunk(worlds.begin() + from, worlds.begin() + std::min(worlds.size(), from + per_insert));
        statements.push_back(query::insert_into<world>().values(chunk).to_statement(database.kind()));
    }
    statements.push_back(query::insert_into<fortune>().values(fortunes).to_statement(database.kind()));
    keel::block_on([&]() -> task<void> {
        auto s = database.make_session();
        for (auto& statement : statements)
            co_await s.run(std::move(statement.sql), std::move(statement.params));
        co_await s.commit();
    });
}

void add_routes(http::router& api)
{
    api.get("/json", json);
    api.get("/plaintext", plaintext);
    api.get("/db", single_query);
    api.get("/queries", queries);
    api.get("/updates", updates);
    api.get("/fortunes", fortunes);
}

std::unique_ptr<http::app> make_app(const http::server_settings& settings, db::pool database)
{
    auto app = std::make_unique<http::app>(settings);
    add_routes(*app);
    app->provide(std::move(database));
    return app;
}

}  // namespace tfb

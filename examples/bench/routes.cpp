#include <algorithm>
#include <charconv>
#include <random>

#include <boost/describe/class.hpp>

#include <keel/core/block_on.hpp>

#include "service.hpp"

namespace tfb {

using keel::task;
namespace http = keel::http;
namespace db = keel::db;

namespace {

constexpr int world_rows = 10'000;
// An array, not a string_view: a session task refers to a literal's text and copies any other.
constexpr char world_by_id[] = R"(SELECT id, randomnumber AS "randomNumber" FROM world WHERE id = $1)";

struct message {
    std::string message;
};
BOOST_DESCRIBE_STRUCT(message, (), (message))

struct world {
    std::int64_t id = 0;
    std::int64_t randomNumber = 0;
};
BOOST_DESCRIBE_STRUCT(world, (), (id, randomNumber))

struct fortune {
    std::int64_t id = 0;
    std::string message;
};
BOOST_DESCRIBE_STRUCT(fortune, (), (id, message))

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
    co_return co_await db.one<world>(world_by_id, random_id());
}

task<std::vector<world>> queries(const http::request& req, db::session& db)
{
    std::vector<int> ids(count_of(req));
    std::generate(ids.begin(), ids.end(), random_id);
    co_return co_await db.one_each<world>(world_by_id, ids);  // one pipelined round trip
}

task<std::vector<world>> updates(const http::request& req, db::session& db)
{
    std::vector<int> ids(count_of(req));
    std::generate(ids.begin(), ids.end(), random_id);
    db.set_transaction_options(each_statement_alone);
    auto worlds = co_await db.one_each<world>(world_by_id, ids);
    // The write in a transaction of its own: on a connection of its own, so that concurrent
    // requests' commits are flushed together instead of one after another (pipeline_autocommit).
    db.set_transaction_options({});
    for (auto& w : worlds)
        w.randomNumber = random_id();
    // One UPDATE … FROM a VALUES list for all rows, in id order so concurrent updates cannot deadlock;
    // a row drawn twice is written once.
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
    auto rows = co_await db.all<fortune>("SELECT id, message FROM fortune");
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
    keel::block_on([&]() -> task<void> {
        auto s = database.make_session();
        co_await s.execute("CREATE TABLE world (id INTEGER PRIMARY KEY, randomnumber INTEGER NOT NULL DEFAULT 0)");
        co_await s.execute("CREATE TABLE fortune (id INTEGER PRIMARY KEY, message VARCHAR(2048) NOT NULL)");
        std::vector<db::statement> rows;
        for (int id = 1; id <= world_rows; ++id)
            rows.emplace_back("INSERT INTO world (id, randomnumber) VALUES ($1, $2)", id, random_id());
        for (std::size_t i = 0; i < messages.size(); ++i)
            rows.emplace_back("INSERT INTO fortune (id, message) VALUES ($1, $2)", static_cast<int>(i + 1), messages[i]);
        for (const auto& entry : co_await s.run_batch(std::move(rows)))
            entry.get();
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

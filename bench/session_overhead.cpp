// What the unit of work costs over the bare driver, in one run on one throwaway PostgreSQL: a
// primary-key get and a 20-row select, each through query::unit_of_work (built, rendered and
// tracked per call) and through db::session with the same SQL text. The two ways of one
// operation run one after the other in short turns, in alternating order, and each round gives
// their ratio: the median ratio is the overhead, robust to the drift of a shared machine. The
// process's CPU time per operation (user + system, the clients' and the driver's side only:
// PostgreSQL is another process) is printed beside it.
//   session_overhead [--seconds N] [--rounds N] [--clients N] [--threads N]
#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <utility>

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <keel/core/block_on.hpp>
#include <keel/db/pool.hpp>
#include <keel/query/query.hpp>
#include <keel/query/unit_of_work.hpp>
#include <keel/testing/postgres.hpp>

#include "clients.hpp"
#include "unit/query/models.hpp"

namespace {

namespace db = keel::db;
using keel::task;
using namespace keel::query;
using bench::clock_type;
using query_models::world;

constexpr int world_rows = 10'000;
constexpr int page_rows = 20;

auto by_id(std::int64_t id) { return select<world>().from<world>().where(col<&world::id> == id); }
auto page_from(std::int64_t first)
{
    return select<world>().from<world>().where(col<&world::id> >= first && col<&world::id> < first + page_rows);
}

struct options {
    int seconds = 1;
    int rounds = 15;
    int clients = 16;
    int threads = 2;
    std::string only;  // one workload alone, for a profiler (two callgrind runs of different lengths give its cost per operation)
};

enum class workload { bare_get, unit_get, bare_page, unit_page };

/// One operation in a session of its own, committed, as a request does it.
task<void> operate(const db::pool& database, workload w, std::int64_t id)
{
    static const std::string get_sql = by_id(0).to_statement(db::backend::postgresql).sql;
    static const std::string page_sql = page_from(0).to_statement(db::backend::postgresql).sql;
    auto s = database.make_session();
    unit_of_work uow(s);
    std::size_t rows = 0;
    switch (w) {
    case workload::bare_get: rows = (co_await s.maybe<world>(get_sql, id)).has_value(); break;
    case workload::unit_get: rows = co_await uow.get<world>(id) != nullptr; break;
    case workload::bare_page: rows = (co_await s.all<world>(page_sql, id, id + page_rows)).size(); break;
    case workload::unit_page: rows = (co_await uow.execute(page_from(id))).size(); break;
    }
    if (rows == 0)
        throw std::runtime_error("a read found no row");
    co_await s.commit();
}

task<void> client(const db::pool& database, workload w, clock_type::time_point until, std::atomic<std::int64_t>& done,
                  unsigned seed)
{
    std::mt19937 random(seed);
    std::uniform_int_distribution<std::int64_t> id(1, world_rows - page_rows);
    while (clock_type::now() < until) {
        co_await operate(database, w, id(random));
        ++done;
    }
}

struct measured {
    double per_second = 0;
    double cpu_us_per_operation = 0;
    std::int64_t operations = 0;
};

double cpu_seconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

measured measure(const db::pool& database, const options& o, workload w)
{
    std::atomic<std::int64_t> done{0};
    const double cpu_before = cpu_seconds();
    const auto started = clock_type::now();
    bench::per_second(o.threads, o.clients, o.seconds, [&](int c, clock_type::time_point until, auto&) {
        return client(database, w, until, done, static_cast<unsigned>(c));
    });
    const double elapsed = std::chrono::duration<double>(clock_type::now() - started).count();
    const auto operations = done.load();
    return {static_cast<double>(operations) / elapsed, (cpu_seconds() - cpu_before) * 1e6 / static_cast<double>(operations),
            operations};
}

void seed(const db::pool& database)
{
    keel::block_on([&]() -> task<void> {
        auto s = database.make_session();
        for (auto& statement : create_table<world>(database.kind()))
            co_await s.run(std::move(statement.sql), std::move(statement.params));
        std::vector<world> rows;
        for (int id = 1; id <= world_rows; ++id)
            rows.push_back({id, id % 97});
        for (std::size_t from = 0; from < rows.size(); from += 1000) {
            const std::vector<world> chunk(rows.begin() + from, rows.begin() + from + 1000);
            co_await execute(s, insert_into<world>().values(chunk));
        }
        co_await s.commit();
    });
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv)
{
    options o;
    CLI::App cli{"The unit of work beside the bare driver: primary-key get and a 20-row select"};
    cli.add_option("--seconds", o.seconds, "Duration of each measurement")->capture_default_str();
    cli.add_option("--rounds", o.rounds, "Rounds, each measuring both ways of both operations (medians are reported)")->capture_default_str();
    cli.add_option("--clients", o.clients, "Concurrent coroutines")->capture_default_str();
    cli.add_option("--threads", o.threads, "io_context threads")->capture_default_str();
    cli.add_option("--only", o.only, "Run one workload alone (under a profiler), printing how many operations it did")
        ->check(CLI::IsMember({"bare-get", "unit-get", "bare-select", "unit-select"}));
    CLI11_PARSE(cli, argc, argv);
    try {
        db::database_settings settings;
        settings.database_url = db::url::parse(keel::testing::postgres_server::instance().create_database());
        settings.pool_size = static_cast<std::size_t>(o.clients);
        settings.max_overflow = 0;
        auto database = db::pool::open(settings, static_cast<std::size_t>(o.threads));
        seed(database);
        // [operation]: each round's bare/unit rate ratio, and the CPU per operation of each way
        std::vector<double> ratios[2], cpu[2][2];
        const std::pair<workload, workload> ways[] = {{workload::bare_get, workload::unit_get},
                                                      {workload::bare_page, workload::unit_page}};
        const char* names[] = {"primary-key get", "20-row select"};
        if (!o.only.empty()) {
            const workload w = o.only == "bare-get" ? workload::bare_get : o.only == "unit-get" ? workload::unit_get
                             : o.only == "bare-select" ? workload::bare_page : workload::unit_page;
            fmt::print("{}: {} operations\n", o.only, measure(database, o, w).operations);
            database.close();
            return 0;
        }
        for (int round = 0; round < o.rounds; ++round)
            for (int op = 0; op < 2; ++op) {
                const bool unit_first = round % 2 == 1;  // alternated, so that a trend favours neither
                measured first = measure(database, o, unit_first ? ways[op].second : ways[op].first);
                measured second = measure(database, o, unit_first ? ways[op].first : ways[op].second);
                if (unit_first)
                    std::swap(first, second);
                ratios[op].push_back(first.per_second / second.per_second);
                cpu[op][0].push_back(first.cpu_us_per_operation);
                cpu[op][1].push_back(second.cpu_us_per_operation);
            }
        database.close();
        fmt::print("{} clients, {} threads, {} rounds of {} s per way (medians)\n\n", o.clients, o.threads, o.rounds, o.seconds);
        fmt::print("| operation | unit of work adds (rate) | CPU us/op bare | CPU us/op unit of work |\n|---|---:|---:|---:|\n");
        for (int op = 0; op < 2; ++op)
            fmt::print("| {} | {:.1f}% | {:.1f} | {:.1f} |\n", names[op], 100.0 * (median(ratios[op]) - 1.0), median(cpu[op][0]),
                       median(cpu[op][1]));
    } catch (const std::exception& e) {
        fmt::print(stderr, "session_overhead: {}\n", e.what());
        return 1;
    }
}

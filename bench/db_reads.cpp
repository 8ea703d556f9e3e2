// Single-row primary-key reads per second through keel's PostgreSQL driver, with and without
// pipelining, beside `pgbench -S -M prepared` (the ceiling) on the same throwaway server.
//   db_reads [--seconds N] [--clients N] [--threads N] [--batch N] [--scale N]
#include <atomic>
#include <cstdio>
#include <random>
#include <regex>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <keel/db/pool.hpp>
#include <keel/testing/postgres.hpp>

#include "clients.hpp"

namespace {

using keel::task;
using bench::clock_type;

struct options {
    int seconds = 10;
    int clients = 32;
    int threads = 2;
    int batch = 16;
    int scale = 10;
};

std::string run(const std::string& command)
{
    std::string out;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, pipe))
        out.append(buf, n);
    if (::pclose(pipe) != 0)
        throw std::runtime_error(command + " failed:\n" + out);
    return out;
}

task<void> reader(const keel::db::pool& database, int batch, int accounts, clock_type::time_point until,
                  std::atomic<std::int64_t>& done, unsigned seed)
{
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> account(1, accounts);
    while (clock_type::now() < until) {
        std::vector<keel::db::statement> statements;
        for (int i = 0; i < batch; ++i)
            statements.emplace_back("SELECT abalance FROM pgbench_accounts WHERE aid = $1", account(random));
        auto session = database.make_session();
        for (const auto& entry : co_await session.run_batch(std::move(statements)))
            entry.get();
        done += batch;
    }
}

double keel_reads_per_second(const std::string& url, const options& o, int batch)
{
    keel::db::database_settings settings;
    settings.database_url = keel::db::url::parse(url);
    settings.pool_size = static_cast<std::size_t>(o.clients);
    settings.max_overflow = 0;
    auto database = keel::db::pool::open(settings, static_cast<std::size_t>(o.threads));
    return bench::per_second(o.threads, o.clients, o.seconds, [&](int c, clock_type::time_point until, auto& done) {
        return reader(database, batch, 100'000 * o.scale, until, done, static_cast<unsigned>(c));
    });
}

}  // namespace

int main(int argc, char** argv)
{
    options o;
    CLI::App cli{"PostgreSQL primary-key reads: keel's driver beside pgbench -S -M prepared"};
    cli.add_option("--seconds", o.seconds, "Duration of each measurement")->capture_default_str();
    cli.add_option("--clients", o.clients, "Concurrent clients (pgbench -c, keel coroutines)")->capture_default_str();
    cli.add_option("--threads", o.threads, "Threads (pgbench -j, keel io_contexts)")->capture_default_str();
    cli.add_option("--batch", o.batch, "Statements per pipelined round trip")->capture_default_str();
    cli.add_option("--scale", o.scale, "pgbench scale (100,000 accounts each)")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    try {
        auto& server = keel::testing::postgres_server::instance();
        const std::string url = server.create_database();
        const std::string database = url.substr(url.rfind('/') + 1);
        const std::string bindir = "/usr/lib/postgresql/15/bin";
        const std::string target = fmt::format("-h 127.0.0.1 -p {} -U keel", server.port());
        run(fmt::format("{}/pgbench -i -q -s {} {} {}", bindir, o.scale, target, database));

        const auto report = run(fmt::format("{}/pgbench -S -M prepared -n -c {} -j {} -T {} {} {}", bindir, o.clients,
                                            o.threads, o.seconds, target, database));
        std::smatch m;
        if (!std::regex_search(report, m, std::regex(R"(tps = ([0-9.]+) \(without initial connection time\))")))
            throw std::runtime_error("cannot read pgbench's result:\n" + report);
        const double ceiling = std::stod(m[1]);
        const double single = keel_reads_per_second(url, o, 1);
        const double pipelined = keel_reads_per_second(url, o, o.batch);

        fmt::print("{} clients, {} threads, {} s each, scale {}\n\n", o.clients, o.threads, o.seconds, o.scale);
        fmt::print("| client | reads/s | vs pgbench |\n|---|---:|---:|\n");
        fmt::print("| pgbench -S -M prepared | {:.0f} | 1.00 |\n", ceiling);
        fmt::print("| keel, one read per round trip | {:.0f} | {:.2f} |\n", single, single / ceiling);
        fmt::print("| keel, pipelined batches of {} | {:.0f} | {:.2f} |\n", o.batch, pipelined, pipelined / ceiling);
    } catch (const std::exception& e) {
        fmt::print(stderr, "db_reads: {}\n", e.what());
        return 1;
    }
}

#include "migrate/statement_progress.hpp"

#include <cctype>
#include <limits>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>

#include <fmt/format.h>

#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/session.hpp>
#include <keel/migrate/revision.hpp>

#include "migrate/plan.hpp"

namespace keel::migrate::detail {

namespace asio = boost::asio;

namespace {

constexpr std::int64_t rows_per_slice = 20'000;

struct rowid_use {
    std::optional<std::int64_t> without_rowid;  // pragma_table_list's wr (null: no such table)
    std::int64_t shadowed = 0;                  // columns named rowid, which hide it
    std::int64_t rows = 0;
};
BOOST_DESCRIBE_STRUCT(rowid_use, (), (without_rowid, shadowed, rows))

struct index_build {
    std::string phase;
    std::int64_t blocks_done = 0, blocks_total = 0, tuples_done = 0, tuples_total = 0;
};
BOOST_DESCRIBE_STRUCT(index_build, (), (phase, blocks_done, blocks_total, tuples_done, tuples_total))

statement_progress measured(const index_build& b)
{
    if (b.blocks_total > 0)
        return {b.phase, std::uint64_t(b.blocks_done), std::uint64_t(b.blocks_total), "blocks"};
    if (b.tuples_total > 0)
        return {b.phase, std::uint64_t(b.tuples_done), std::uint64_t(b.tuples_total), "tuples"};
    return {b.phase, 0, 0, ""};
}

/// What a watched statement and its watcher share; the watcher ends when `done` and says so.
struct watch {
    explicit watch(const asio::any_io_executor& executor) : tick(executor), joined(executor) {}
    asio::steady_timer tick, joined;
    bool done = false, finished = false;
};

task<void> read_index_build(std::shared_ptr<watch> w, const db::pool& reader, std::int64_t pid, const progress_report& report)
{
    std::optional<std::string> failure;
    while (!w->done && !failure) {
        w->tick.expires_after(std::chrono::seconds(1));
        boost::system::error_code ec;
        co_await w->tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));  // cancelled when the statement ends
        if (w->done)
            break;
        try {
            auto session = reader.make_session();
            session.set_transaction_options({.autocommit = true});
            const auto build = co_await session.all<index_build>(
                "SELECT phase, coalesce(blocks_done, 0) AS blocks_done, coalesce(blocks_total, 0) AS blocks_total, "
                "coalesce(tuples_done, 0) AS tuples_done, coalesce(tuples_total, 0) AS tuples_total "
                "FROM pg_stat_progress_create_index WHERE pid = $1",
                pid);
            if (!build.empty() && !w->done)
                report(measured(build.front()));
        } catch (const db::error& e) {
            failure = e.what();
        }
    }
    if (failure)
        log::warn("migrate: the index build's progress cannot be read, it goes on without: {}", *failure);
}

}  // namespace

std::optional<std::string> rebuild_copy_source(std::string_view sql)
{
    // By hand, not std::regex: libstdc++'s recursion overflows the stack on a wide table's line.
    auto code = statement_code(sql);
    if (code.ends_with(';'))
        code.remove_suffix(1);
    const auto from = code.rfind(" FROM \"");
    if (!code.starts_with("INSERT INTO \"" + std::string(rebuild_table_prefix)) || code.find('\n') != std::string_view::npos ||
        from == std::string_view::npos || code.find(") SELECT ") == std::string_view::npos)
        return std::nullopt;
    const auto source = code.substr(from + 6);  // "t", its quotes doubled inside
    for (std::size_t i = 1; i + 1 < source.size(); ++i)
        if (source[i] == '"' && source[++i] != '"')
            return std::nullopt;
    if (source.size() < 3 || !source.ends_with('"'))
        return std::nullopt;
    return std::string(source);
}

task<void> copy_in_slices(db::session& session, const std::string& sql, const std::string& source, const progress_report& report)
{
    const auto use = co_await session.one<rowid_use>(fmt::format(
        "SELECT (SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = $1) AS without_rowid, "
        "(SELECT count(*) FROM pragma_table_xinfo($1) WHERE lower(name) = 'rowid') AS shadowed, (SELECT count(*) FROM {}) AS rows",
        source), source.substr(1, source.size() - 2));
    const auto total = static_cast<std::uint64_t>(use.rows);
    report({"copying rows", 0, total, "rows"});
    if (use.without_rowid.value_or(1) != 0 || use.shadowed != 0 || use.rows <= rows_per_slice) {
        co_await session.execute(sql);
        report({"copying rows", total, total, "rows"});
        co_return;
    }
    const auto copy_slice = sql + " WHERE rowid BETWEEN $1 AND $2";
    const auto bound_sql = fmt::format("SELECT max(rowid) FROM (SELECT rowid FROM {} WHERE rowid >= $1 ORDER BY rowid LIMIT {})",
                                       source, rows_per_slice);
    std::uint64_t done = 0;
    for (std::int64_t first = std::numeric_limits<std::int64_t>::min();;) {
        const auto last = co_await session.one<std::optional<std::int64_t>>(bound_sql, first);
        if (!last)
            break;
        const auto copied = co_await session.execute(copy_slice, first, *last);
        done += static_cast<std::uint64_t>(copied.affected_rows());
        report({"copying rows", done, std::max(done, total), "rows"});
        if (*last == std::numeric_limits<std::int64_t>::max())
            break;
        first = *last + 1;
    }
    if (done != total)  // one transaction: the count and the copy see the same rows
        throw error(fmt::format("the rebuild of {} copied {} rows of {}", source, done, total));
}

bool builds_index(std::string_view sql)
{
    std::string words;  // the first words, upper case, one space apart
    for (const char c : statement_code(sql).substr(0, 64))
        if (!std::isspace(static_cast<unsigned char>(c)))
            words += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        else if (!words.empty() && words.back() != ' ')
            words += ' ';
    return words.starts_with("CREATE INDEX ") || words.starts_with("CREATE UNIQUE INDEX ");
}

task<void> execute_reporting_index_build(db::session& session, const db::pool& reader, const std::string& sql,
                                         const progress_report& report)
{
    const auto pid = co_await session.one<std::int64_t>("SELECT pg_backend_pid()");
    auto w = std::make_shared<watch>(co_await asio::this_coro::executor);
    w->joined.expires_at(asio::steady_timer::time_point::max());
    asio::co_spawn(w->tick.get_executor(), read_index_build(w, reader, pid, report), [w](std::exception_ptr failure) {
        w->finished = true;
        w->joined.cancel();
        if (failure)  // the statement's outcome is what counts: this only loses the progress
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                log::warn("migrate: reading the index build's progress failed: {}", e.what());
            }
    });
    std::exception_ptr failure;
    try {
        co_await session.execute(sql);
    } catch (...) {
        failure = std::current_exception();
    }
    w->done = true;
    w->tick.cancel();
    boost::system::error_code ec;
    if (!w->finished)  // at most one progress query in flight to wait for
        co_await w->joined.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (failure)
        std::rethrow_exception(failure);
}

}  // namespace keel::migrate::detail

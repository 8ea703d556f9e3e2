#pragma once
// Running a built query on a session: all / one / maybe / execute, and raw() for SQL by hand.
// The query renders for the session's database (session.kind()), or for the dialect given.
#include <cstddef>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <keel/core/task.hpp>
#include <keel/db/errors.hpp>
#include <keel/db/result.hpp>
#include <keel/db/session.hpp>

namespace keel::query {

/// SQL written by hand, its arguments bound to $1, $2, … (the escape hatch: still no value is
/// spliced into the text). Rows read as Row.
template <class Row = void>
struct raw_query {
    using row_type = Row;
    db::statement statement;
    db::statement to_statement(db::backend) const { return statement; }
};
template <class Row = void, class... Args>
raw_query<Row> raw(std::string_view sql, const Args&... args)
{
    return {db::statement(sql, args...)};
}

namespace detail {
template <class T> struct is_tuple : std::false_type {};
template <class... T> struct is_tuple<std::tuple<T...>> : std::true_type {};

template <class Tuple, std::size_t... I>
Tuple read_tuple(const db::row& row, const std::vector<std::string>& names, std::index_sequence<I...>)
{
    return Tuple{db::decode<std::tuple_element_t<I, Tuple>>(row[I], names[I])...};
}

template <class Row>
std::vector<Row> read_rows(db::result rows)
{
    if constexpr (is_tuple<Row>::value) {
        std::vector<Row> out;
        out.reserve(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.push_back(read_tuple<Row>(rows[i], rows.columns(), std::make_index_sequence<std::tuple_size_v<Row>>{}));
        return out;
    } else {
        return std::move(rows).template rows_as<Row>();
    }
}

template <class Row>
task<std::vector<Row>> all_rows(task<db::result> pending)
{
    auto rows = co_await std::move(pending);
    co_return read_rows<Row>(std::move(rows));
}

template <class Row>
task<std::optional<Row>> first_row(task<db::result> pending)
{
    auto rows = co_await all_rows<Row>(std::move(pending));
    if (rows.empty())
        co_return std::nullopt;
    co_return std::move(rows.front());
}

template <class Row>
task<Row> only_row(task<db::result> pending)
{
    auto row = co_await first_row<Row>(std::move(pending));
    if (!row)
        throw db::no_result("the query returned no row");
    co_return std::move(*row);
}

// Rendered before the task starts: the query may be a temporary gone by the first co_await.
template <class Query>
task<db::result> start(db::session& session, db::backend dialect, const Query& query)
{
    auto statement = query.to_statement(dialect);
    return session.run(std::move(statement.sql), std::move(statement.params));
}
}  // namespace detail

/// Every row, as the query's row type. Throws what session::run throws.
template <class Query>
task<std::vector<typename Query::row_type>> all(db::session& session, db::backend dialect, const Query& query)
{
    return detail::all_rows<typename Query::row_type>(detail::start(session, dialect, query));
}
/// The first row, or nullopt.
template <class Query>
task<std::optional<typename Query::row_type>> maybe(db::session& session, db::backend dialect, const Query& query)
{
    return detail::first_row<typename Query::row_type>(detail::start(session, dialect, query));
}
/// The first row; throws db::no_result when there is none.
template <class Query>
task<typename Query::row_type> one(db::session& session, db::backend dialect, const Query& query)
{
    return detail::only_row<typename Query::row_type>(detail::start(session, dialect, query));
}
/// Runs the query for its effect (affected_rows()) or its raw result.
template <class Query>
task<db::result> execute(db::session& session, db::backend dialect, const Query& query)
{
    return detail::start(session, dialect, query);
}

/// The same four, rendered for the session's own database.
template <class Query>
task<std::vector<typename Query::row_type>> all(db::session& session, const Query& query)
{
    return all(session, session.kind(), query);
}
template <class Query>
task<std::optional<typename Query::row_type>> maybe(db::session& session, const Query& query)
{
    return maybe(session, session.kind(), query);
}
template <class Query>
task<typename Query::row_type> one(db::session& session, const Query& query)
{
    return one(session, session.kind(), query);
}
template <class Query>
task<db::result> execute(db::session& session, const Query& query)
{
    return execute(session, session.kind(), query);
}

}  // namespace keel::query

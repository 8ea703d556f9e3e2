#include "migrate/shape.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include "core/ascii.hpp"

namespace keel::migrate::detail {

namespace {

/// The end of the quoted text that starts at `at` (a doubled quote stands for itself).
std::size_t quoted_end(std::string_view sql, std::size_t at)
{
    const char quote = sql[at];
    for (std::size_t i = at + 1; i < sql.size(); ++i)
        if (sql[i] == quote) {
            if (i + 1 < sql.size() && sql[i + 1] == quote)
                ++i;
            else
                return i + 1;
        }
    return sql.size();
}

/// Past a cast's type name: words (several for "timestamp with time zone"), then (n[, m]) and [].
std::size_t skip_cast(std::string_view sql, std::size_t at)
{
    static constexpr std::array continuations{"varying", "precision", "with", "without", "time", "zone"};
    std::size_t i = at;
    for (bool first = true;; first = false) {
        std::size_t word = i;
        while (word < sql.size() && sql[word] == ' ' && !first)
            ++word;
        std::size_t end = word;
        while (end < sql.size() && word_char(sql[end]))
            ++end;
        const std::string_view name = sql.substr(word, end - word);
        if (end == word || (!first && std::find(continuations.begin(), continuations.end(), name) == continuations.end()))
            break;
        i = end;
    }
    if (i < sql.size() && sql[i] == '(')
        i = std::min(sql.size(), sql.find(')', i) + 1);
    while (i + 1 < sql.size() && sql[i] == '[' && sql[i + 1] == ']')
        i += 2;
    return i;
}

bool plain_identifier(std::string_view name)
{
    return !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
           std::all_of(name.begin(), name.end(), [](char c) { return word_char(c) && !(c >= 'A' && c <= 'Z'); });
}

/// One pass over the text: literals kept, the rest lower-cased, spaced one way, casts dropped.
std::string tokens(std::string_view sql)
{
    std::string out;
    const auto space_allowed = [&] { return !out.empty() && out.back() != ' ' && out.back() != '('; };
    for (std::size_t i = 0; i < sql.size();) {
        const char c = sql[i];
        if (c == '\'') {
            const std::size_t end = quoted_end(sql, i);
            out += sql.substr(i, end - i);
            i = end;
        } else if (c == '"') {
            const std::size_t end = quoted_end(sql, i);
            const auto name = sql.substr(i + 1, end - i - 2);
            out += plain_identifier(name) ? std::string(name) : std::string(sql.substr(i, end - i));
            i = end;
        } else if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {
            i = skip_cast(sql, i + 2);
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (space_allowed())
                out += ' ';
            ++i;
        } else {
            if ((c == ')' || c == ',') && !out.empty() && out.back() == ' ')
                out.pop_back();
            out += keel::detail::ascii_lower(c);
            if (c == ',')
                out += ' ';  // one way: "a, b"
            ++i;
        }
    }
    return out;
}

}  // namespace

std::size_t matching_close(std::string_view sql)
{
    int depth = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        if (sql[i] == '\'' || sql[i] == '"') {
            i = quoted_end(sql, i) - 1;
            continue;
        }
        depth += sql[i] == '(' ? 1 : sql[i] == ')' ? -1 : 0;
        if (depth == 0)
            return i;
    }
    return std::string_view::npos;
}

std::string normalise_sql(std::string_view sql)
{
    std::string out = tokens(sql);
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return std::string(without_outer_parentheses(out));
}

std::string_view without_outer_parentheses(std::string_view sql)
{
    while (!sql.empty() && sql.front() == '(' && matching_close(sql) == sql.size() - 1)
        sql = sql.substr(1, sql.size() - 2);
    return sql;
}

void sort_shape(schema_shape& shape)
{
    std::sort(shape.begin(), shape.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (auto& t : shape) {
        std::sort(t.indexes.begin(), t.indexes.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        std::sort(t.uniques.begin(), t.uniques.end(), [](const auto& a, const auto& b) { return a.columns < b.columns; });
        std::sort(t.foreign_keys.begin(), t.foreign_keys.end(),
                  [](const auto& a, const auto& b) { return std::tie(a.columns, a.table) < std::tie(b.columns, b.table); });
        std::sort(t.checks.begin(), t.checks.end(),
                  [](const auto& a, const auto& b) { return std::tie(a.name, a.column) < std::tie(b.name, b.column); });
    }
}

}  // namespace keel::migrate::detail

#pragma once
// The small runtime tree the typed builders make; src/query/ renders it for each dialect, so the
// SQL text is built in one compiled place rather than in templates.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <keel/db/session.hpp>
#include <keel/db/url.hpp>
#include <keel/db/value.hpp>
#include <keel/model/table.hpp>

namespace keel::query::detail {

struct node;
struct select_ast;
using node_ptr = std::shared_ptr<const node>;

enum class node_kind {
    column,     // table.name
    param,      // a bound value
    binary,     // left op right: = <> < <= > >= LIKE AND OR
    negation,   // NOT left
    null_test,  // left IS NULL / IS NOT NULL (op)
    in_list,    // left IN (values); FALSE-equivalent when empty
    aggregate,  // op(left) or op(*) when there is no left
    exists,     // EXISTS (subquery)
};

/// What an aggregate's value is read as: SUM/AVG of PostgreSQL integers are NUMERIC, which the
/// dialect casts so that the row decodes into the C++ type the builder promised.
enum class result_cast { none, bigint, double_precision };

struct node {
    node_kind kind;
    std::string_view op;                 // operator or function
    std::string_view table, name;        // column
    std::string_view alias;              // column: the name a row reads it by, when not its own
    db::value value;                     // param
    node_ptr left, right;                // operands, in the node: most nodes have one or two
    std::vector<node_ptr> values;        // in_list
    std::shared_ptr<const select_ast> subquery;
    result_cast cast = result_cast::none;
    bool has_subquery = false;           // it or a node under it: the renderer qualifies columns then
};

node_ptr column_node(std::string_view table, std::string_view name, std::string_view alias = {});
node_ptr param_node(db::value v);
node_ptr binary_node(std::string_view op, node_ptr left, node_ptr right);
/// A node of one operand (or none: COUNT(*), EXISTS).
node_ptr make_node(node_kind kind, std::string_view op, node_ptr operand = {});
node_ptr in_list_node(node_ptr target, std::vector<node_ptr> values);
node_ptr exists_node(std::shared_ptr<const select_ast> subquery);

struct order_term {
    node_ptr item;
    bool descending = false;
};

struct join_clause {
    bool left = false;
    std::string_view table;
    node_ptr on;
};

struct select_ast {
    std::vector<node_ptr> items;
    std::string_view from;
    std::vector<join_clause> joins;
    node_ptr where;
    std::vector<node_ptr> group_by;
    std::vector<order_term> order_by;
    std::optional<std::int64_t> limit, offset;
};

struct insert_ast {
    std::string_view table;
    std::vector<std::string_view> columns;
    std::vector<std::vector<db::value>> rows;
    enum class conflict { none, nothing, update } on_conflict = conflict::none;
    std::vector<std::string_view> conflict_target;
    std::vector<std::string_view> update_columns;  // SET c = excluded.c
    std::vector<node_ptr> returning;
};

struct assignment {
    std::string_view column;
    node_ptr value;
};

struct update_ast {
    std::string_view table;
    std::vector<assignment> set;
    node_ptr where;
    std::vector<node_ptr> returning;
};

struct delete_ast {
    std::string_view table;
    node_ptr where;
    std::vector<node_ptr> returning;
};

/// `ast` with `condition` ANDed into its WHERE (the first condition is the WHERE itself).
template <class Ast>
Ast and_where(Ast ast, node_ptr condition)
{
    ast.where = ast.where ? binary_node("AND", std::move(ast.where), std::move(condition)) : std::move(condition);
    return ast;
}

/// Each returns the SQL text (placeholders $1, $2, … in order) and its parameters.
/// Throws std::invalid_argument for a statement the dialect cannot express.
db::statement render(const select_ast& ast, db::backend dialect);
db::statement render(const insert_ast& ast, db::backend dialect);
db::statement render(const update_ast& ast, db::backend dialect);
db::statement render(const delete_ast& ast, db::backend dialect);

}  // namespace keel::query::detail

namespace keel::query {

/// CREATE TABLE (IF NOT EXISTS) for `table`, then one CREATE INDEX per index, in the dialect's
/// spelling. Throws std::invalid_argument for what the dialect cannot declare (an SQLite identity
/// column that is not the single INTEGER PRIMARY KEY).
std::vector<db::statement> create_table(const model::table_info& table, db::backend dialect);

}  // namespace keel::query

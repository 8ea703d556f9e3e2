// Renders the builders' tree into SQL text and parameters; every spelling that differs between
// databases comes from the dialect (src/query/dialect/).
#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "query/dialect/dialect.hpp"

namespace keel::query::detail {

// Each node is made in place (no temporary node moved into the allocation).
node_ptr column_node(std::string_view table, std::string_view name, std::string_view alias)
{
    return std::make_shared<const node>(node_kind::column, std::string_view(), table, name, alias);
}
node_ptr param_node(db::value v)
{
    return std::make_shared<const node>(node_kind::param, std::string_view(), std::string_view(), std::string_view(),
                                        std::string_view(), std::move(v));
}
namespace {
// has_subquery is worked out once, as the tree is made, rather than by walking it per render.
node_ptr with_operands(node_kind kind, std::string_view op, node_ptr left, node_ptr right = {}, std::vector<node_ptr> values = {},
                       std::shared_ptr<const select_ast> subquery = {})
{
    const auto under = [](const node_ptr& n) { return n && n->has_subquery; };
    const bool has_subquery = subquery || under(left) || under(right) || std::any_of(values.begin(), values.end(), under);
    return std::make_shared<const node>(kind, op, std::string_view(), std::string_view(), std::string_view(), db::value(),
                                        std::move(left), std::move(right), std::move(values), std::move(subquery),
                                        result_cast::none, has_subquery);
}
}  // namespace

node_ptr binary_node(std::string_view op, node_ptr left, node_ptr right)
{
    return with_operands(node_kind::binary, op, std::move(left), std::move(right));
}
node_ptr make_node(node_kind kind, std::string_view op, node_ptr operand) { return with_operands(kind, op, std::move(operand)); }
node_ptr in_list_node(node_ptr target, std::vector<node_ptr> values)
{
    return with_operands(node_kind::in_list, "IN", std::move(target), {}, std::move(values));
}
node_ptr exists_node(std::shared_ptr<const select_ast> subquery)
{
    return with_operands(node_kind::exists, "EXISTS", {}, {}, {}, std::move(subquery));
}

void append_double_quoted(std::string& out, std::string_view identifier)
{
    out.push_back('"');
    for (std::size_t quote; (quote = identifier.find('"')) != std::string_view::npos; identifier.remove_prefix(quote + 1))
        out.append(identifier.substr(0, quote)).append("\"\"");
    out.append(identifier);
    out.push_back('"');
}

void dialect::append_placeholder(std::string& out, std::size_t number) const
{
    out.push_back('$');
    if (number < 10) {  // most statements: no conversion
        out.push_back(static_cast<char>('0' + number));
        return;
    }
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
    out.append(digits, end);
}

const dialect& dialect_for(db::backend backend)
{
    return backend == db::backend::postgresql ? postgres_dialect() : sqlite_dialect();
}

namespace {

bool has_subquery(const node_ptr& n) { return n && n->has_subquery; }

bool is_logical(const node& n) { return n.kind == node_kind::binary && (n.op == "AND" || n.op == "OR"); }

class renderer {
public:
    explicit renderer(const dialect& d) : d_(d)
    {
        sql_.reserve(128);
        params_.reserve(4);  // most statements bind a few values: no regrowth for them
    }

    void select(const select_ast& ast);
    void insert(const insert_ast& ast);
    void update(const update_ast& ast);
    void remove(const delete_ast& ast);

    db::statement finish() &&
    {
        db::statement out("");
        out.sql = std::move(sql_);
        out.params = std::move(params_);
        return out;
    }

private:
    void expression(const node& n);
    /// Appends `identifier` quoted to the statement, and returns the statement.
    std::string& quoted(std::string_view identifier)
    {
        d_.append_quoted(sql_, identifier);
        return sql_;
    }
    void column(const node& n)
    {
        if (qualify_ && !n.table.empty())
            quoted(n.table).append(1, '.');
        quoted(n.name);
    }
    void bind(const db::value& v)
    {
        params_.push_back(v);
        d_.append_placeholder(sql_, params_.size());
    }
    void operand(const node& parent, const node& child)
    {
        const bool parens = is_logical(child) && child.op != parent.op;
        if (parens)
            sql_.push_back('(');
        expression(child);
        if (parens)
            sql_.push_back(')');
    }
    void aggregate(const node& n);
    void in_list(const node& n);
    template <class Items, class Each>
    void list(const Items& items, Each each)
    {
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i)
                sql_.append(", ", 2);
            each(items[i]);
        }
    }
    void where(const node_ptr& condition)
    {
        if (condition) {
            sql_ += " WHERE ";
            expression(*condition);
        }
    }
    void returning(const std::vector<node_ptr>& items)
    {
        if (items.empty())
            return;
        sql_ += " RETURNING ";
        qualify_ = false;  // the statement's one table
        list(items, [&](const node_ptr& item) { output(*item); });
    }
    // A selected or returned item, under its alias when it has one.
    void output(const node& item)
    {
        expression(item);
        if (!item.alias.empty()) {
            sql_ += " AS ";
            quoted(item.alias);
        }
    }

    const dialect& d_;
    bool qualify_ = false;
    std::string sql_;
    std::vector<db::value> params_;
};

void renderer::expression(const node& n)
{
    switch (n.kind) {
    case node_kind::column: column(n); break;
    case node_kind::param: bind(n.value); break;
    case node_kind::binary:
        operand(n, *n.left);
        sql_.push_back(' ');
        sql_.append(n.op).push_back(' ');
        operand(n, *n.right);
        break;
    case node_kind::negation: sql_ += "NOT ("; expression(*n.left); sql_ += ")"; break;
    case node_kind::null_test: expression(*n.left); sql_.append(" ").append(n.op); break;
    case node_kind::in_list: in_list(n); break;
    case node_kind::aggregate: aggregate(n); break;
    case node_kind::exists: {
        sql_ += "EXISTS (";
        const bool outer = std::exchange(qualify_, true);
        select(*n.subquery);
        qualify_ = outer;
        sql_ += ")";
        break;
    }
    }
}

void renderer::aggregate(const node& n)
{
    std::string outer = std::exchange(sql_, std::string(n.op) + "(");
    if (!n.left)
        sql_ += "*";
    else
        expression(*n.left);
    sql_ += ")";
    sql_ = outer + d_.cast(std::move(sql_), n.cast);
}

void renderer::in_list(const node& n)
{
    if (n.values.empty()) {  // IN () is not SQL; an empty list matches nothing
        sql_ += "1 = 0";
        return;
    }
    expression(*n.left);
    sql_ += " IN (";
    list(n.values, [&](const node_ptr& v) { expression(*v); });
    sql_ += ")";
}

void renderer::select(const select_ast& ast)
{
    qualify_ = qualify_ || !ast.joins.empty() || has_subquery(ast.where);
    sql_ += "SELECT ";
    list(ast.items, [&](const node_ptr& item) { output(*item); });
    sql_ += " FROM ";
    quoted(ast.from);
    for (const auto& join : ast.joins) {
        sql_ += join.left ? " LEFT JOIN " : " JOIN ";
        quoted(join.table).append(" ON ");
        expression(*join.on);
    }
    where(ast.where);
    if (!ast.group_by.empty()) {
        sql_ += " GROUP BY ";
        list(ast.group_by, [&](const node_ptr& item) { expression(*item); });
    }
    if (!ast.order_by.empty()) {
        sql_ += " ORDER BY ";
        list(ast.order_by, [&](const order_term& term) {
            expression(*term.item);
            sql_ += term.descending ? " DESC" : "";
        });
    }
    if (ast.limit) {
        sql_ += " LIMIT ";
        bind(*ast.limit);
    } else if (ast.offset && !d_.unlimited().empty()) {
        sql_.append(" ").append(d_.unlimited());
    }
    if (ast.offset) {
        sql_ += " OFFSET ";
        bind(*ast.offset);
    }
}

void renderer::insert(const insert_ast& ast)
{
    using conflict = insert_ast::conflict;
    if (ast.rows.empty())
        throw std::invalid_argument("keel::query: insert_into(" + std::string(ast.table) + ") has no values()");
    if (ast.on_conflict == conflict::update && ast.conflict_target.empty())
        throw std::invalid_argument("keel::query: do_update() needs the on_conflict() columns");
    sql_ += "INSERT INTO ";
    quoted(ast.table);
    if (ast.columns.empty()) {
        sql_ += " DEFAULT VALUES";
    } else {
        sql_ += " (";
        list(ast.columns, [&](std::string_view c) { quoted(c); });
        sql_ += ") VALUES ";
        list(ast.rows, [&](const std::vector<db::value>& row) {
            sql_ += "(";
            list(row, [&](const db::value& v) { bind(v); });
            sql_ += ")";
        });
    }
    if (ast.on_conflict != conflict::none) {
        sql_ += " ON CONFLICT";
        if (!ast.conflict_target.empty()) {
            sql_ += " (";
            list(ast.conflict_target, [&](std::string_view c) { quoted(c); });
            sql_ += ")";
        }
        sql_ += ast.on_conflict == conflict::nothing ? " DO NOTHING" : " DO UPDATE SET ";
        list(ast.update_columns, [&](std::string_view c) {
            quoted(c).append(" = excluded.");
            quoted(c);
        });
    }
    returning(ast.returning);
}

void renderer::update(const update_ast& ast)
{
    if (ast.set.empty())
        throw std::invalid_argument("keel::query: update(" + std::string(ast.table) + ") sets no column");
    qualify_ = has_subquery(ast.where);
    sql_ += "UPDATE ";
    quoted(ast.table).append(" SET ");
    list(ast.set, [&](const assignment& a) {
        quoted(a.column).append(" = ");
        expression(*a.value);
    });
    where(ast.where);
    returning(ast.returning);
}

void renderer::remove(const delete_ast& ast)
{
    qualify_ = has_subquery(ast.where);
    sql_ += "DELETE FROM ";
    quoted(ast.table);
    where(ast.where);
    returning(ast.returning);
}

template <class Ast, class Method>
db::statement render_with(const Ast& ast, db::backend backend, Method method)
{
    renderer r(dialect_for(backend));
    (r.*method)(ast);
    return std::move(r).finish();
}

}  // namespace

db::statement render(const select_ast& ast, db::backend d) { return render_with(ast, d, &renderer::select); }
db::statement render(const insert_ast& ast, db::backend d) { return render_with(ast, d, &renderer::insert); }
db::statement render(const update_ast& ast, db::backend d) { return render_with(ast, d, &renderer::update); }
db::statement render(const delete_ast& ast, db::backend d) { return render_with(ast, d, &renderer::remove); }

}  // namespace keel::query::detail

#pragma once
// select<model>().from<T>() and select(items...).from<T>(): joins, where, group_by, order_by,
// limit and offset; every table and column checked at compile time, every value bound.
#include <utility>

#include <keel/query/detail/checks.hpp>

namespace keel::query {

/// A SELECT whose rows read as Row, over Tables, using the columns Cols (checked against Tables
/// when rendered, so that a join may come after the clause that needs it).
template <class Row, class Tables, class Cols>
class select_query {
public:
    using row_type = Row;
    explicit select_query(detail::select_ast ast) : ast_(std::move(ast)) {}

    /// INNER JOIN T ON condition.
    template <model::table_model T, class On>
    auto join(const expr<On>& on) const { return joined<T>(false, on); }
    /// LEFT JOIN T ON condition: read T's columns into std::optional members.
    template <model::table_model T, class On>
    auto left_join(const expr<On>& on) const { return joined<T>(true, on); }

    /// WHERE condition; a second where() is ANDed with the first.
    template <class C>
    select_query<Row, Tables, detail::union_t<Cols, C>> where(const expr<C>& condition) const&
    {
        return select_query<Row, Tables, detail::union_t<Cols, C>>(detail::and_where(ast_, condition.node));
    }
    /// The same on a temporary query (the usual chain): its tree is moved, not copied.
    template <class C>
    select_query<Row, Tables, detail::union_t<Cols, C>> where(const expr<C>& condition) &&
    {
        return select_query<Row, Tables, detail::union_t<Cols, C>>(detail::and_where(std::move(ast_), condition.node));
    }
    template <class... Items>
    select_query<Row, Tables, detail::union_t<Cols, typename Items::columns...>> group_by(const Items&... items) const
    {
        auto ast = ast_;
        (ast.group_by.push_back(items.node()), ...);
        return select_query<Row, Tables, detail::union_t<Cols, typename Items::columns...>>(std::move(ast));
    }
    /// Items are columns, aggregates or desc(item).
    template <class... Items>
    select_query<Row, Tables, detail::union_t<Cols, typename Items::columns...>> order_by(const Items&... items) const
    {
        auto ast = ast_;
        (ast.order_by.push_back(detail::order_of(items)), ...);
        return select_query<Row, Tables, detail::union_t<Cols, typename Items::columns...>>(std::move(ast));
    }
    select_query limit(std::int64_t rows) const { auto q = *this; q.ast_.limit = rows; return q; }
    select_query offset(std::int64_t rows) const { auto q = *this; q.ast_.offset = rows; return q; }

    /// The SQL and its parameters for `dialect`.
    db::statement to_statement(db::backend dialect) const
    {
        detail::check_columns<Tables, Cols>();
        return detail::render(ast_, dialect);
    }
    const detail::select_ast& ast() const noexcept { return ast_; }

private:
    template <class T, class On>
    select_query<Row, mp::mp_push_back<Tables, T>, detail::union_t<Cols, On>> joined(bool left, const expr<On>& on) const
    {
        static_assert(!mp::mp_contains<Tables, T>::value, "keel::query: this table (T, above) is already in the query");
        auto ast = ast_;
        ast.joins.push_back({left, model::table_of<T>().name, on.node});
        return select_query<Row, mp::mp_push_back<Tables, T>, detail::union_t<Cols, On>>(std::move(ast));
    }

    detail::select_ast ast_;
};

/// select<Model>(): the members of Model, by name, from the table given to from<T>().
template <class Model>
struct select_model {
    template <model::table_model T>
    select_query<Model, mp::mp_list<T>, mp::mp_list<>> from() const
    {
        detail::select_ast ast;
        ast.items = detail::model_items<T, Model>();
        ast.from = model::table_of<T>().name;
        return select_query<Model, mp::mp_list<T>, mp::mp_list<>>(std::move(ast));
    }
};

template <class Row, class Cols>
struct select_items {
    std::vector<detail::node_ptr> items;
    template <model::table_model T>
    select_query<Row, mp::mp_list<T>, Cols> from() const
    {
        detail::select_ast ast;
        ast.items = items;
        ast.from = model::table_of<T>().name;
        return select_query<Row, mp::mp_list<T>, Cols>(std::move(ast));
    }
};

/// SELECT the columns Model's members name (a table model or a subset of one's columns).
template <class Model>
select_model<Model> select() { return {}; }

/// SELECT columns and aggregates: rows read as the one item's type, or as a std::tuple.
template <class First, class... Rest>
auto select(const First& first, const Rest&... rest)  // auto: select<Model>() must not look inside Model
{
    using items = select_items<detail::row_of_t<First, Rest...>, detail::union_t<typename First::columns, typename Rest::columns...>>;
    return items{{first.node(), rest.node()...}};
}

/// EXISTS (subquery). The subquery may use columns of the enclosing query's tables (correlated);
/// those are checked against the enclosing query.
template <class Row, class Tables, class Cols>
auto exists(const select_query<Row, Tables, Cols>& subquery)
{
    using outer = mp::mp_remove_if_q<Cols, detail::in_tables<Tables>>;
    return expr<outer>{detail::exists_node(std::make_shared<const detail::select_ast>(subquery.ast()))};
}

}  // namespace keel::query

#pragma once
// What INSERT, UPDATE and DELETE share over T's table: WHERE, RETURNING and rendering. Each
// builder inherits it privately and exposes the clauses its statement has.
#include <utility>
#include <vector>

#include <keel/query/detail/checks.hpp>

namespace keel::query::detail {

template <template <class, class, class> class Query, class Ast, class T, class Row, class Cols>
class table_statement {
public:
    using row_type = Row;
    explicit table_statement(Ast ast) : ast_(std::move(ast)) {}

    /// WHERE condition; a second where() is ANDed with the first. Without one, every row is hit.
    template <class C>
    Query<T, Row, union_t<Cols, C>> where(const expr<C>& condition) const
    {
        return Query<T, Row, union_t<Cols, C>>(and_where(ast_, condition.node));
    }
    /// RETURNING the columns Model's members name.
    template <class Model>
    Query<T, Model, Cols> returning() const { return with_returning<Model>(model_items<T, Model>()); }
    /// RETURNING columns of T: rows read as the one column's type or a std::tuple.
    template <class First, class... Rest>
    auto returning(const First& first, const Rest&... rest) const  // auto: returning<Model>() must not look inside Model
    {
        return with_returning<row_of_t<First, Rest...>>(returning_items<T>(first, rest...));
    }
    /// The SQL and its parameters for `dialect`; throws std::invalid_argument for a statement
    /// that is not complete (an INSERT without values, an UPDATE that sets nothing).
    db::statement to_statement(db::backend dialect) const
    {
        check_columns<mp::mp_list<T>, Cols>();
        return render(ast_, dialect);
    }

protected:
    template <class R>
    Query<T, R, Cols> with_returning(std::vector<node_ptr> items) const
    {
        auto ast = ast_;
        ast.returning = std::move(items);
        return Query<T, R, Cols>(std::move(ast));
    }

    Ast ast_;
};

/// A new statement on T's table.
template <class Query, class Ast, class T>
Query on_table()
{
    Ast ast;
    ast.table = model::table_of<T>().name;
    return Query(std::move(ast));
}

}  // namespace keel::query::detail

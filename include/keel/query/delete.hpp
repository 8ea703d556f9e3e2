#pragma once
// delete_from<T>().where(…).returning(…)
#include <utility>

#include <keel/query/detail/checks.hpp>

namespace keel::query {

/// A DELETE from T's table using the columns Cols; rows read as Row when it has RETURNING.
template <class T, class Row = void, class Cols = mp::mp_list<>>
class delete_query {
public:
    using row_type = Row;
    explicit delete_query(detail::delete_ast ast) : ast_(std::move(ast)) {}

    /// WHERE condition; a second where() is ANDed with the first. Without one, every row goes.
    template <class C>
    delete_query<T, Row, detail::union_t<Cols, C>> where(const expr<C>& condition) const
    {
        auto ast = ast_;
        ast.where = ast.where ? detail::binary_node("AND", ast.where, condition.node) : condition.node;
        return delete_query<T, Row, detail::union_t<Cols, C>>(std::move(ast));
    }
    template <class Model>
    delete_query<T, Model, Cols> returning() const { return with_returning<Model>(detail::model_items<T, Model>()); }
    template <class First, class... Rest>
    auto returning(const First& first, const Rest&... rest) const  // auto: returning<Model>() must not look inside Model
    {
        return with_returning<detail::row_of_t<First, Rest...>>(detail::returning_items<T>(first, rest...));
    }

    db::statement to_statement(db::backend dialect) const
    {
        detail::check_columns<mp::mp_list<T>, Cols>();
        return detail::render(ast_, dialect);
    }

private:
    template <class R>
    delete_query<T, R, Cols> with_returning(std::vector<detail::node_ptr> items) const
    {
        auto ast = ast_;
        ast.returning = std::move(items);
        return delete_query<T, R, Cols>(std::move(ast));
    }

    detail::delete_ast ast_;
};

template <model::table_model T>
delete_query<T> delete_from()
{
    detail::delete_ast ast;
    ast.table = model::table_of<T>().name;
    return delete_query<T>(std::move(ast));
}

}  // namespace keel::query

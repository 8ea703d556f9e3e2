#pragma once
// update<T>().set(col<&T::m> = v, …).where(…).returning(…)
#include <utility>

#include <keel/query/detail/checks.hpp>

namespace keel::query {

/// An UPDATE of T's table using the columns Cols; rows read as Row when it has RETURNING.
template <class T, class Row = void, class Cols = mp::mp_list<>>
class update_query {
public:
    using row_type = Row;
    explicit update_query(detail::update_ast ast) : ast_(std::move(ast)) {}

    template <class... Columns>
    update_query set(const assignment<Columns>&... assignments) const
    {
        static_assert((std::is_same_v<typename Columns::table, T> && ...),
                      "keel::query: set() assigns a column of another table (Columns, above)");
        auto ast = ast_;
        (ast.set.push_back(assignments.ast), ...);
        return update_query(std::move(ast));
    }
    /// WHERE condition; a second where() is ANDed with the first. Without one, every row changes.
    template <class C>
    update_query<T, Row, detail::union_t<Cols, C>> where(const expr<C>& condition) const
    {
        auto ast = ast_;
        ast.where = ast.where ? detail::binary_node("AND", ast.where, condition.node) : condition.node;
        return update_query<T, Row, detail::union_t<Cols, C>>(std::move(ast));
    }
    template <class Model>
    update_query<T, Model, Cols> returning() const { return with_returning<Model>(detail::model_items<T, Model>()); }
    template <class First, class... Rest>
    auto returning(const First& first, const Rest&... rest) const  // auto: returning<Model>() must not look inside Model
    {
        return with_returning<detail::row_of_t<First, Rest...>>(detail::returning_items<T>(first, rest...));
    }

    /// Throws std::invalid_argument when nothing is set.
    db::statement to_statement(db::backend dialect) const
    {
        detail::check_columns<mp::mp_list<T>, Cols>();
        return detail::render(ast_, dialect);
    }

private:
    template <class R>
    update_query<T, R, Cols> with_returning(std::vector<detail::node_ptr> items) const
    {
        auto ast = ast_;
        ast.returning = std::move(items);
        return update_query<T, R, Cols>(std::move(ast));
    }

    detail::update_ast ast_;
};

template <model::table_model T>
update_query<T> update()
{
    detail::update_ast ast;
    ast.table = model::table_of<T>().name;
    return update_query<T>(std::move(ast));
}

}  // namespace keel::query

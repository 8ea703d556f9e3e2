#pragma once
// update<T>().set(col<&T::m> = v, …).where(…).returning(…), or .set(partial) for a PATCH
#include <keel/model/partial.hpp>
#include <keel/query/detail/statement.hpp>

namespace keel::query {

/// An UPDATE of T's table using the columns Cols; rows read as Row when it has RETURNING.
template <class T, class Row = void, class Cols = mp::mp_list<>>
class update_query : public detail::table_statement<update_query, detail::update_ast, T, Row, Cols> {
    using base = detail::table_statement<update_query, detail::update_ast, T, Row, Cols>;

public:
    using base::base;

    template <class... Columns>
    update_query set(const assignment<Columns>&... assignments) const
    {
        static_assert((std::is_same_v<typename Columns::table, T> && ...),
                      "keel::query: set() assigns a column of another table (Columns, above)");
        auto ast = this->ast_;
        (ast.set.push_back(assignments.ast), ...);
        return update_query(std::move(ast));
    }

    /// SET the columns named by the members `changes` was sent (pydantic's exclude_unset): every
    /// member of Model must name a column of T. Rendering throws std::invalid_argument when
    /// nothing was sent (`changes.empty()`: an UPDATE needs a column).
    template <class Model>
    update_query set(const model::partial<Model>& changes) const
    {
        detail::check_model<T, Model>();
        model::partial<Model>::template require_assignable_to<T>();
        auto ast = this->ast_;
        const auto& table = model::table_of<T>();
        changes.for_each_sent([&](auto member) {
            ast.set.push_back({table.by_member(member.name)->name, detail::param_node(detail::bind((*changes).*member.pointer))});
        });
        return update_query(std::move(ast));
    }
};

template <model::table_model T>
update_query<T> update()
{
    return detail::on_table<update_query<T>, detail::update_ast, T>();
}

}  // namespace keel::query

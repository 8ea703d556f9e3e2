#pragma once
// update<T>().set(col<&T::m> = v, …).where(…).returning(…)
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
};

template <model::table_model T>
update_query<T> update()
{
    return detail::on_table<update_query<T>, detail::update_ast, T>();
}

}  // namespace keel::query

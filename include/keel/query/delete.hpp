#pragma once
// delete_from<T>().where(…).returning(…)
#include <keel/query/detail/statement.hpp>

namespace keel::query {

/// A DELETE from T's table using the columns Cols; rows read as Row when it has RETURNING.
template <class T, class Row = void, class Cols = mp::mp_list<>>
class delete_query : public detail::table_statement<delete_query, detail::delete_ast, T, Row, Cols> {
    using base = detail::table_statement<delete_query, detail::delete_ast, T, Row, Cols>;

public:
    using base::base;
};

template <model::table_model T>
delete_query<T> delete_from()
{
    return detail::on_table<delete_query<T>, detail::delete_ast, T>();
}

}  // namespace keel::query

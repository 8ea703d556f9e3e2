#pragma once
// insert_into<T>(): one model, many models, or explicit assignments; ON CONFLICT and RETURNING.
#include <algorithm>
#include <stdexcept>
#include <utility>

#include <keel/query/detail/statement.hpp>

namespace keel::query {

template <class T, class Row>
class conflict_clause;

namespace detail {
/// Client defaults, SQLAlchemy's Column(default=…): a column the inserted rows do not set gets
/// the value T's member initialiser gives it, unless the database numbers or fills it.
template <class T>
void add_client_defaults(insert_ast& ast)
{
    [[maybe_unused]] static const T defaults{};  // g++ 12 misses its use inside the lambda
    const auto& table = model::table_of<T>();
    mp::mp_for_each<model::detail::public_members<T>>([&](auto d) {
        const auto* column = table.by_member(d.name);
        const bool set = std::find(ast.columns.begin(), ast.columns.end(), column->name) != ast.columns.end();
        if (set || column->identity || column->server_default.what != model::server_default_info::kind::none)
            return;
        ast.columns.push_back(column->name);
        const db::value v = bind(defaults.*d.pointer);
        for (auto& row : ast.rows)
            row.push_back(v);
    });
}
}  // namespace detail

/// An INSERT into T's table; rows read as Row when it has a RETURNING clause.
template <class T, class Row = void, class Cols = mp::mp_list<>>
class insert_query : detail::table_statement<insert_query, detail::insert_ast, T, Row, Cols> {
    using base = detail::table_statement<insert_query, detail::insert_ast, T, Row, Cols>;

public:
    using base::base;
    using base::returning;
    using base::to_statement;
    using typename base::row_type;

    /// One row from a model whose members are columns of T (T itself, or a request model such as
    /// user_create). Identity columns are left to the database; columns the model lacks get T's
    /// client defaults (see add_client_defaults).
    template <class Model>
    insert_query values(const Model& row) const { return rows_of(std::vector<const Model*>{&row}); }
    /// Many rows in one statement; throws std::invalid_argument for none.
    template <class Model>
    insert_query values(const std::vector<Model>& rows) const
    {
        std::vector<const Model*> pointers;
        for (const auto& row : rows)
            pointers.push_back(&row);
        return rows_of(pointers);
    }
    /// One row from assignments: `set(col<&user::name> = "ada", …)`.
    template <class... Columns>
    insert_query set(const assignment<Columns>&... assignments) const
    {
        static_assert((std::is_same_v<typename Columns::table, T> && ...),
                      "keel::query: set() assigns a column of another table (Columns, above)");
        auto ast = this->ast_;
        ast.columns = {assignments.ast.column...};
        ast.rows = {{assignments.ast.value->value...}};
        detail::add_client_defaults<T>(ast);
        return insert_query(std::move(ast));
    }

    /// ON CONFLICT (columns…), then do_nothing() or do_update(columns…).
    template <auto... Members>
    conflict_clause<T, Row> on_conflict(column_ref<Members>...) const
    {
        static_assert((std::is_same_v<typename column_ref<Members>::table, T> && ...),
                      "keel::query: on_conflict() names a column of another table");
        auto ast = this->ast_;
        ast.conflict_target = {column_ref<Members>::name()...};
        return conflict_clause<T, Row>(std::move(ast));
    }

private:
    template <class Model>
    insert_query rows_of(const std::vector<const Model*>& rows) const;
};

template <class T, class Row>
class conflict_clause {
public:
    explicit conflict_clause(detail::insert_ast ast) : ast_(std::move(ast)) {}
    insert_query<T, Row> do_nothing() const
    {
        auto ast = ast_;
        ast.on_conflict = detail::insert_ast::conflict::nothing;
        return insert_query<T, Row>(std::move(ast));
    }
    /// SET each column to the value the conflicting row would have had (excluded.column).
    template <auto... Members>
    insert_query<T, Row> do_update(column_ref<Members>...) const
    {
        static_assert(sizeof...(Members) > 0, "keel::query: do_update() needs the columns to update");
        static_assert((std::is_same_v<typename column_ref<Members>::table, T> && ...),
                      "keel::query: do_update() names a column of another table");
        auto ast = ast_;
        ast.on_conflict = detail::insert_ast::conflict::update;
        ast.update_columns = {column_ref<Members>::name()...};
        return insert_query<T, Row>(std::move(ast));
    }

private:
    detail::insert_ast ast_;
};

template <class T, class Row, class Cols>
template <class Model>
insert_query<T, Row, Cols> insert_query<T, Row, Cols>::rows_of(const std::vector<const Model*>& rows) const
{
    detail::check_model<T, Model>();
    if (rows.empty())
        throw std::invalid_argument("keel::query: insert_into(" + model::table_of<T>().name + ").values() got no rows");
    auto ast = this->ast_;
    ast.columns.clear();
    ast.rows.clear();
    const auto& table = model::table_of<T>();
    mp::mp_for_each<model::detail::public_members<Model>>([&](auto d) {
        if (const auto* column = table.by_member(d.name); !column->identity)
            ast.columns.push_back(column->name);
    });
    for (const Model* row : rows) {
        auto& values = ast.rows.emplace_back();
        mp::mp_for_each<model::detail::public_members<Model>>([&](auto d) {
            if (!table.by_member(d.name)->identity)
                values.push_back(detail::bind(row->*d.pointer));
        });
    }
    detail::add_client_defaults<T>(ast);
    return insert_query(std::move(ast));
}

/// INSERT INTO T's table.
template <model::table_model T>
insert_query<T> insert_into()
{
    return detail::on_table<insert_query<T>, detail::insert_ast, T>();
}

}  // namespace keel::query

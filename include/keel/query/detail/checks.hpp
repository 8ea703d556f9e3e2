#pragma once
// The compile-time checks every builder shares, each a static_assert whose instantiation names
// the column or member at fault (keep them here: one message per mistake, no overload spew).
#include <tuple>
#include <type_traits>
#include <vector>

#include <keel/query/expr.hpp>

namespace keel::query::detail {

template <class... Lists>
using union_t = mp::mp_unique<mp::mp_append<mp::mp_list<>, Lists...>>;

template <class Tables, class Column>
constexpr void require_in_query()
{
    static_assert(mp::mp_contains<Tables, typename Column::table>::value,
                  "keel::query: this column (Column, above) belongs to a table that is not in the query; "
                  "add its table with from<T>() or join<T>()");
}

/// Every column of Cols belongs to one of Tables.
template <class Tables, class Cols>
constexpr void check_columns()
{
    mp::mp_for_each<Cols>([](auto column) { require_in_query<Tables, decltype(column)>(); });
}

/// A quoted metafunction: is column C of one of Tables?
template <class Tables>
struct in_tables {
    template <class C>
    using fn = mp::mp_contains<Tables, typename C::table>;
};

template <class T, auto Member>
constexpr bool is_column_of()
{
    using wanted = typename member_pointer<std::remove_cv_t<decltype(Member)>>::value;
    bool found = false;
    mp::mp_for_each<model::detail::public_members<T>>([&](auto d) {
        using has = typename member_pointer<std::remove_cv_t<decltype(d.pointer)>>::value;
        if (std::string_view(d.name) == model::detail::member_name(Member))
            found = comparable<has, wanted>();
    });
    return found;
}

template <class T, auto Member>
constexpr void require_column_of()
{
    static_assert(is_column_of<T, Member>(),
                  "keel::query: this member (Member, above) is not a column of the table model (T, above) "
                  "with the same name and a comparable type");
}

/// Every member of Model is a column of T by name (a response or request model that reuses some
/// of T's columns, or T itself).
template <class T, class Model>
constexpr void check_model()
{
    static_assert(boost::describe::has_describe_members<Model>::value,
                  "keel::query: a model read or written by a query needs BOOST_DESCRIBE_STRUCT");
    mp::mp_for_each<model::detail::public_members<Model>>([](auto d) { require_column_of<T, decltype(d)::pointer>(); });
}

/// The columns of T that Model's members name, in Model's order, each read back under its
/// member's name.
template <class T, class Model>
std::vector<node_ptr> model_items()
{
    check_model<T, Model>();
    static const std::vector<node_ptr> made = [] {  // once: a query of a model is built on every call
        std::vector<node_ptr> items;
        const auto& table = model::table_of<T>();
        mp::mp_for_each<model::detail::public_members<Model>>([&](auto d) {
            const std::string_view column = table.by_member(d.name)->name;
            items.push_back(column_node(table.name, column, column == d.name ? std::string_view() : d.name));
        });
        return items;
    }();
    return made;
}

template <class... Items>
struct row_of {
    using type = std::tuple<typename Items::value_type...>;
};
template <class Item>
struct row_of<Item> {
    using type = typename Item::value_type;
};
/// What a row of `select(items...)` or `returning(items...)` reads as: the one item's type, or a tuple.
template <class... Items>
using row_of_t = typename row_of<Items...>::type;

/// The items of a RETURNING clause over table T: a model's members or columns of T.
template <class T, class... Items>
std::vector<node_ptr> returning_items(const Items&... items)
{
    check_columns<mp::mp_list<T>, union_t<typename Items::columns...>>();
    return {items.node()...};
}

template <class Item>
order_term order_of(const Item& item)
{
    if constexpr (requires { item.term; })
        return item.term;
    else
        return {item.node(), false};
}

}  // namespace keel::query::detail

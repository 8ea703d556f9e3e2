#pragma once
// Typed column handles and expressions: `col<&user::username> == name` is checked here, at
// compile time, and becomes a node of the runtime tree (ast.hpp) that src/query/ renders.
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/set.hpp>

#include <keel/query/ast.hpp>

namespace keel::query {

namespace mp = boost::mp11;

namespace detail {

template <class> struct member_pointer;
template <class C, class V> struct member_pointer<V C::*> {
    using table = C;
    using value = V;
};

/// How values compare in SQL: two C++ types may meet in an expression when they share a category.
enum class category { none, integer, real, boolean, text, time, bytes };

template <class T>
constexpr category category_of()
{
    using U = typename model::traits::optional_inner<std::remove_cvref_t<std::decay_t<T>>>::type;
    if constexpr (std::same_as<U, bool>) return category::boolean;
    else if constexpr (std::integral<U> || model::traits::is_integer<U>::value) return category::integer;
    else if constexpr (std::floating_point<U>) return category::real;
    else if constexpr (std::convertible_to<const U&, std::string_view> || model::traits::is_text<U>::value ||
                       std::same_as<U, std::string>) return category::text;
    else if constexpr (std::same_as<U, timestamp>) return category::time;
    else if constexpr (std::same_as<U, db::blob>) return category::bytes;
    else return category::none;
}

template <class A, class B>
constexpr bool comparable()
{
    constexpr category a = category_of<A>(), b = category_of<B>();
    const bool numeric = (a == category::integer || a == category::real) && (b == category::integer || b == category::real);
    return a != category::none && (a == b || numeric);
}

template <class T>
db::value bind(const T& v)
{
    if constexpr (model::traits::is_text<T>::value)
        return v.str();
    else if constexpr (model::traits::is_integer<T>::value)
        return v.get();
    else
        return db::to_value(v);
}

}  // namespace detail

/// A boolean SQL expression over the columns Cols (an mp_list of column_ref): where() checks at
/// compile time that each belongs to a table of the query.
template <class Cols>
struct expr {
    detail::node_ptr node;
};

template <auto Member>
struct column_ref;

/// One column's assignment in SET or VALUES: `col<&user::name> = value`.
template <class Column>
struct assignment {
    detail::assignment ast;
};

namespace detail {
template <class T> struct is_column_ref : std::false_type {};
template <auto M> struct is_column_ref<column_ref<M>> : std::true_type {};
}  // namespace detail

/// A column by member pointer: `col<&user::username>`. Its class must be a table model
/// (model/table.hpp) and list the member in its BOOST_DESCRIBE_STRUCT.
template <auto Member>
struct column_ref {
    using traits = detail::member_pointer<decltype(Member)>;
    using table = typename traits::table;
    using value_type = typename traits::value;
    using columns = mp::mp_list<column_ref>;
    static_assert(model::table_model<table>,
                  "keel::query: col<&T::m> needs T to be a table model (BOOST_DESCRIBE_STRUCT and keel_table(T*))");
    static_assert(!model::detail::member_name(Member).empty(),
                  "keel::query: col<&T::m> names a member that T's BOOST_DESCRIBE_STRUCT does not list");

    /// The column's SQL name (the member's, unless the table declaration renames it).
    static std::string_view name()
    {
        static const std::string_view sql_name = model::column_name(Member);
        return sql_name;
    }
    /// One node per column, made once: a query names its columns on every call.
    static detail::node_ptr node()
    {
        static const detail::node_ptr made = detail::column_node(model::table_of<table>().name, name());
        return made;
    }

    /// SET/VALUES: the value must have the column's type (the message names the column below).
    template <class V>
    assignment<column_ref> operator=(const V& v) const
    {
        static_assert(detail::comparable<value_type, V>() ||
                          (std::same_as<V, std::nullptr_t> && model::traits::optional_inner<value_type>::is_optional),
                      "keel::query: the value assigned to this column (Member, above) does not have the column's type");
        return {{name(), detail::param_node(detail::bind(v))}};
    }

    expr<columns> is_null() const { return {detail::make_node(detail::node_kind::null_test, "IS NULL", node())}; }
    expr<columns> is_not_null() const { return {detail::make_node(detail::node_kind::null_test, "IS NOT NULL", node())}; }
    /// SQL LIKE (SQLite: ASCII case-insensitive; PostgreSQL: case-sensitive); `pattern` is bound.
    expr<columns> like(std::string_view pattern) const
    {
        static_assert(detail::category_of<value_type>() == detail::category::text,
                      "keel::query: like() needs a text column (Member, above)");
        return {detail::binary_node("LIKE", node(), detail::param_node(std::string(pattern)))};
    }
    /// column IN ($1, $2, …); an empty list matches no row.
    template <class V>
    expr<columns> in(const std::vector<V>& values) const
    {
        static_assert(detail::comparable<value_type, V>(),
                      "keel::query: the values of in() do not have the type of this column (Member, above)");
        std::vector<detail::node_ptr> params;
        params.reserve(values.size());
        for (const auto& v : values)
            params.push_back(detail::param_node(detail::bind(v)));
        return {detail::in_list_node(node(), std::move(params))};
    }
};

template <auto Member>
inline constexpr column_ref<Member> col{};

namespace detail {
template <auto M, class V>
auto compare(std::string_view op, const V& v)
{
    using column = column_ref<M>;
    if constexpr (is_column_ref<V>::value) {
        static_assert(comparable<typename column::value_type, typename V::value_type>(),
                      "keel::query: these two columns (M and V, above) have types SQL cannot compare");
        return expr<mp::mp_set_union<mp::mp_list<column>, mp::mp_list<V>>>{binary_node(op, column::node(), V::node())};
    } else if constexpr (std::is_same_v<V, std::nullptr_t>) {
        static_assert(!std::is_same_v<V, std::nullptr_t>,
                      "keel::query: test this column (M, above) with is_null() or is_not_null(); = NULL is never true");
        return expr<mp::mp_list<column>>{};
    } else {
        static_assert(comparable<typename column::value_type, V>(),
                      "keel::query: the value compared with this column (M, above) does not have the column's type");
        return expr<mp::mp_list<column>>{binary_node(op, column::node(), param_node(bind(v)))};
    }
}
}  // namespace detail

template <auto M, class V> auto operator==(column_ref<M>, const V& v) { return detail::compare<M>("=", v); }
template <auto M, class V> auto operator!=(column_ref<M>, const V& v) { return detail::compare<M>("<>", v); }
template <auto M, class V> auto operator<(column_ref<M>, const V& v) { return detail::compare<M>("<", v); }
template <auto M, class V> auto operator<=(column_ref<M>, const V& v) { return detail::compare<M>("<=", v); }
template <auto M, class V> auto operator>(column_ref<M>, const V& v) { return detail::compare<M>(">", v); }
template <auto M, class V> auto operator>=(column_ref<M>, const V& v) { return detail::compare<M>(">=", v); }

// By value: the conditions of a chain are temporaries, and their nodes move into the new one.
template <class A, class B>
expr<mp::mp_set_union<A, B>> operator&&(expr<A> a, expr<B> b) { return {detail::binary_node("AND", std::move(a.node), std::move(b.node))}; }
template <class A, class B>
expr<mp::mp_set_union<A, B>> operator||(expr<A> a, expr<B> b) { return {detail::binary_node("OR", std::move(a.node), std::move(b.node))}; }
template <class A>
expr<A> operator!(const expr<A>& a) { return {detail::make_node(detail::node_kind::negation, "NOT", a.node)}; }

/// A selectable value that is not a column: an aggregate. T is the C++ type a row reads.
template <class T, class Cols>
struct aggregate {
    using value_type = T;
    using columns = Cols;
    detail::node_ptr item;
    detail::node_ptr node() const { return item; }
};

/// COUNT(*).
inline aggregate<std::int64_t, mp::mp_list<>> count() { return {detail::make_node(detail::node_kind::aggregate, "COUNT")}; }

namespace detail {
template <class T, auto M>
aggregate<T, mp::mp_list<column_ref<M>>> aggregate_of(std::string_view fn, result_cast cast = result_cast::none)
{
    auto n = std::make_shared<node>(*make_node(node_kind::aggregate, fn, column_ref<M>::node()));
    n->cast = cast;
    return {std::move(n)};
}
template <class V> using nullable = std::optional<typename model::traits::optional_inner<V>::type>;
}  // namespace detail

/// COUNT(column): the rows where it is not NULL.
template <auto M> aggregate<std::int64_t, mp::mp_list<column_ref<M>>> count(column_ref<M>) { return detail::aggregate_of<std::int64_t, M>("COUNT"); }
/// SUM of an integer column reads as int64, of a real column as double; NULL (nullopt) over no rows.
template <auto M>
auto sum(column_ref<M>)
{
    using V = typename column_ref<M>::value_type;
    constexpr bool integral = detail::category_of<V>() == detail::category::integer;
    static_assert(integral || detail::category_of<V>() == detail::category::real, "keel::query: sum() needs a numeric column (M, above)");
    using T = std::conditional_t<integral, std::int64_t, double>;
    return detail::aggregate_of<std::optional<T>, M>("SUM", integral ? detail::result_cast::bigint : detail::result_cast::double_precision);
}
template <auto M>
aggregate<std::optional<double>, mp::mp_list<column_ref<M>>> avg(column_ref<M>)
{
    static_assert(detail::category_of<typename column_ref<M>::value_type>() == detail::category::integer ||
                      detail::category_of<typename column_ref<M>::value_type>() == detail::category::real,
                  "keel::query: avg() needs a numeric column (M, above)");
    return detail::aggregate_of<std::optional<double>, M>("AVG", detail::result_cast::double_precision);
}
template <auto M>
aggregate<detail::nullable<typename column_ref<M>::value_type>, mp::mp_list<column_ref<M>>> min(column_ref<M>)
{
    return detail::aggregate_of<detail::nullable<typename column_ref<M>::value_type>, M>("MIN");
}
template <auto M>
aggregate<detail::nullable<typename column_ref<M>::value_type>, mp::mp_list<column_ref<M>>> max(column_ref<M>)
{
    return detail::aggregate_of<detail::nullable<typename column_ref<M>::value_type>, M>("MAX");
}

/// An ORDER BY term; desc(item) sorts descending.
template <class Cols>
struct ordering {
    using columns = Cols;
    detail::order_term term;
};
template <class Item>
ordering<typename Item::columns> desc(const Item& item) { return {{item.node(), true}}; }

}  // namespace keel::query

#pragma once
// Table metadata for a described struct, declared once next to it:
//
//   struct user { std::int64_t id = 0; std::string username; keel::timestamp created_at; };
//   BOOST_DESCRIBE_STRUCT(user, (), (id, username, created_at))
//   inline keel::model::table_def keel_table(user*)   // found by ADL
//   {
//       using namespace keel::model;
//       return table("users", column(&user::id).primary_key().identity(),
//                    column(&user::created_at).server_default(now()),
//                    index("users_username_key", &user::username).unique());
//   }
//
// Every described member is a column; a column() entry only adds what its C++ type does not say.
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <keel/core/time.hpp>
#include <keel/model/constraints.hpp>
#include <keel/model/members.hpp>
#include <keel/model/traits.hpp>

namespace keel::model {

enum class sql_kind {
    unspecified, integer, bigint, smallint, text, varchar, boolean, double_precision, numeric,
    timestamptz, date, uuid, json, jsonb, bytes, enumeration
};

/// A column's SQL type; each dialect spells it (src/query/dialect/).
struct sql_type {
    sql_kind kind = sql_kind::unspecified;
    std::uint32_t length = 0;                  // varchar(n)
    std::uint16_t precision = 0, scale = 0;    // numeric(p, s)
    std::vector<std::string> enum_values;      // enumeration: a CHECK (column IN (...))
};

namespace sql {
inline sql_type of(sql_kind k, std::uint32_t length = 0, std::uint16_t precision = 0, std::uint16_t scale = 0)
{
    return sql_type{k, length, precision, scale, {}};
}
inline sql_type integer() { return of(sql_kind::integer); }
inline sql_type bigint() { return of(sql_kind::bigint); }
inline sql_type smallint() { return of(sql_kind::smallint); }
inline sql_type text() { return of(sql_kind::text); }
inline sql_type varchar(std::uint32_t n) { return of(sql_kind::varchar, n); }
inline sql_type boolean() { return of(sql_kind::boolean); }
inline sql_type double_precision() { return of(sql_kind::double_precision); }
inline sql_type numeric(std::uint16_t precision, std::uint16_t scale) { return of(sql_kind::numeric, 0, precision, scale); }
inline sql_type timestamptz() { return of(sql_kind::timestamptz); }
inline sql_type date() { return of(sql_kind::date); }
inline sql_type uuid() { return of(sql_kind::uuid); }
inline sql_type json() { return of(sql_kind::json); }
inline sql_type jsonb() { return of(sql_kind::jsonb); }
inline sql_type bytes() { return of(sql_kind::bytes); }
inline sql_type enumeration(std::vector<std::string> values) { return sql_type{sql_kind::enumeration, 0, 0, 0, std::move(values)}; }
}  // namespace sql

enum class fk_action { no_action, restrict, cascade, set_null, set_default };

struct table_info;

struct foreign_key_info {
    /// The referenced table, looked up when rendered (a table may reference itself).
    const table_info& (*table)() = nullptr;
    std::string_view member;  // the referenced column's C++ member
    fk_action on_delete = fk_action::no_action;
    fk_action on_update = fk_action::no_action;
};

/// A default the database fills in: `now()` in the dialect's spelling, or an SQL expression.
struct server_default_info {
    enum class kind { none, now, expression } what = kind::none;
    std::string expression;
};
inline server_default_info now() { return {server_default_info::kind::now, {}}; }
/// Developer-written SQL (DDL has no bind parameters); never build it from user input.
inline server_default_info sql_expression(std::string text) { return {server_default_info::kind::expression, std::move(text)}; }

struct column_info {
    std::string name;         // in SQL
    std::string_view member;  // in C++ (the described member's name; JSON's too)
    sql_type type;
    bool nullable = false;  // from std::optional
    bool primary_key = false;
    bool identity = false;
    bool unique = false;
    server_default_info server_default;
    std::optional<foreign_key_info> references;
    std::string renamed_from;  // for migrations' autogenerate
};

struct index_info {
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
    std::string where;  // a partial index's condition (SQLite, PostgreSQL)
};

struct check_info {
    std::string name;
    std::string condition;
};

/// Everything the database needs to know about one table. Client defaults are the struct's
/// member initialisers: an inserted model carries them.
struct table_info {
    std::string name;
    std::vector<column_info> columns;
    std::vector<std::string> primary_key;  // composite or single, in order
    std::vector<index_info> indexes;
    std::vector<check_info> checks;
    std::string renamed_from;
    /// nullptr when there is no such column.
    const column_info* find(std::string_view column) const noexcept;
    /// The column of a C++ member, by the member's name; nullptr when there is none.
    const column_info* by_member(std::string_view member) const noexcept;
};

namespace detail {

/// The SQL type a C++ member gets unless its column() entry says otherwise. A keel::text with a
/// maximum becomes varchar(Max), so that the database refuses what validation would (both count
/// code points); unknown types stay unspecified and table_of() asks for an explicit type.
template <class M>
sql_type deduced_type()
{
    if constexpr (std::same_as<M, bool>) return sql::boolean();
    else if constexpr (std::same_as<M, std::int16_t>) return sql::smallint();
    else if constexpr (std::same_as<M, std::int32_t>) return sql::integer();
    else if constexpr (std::integral<M> || traits::is_integer<M>::value) return sql::bigint();
    else if constexpr (std::floating_point<M>) return sql::double_precision();
    else if constexpr (std::same_as<M, std::string>) return sql::text();
    else if constexpr (traits::is_text<M>::value)
        return M::max_length == std::numeric_limits<std::size_t>::max() ? sql::text()
                                                                       : sql::varchar(static_cast<std::uint32_t>(M::max_length));
    else if constexpr (std::same_as<M, timestamp>) return sql::timestamptz();
    else if constexpr (std::same_as<M, std::vector<unsigned char>>) return sql::bytes();  // db::blob (model does not use db)
    else return sql_type{};
}

std::string_view require_name(std::string_view name);  // throws std::logic_error when empty
}  // namespace detail

/// One column's declaration: what its C++ type does not already say.
class column_def {
public:
    explicit column_def(column_info info) : info_(std::move(info)) {}
    column_def& primary_key() { info_.primary_key = true; return *this; }
    /// Numbered by the database (PostgreSQL: GENERATED ALWAYS AS IDENTITY; SQLite: the rowid of
    /// an INTEGER PRIMARY KEY). Inserted models leave identity columns out.
    column_def& identity() { info_.identity = true; return *this; }
    column_def& unique() { info_.unique = true; return *this; }
    column_def& type(sql_type t) { info_.type = std::move(t); return *this; }
    column_def& server_default(server_default_info d) { info_.server_default = std::move(d); return *this; }
    column_def& renamed_from(std::string old_name) { info_.renamed_from = std::move(old_name); return *this; }
    /// The column's SQL name when it is not the member's (a select into the model reads it
    /// back under the member's name).
    column_def& name(std::string sql_name) { info_.name = std::move(sql_name); return *this; }
    /// A foreign key to `target`'s column (its class must have a keel_table declaration).
    template <class U, class M>
    column_def& references(M U::*target, fk_action on_delete = fk_action::no_action, fk_action on_update = fk_action::no_action);
    const column_info& info() const noexcept { return info_; }

private:
    column_info info_;
};

/// A column of T: `column(&user::username)`, named and typed from T's description.
template <class T, class M>
column_def column(M T::*member)
{
    using inner = traits::optional_inner<M>;
    column_info info;
    info.member = detail::require_name(detail::member_name(member));
    info.name = std::string(info.member);
    info.type = detail::deduced_type<typename inner::type>();
    info.nullable = inner::is_optional;
    return column_def(std::move(info));
}

class index_def {
public:
    explicit index_def(index_info info) : info_(std::move(info)) {}
    index_def& unique() { info_.unique = true; return *this; }
    /// A partial index; `condition` is developer-written SQL.
    index_def& where(std::string condition) { info_.where = std::move(condition); return *this; }
    const index_info& info() const noexcept { return info_; }

private:
    index_info info_;
};

/// An index on one or more columns of T, in order.
template <class T, class... Ms>
index_def index(std::string name, Ms T::*... members)
{
    static_assert(sizeof...(Ms) > 0, "keel::model::index needs at least one column");
    return index_def(index_info{std::move(name), {std::string(detail::require_name(detail::member_name(members)))...}, false, {}});
}

/// A composite primary key (a single column can say column(&T::m).primary_key()).
struct primary_key_def {
    std::vector<std::string> columns;  // members, named as SQL columns by table_def::build
};
template <class T, class... Ms>
primary_key_def primary_key(Ms T::*... members)
{
    return primary_key_def{{std::string(detail::require_name(detail::member_name(members)))...}};
}

/// A CHECK constraint; `condition` is developer-written SQL.
inline check_info check(std::string name, std::string condition) { return {std::move(name), std::move(condition)}; }

/// The declaration keel_table(T*) returns: a name and the entries above, in any order.
class table_def {
public:
    explicit table_def(std::string name) : name_(std::move(name)) {}
    table_def& renamed_from(std::string old_name) { renamed_from_ = std::move(old_name); return *this; }
    void add(column_def c) { columns_.push_back(std::move(c)); }
    void add(index_def i) { indexes_.push_back(i.info()); }
    void add(primary_key_def p) { primary_key_ = std::move(p.columns); }
    void add(check_info c) { checks_.push_back(std::move(c)); }
    /// Merges the declared entries over `columns` (every member, typed from C++); index and key
    /// entries name members, and come out naming SQL columns.
    table_info build(std::vector<column_info> columns) const;

private:
    std::string name_, renamed_from_;
    std::vector<column_def> columns_;
    std::vector<index_info> indexes_;
    std::vector<std::string> primary_key_;
    std::vector<check_info> checks_;
};

template <class... Entries>
table_def table(std::string name, Entries... entries)
{
    table_def def(std::move(name));
    (def.add(std::move(entries)), ...);
    return def;
}

/// A described struct with a table declaration `keel_table(T*)` in its namespace.
template <class T>
concept table_model = boost::describe::has_describe_members<T>::value && requires(T* t) {
    { keel_table(t) } -> std::same_as<table_def>;
};

/// T's table, built once (thread-safe) from its description and its keel_table declaration.
/// Throws std::logic_error for a declaration that names an unknown column or leaves a type unknown.
template <table_model T>
const table_info& table_of()
{
    static const table_info info = [] {
        std::vector<column_info> columns;
        boost::mp11::mp_for_each<detail::public_members<T>>(
            [&](auto d) { columns.push_back(column(d.pointer).info()); });
        return keel_table(static_cast<T*>(nullptr)).build(std::move(columns));
    }();
    return info;
}

template <class U, class M>
column_def& column_def::references(M U::*target, fk_action on_delete, fk_action on_update)
{
    info_.references = foreign_key_info{[]() -> const table_info& { return table_of<U>(); },
                                        detail::require_name(detail::member_name(target)), on_delete, on_update};
    return *this;
}

/// The SQL name of T's column for `member`.
template <table_model T, class M>
std::string_view column_name(M T::*member)
{
    return table_of<T>().by_member(detail::member_name(member))->name;
}

}  // namespace keel::model

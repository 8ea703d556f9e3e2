#pragma once
// What the unit of work keeps per object, type-erased so that flushing is compiled once
// (src/query/unit_of_work.cpp), and the statements it renders from table metadata.
#include <cstddef>
#include <string>
#include <vector>

#include <keel/query/expr.hpp>

namespace keel::query::detail {

using column_list = std::vector<const model::column_info*>;

/// T's columns, one per described member, in member order.
template <model::table_model T>
const column_list& columns_of()
{
    static const column_list columns = [] {
        column_list out;
        mp::mp_for_each<model::detail::public_members<T>>([&](auto d) { out.push_back(model::table_of<T>().by_member(d.name)); });
        return out;
    }();
    return columns;
}

/// Every member of `object` as a bound value, in member order.
template <class T>
std::vector<db::value> values_of(const T& object)
{
    std::vector<db::value> out;
    out.reserve(mp::mp_size<model::detail::public_members<T>>::value);
    mp::mp_for_each<model::detail::public_members<T>>([&](auto d) { out.push_back(bind(object.*d.pointer)); });
    return out;
}

/// One object of a unit of work. It lives as long as the unit of work, whatever its state.
class tracked {
public:
    enum class state {
        pending,     // added, not yet inserted
        persistent,  // a row of the database, in the identity map
        deleted,     // removed, its DELETE not yet flushed
        detached,    // no longer tracked (deleted, rolled back, or never inserted)
    };
    tracked(const model::table_info& table, const column_list& columns) : table(&table), columns(&columns) {}
    virtual ~tracked() = default;
    /// The object's members now, in member order.
    virtual std::vector<db::value> values() const = 0;
    /// The members a default-constructed object has (a column with a server default is left to
    /// the database while the object still has this value).
    virtual const std::vector<db::value>& initial_values() const = 0;
    /// Overwrites the object with row `index` of `rows` (columns named after the members).
    virtual void load(const db::result& rows, std::size_t index) = 0;

    const model::table_info* table;
    const column_list* columns;
    state status = state::pending;
    std::vector<db::value> snapshot;  // the row as last read or written: what dirty tracking compares with
    std::string key;                  // identity key, once persistent
    std::size_t flushed_in = 0;       // the flush (numbered from 1) that last wrote it
};

template <model::table_model T>
class tracked_object final : public tracked {
public:
    explicit tracked_object(T value) : tracked(model::table_of<T>(), columns_of<T>()), object(std::move(value)) {}
    std::vector<db::value> values() const override { return values_of(object); }
    const std::vector<db::value>& initial_values() const override
    {
        static const std::vector<db::value> initial = values_of(T{});
        return initial;
    }
    void load(const db::result& rows, std::size_t index) override { object = rows[index].template as<T>(); }

    T object;
};

/// The identity map's key for a row of `table`: its primary key's values (in `columns` order).
std::string identity_key(const model::table_info& table, const column_list& columns, const std::vector<db::value>& values);
/// The identity map's key for a single-column primary key's value.
std::string identity_key(const db::value& primary_key);
/// The one primary-key column of `table`; throws std::logic_error for a composite key.
const model::column_info& single_primary_key(const model::table_info& table);

/// SELECT every column of `columns` (read back under the members' names) WHERE `column` equals
/// the one value, or is IN the values.
db::statement select_where(const model::table_info& table, const column_list& columns, std::string_view column,
                           const std::vector<db::value>& values, db::backend dialect);

}  // namespace keel::query::detail

#pragma once
// What the unit of work keeps per object, type-erased so that flushing is compiled once
// (src/query/unit_of_work.cpp), and the statements it renders from table metadata.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
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

/// Appends one primary-key value to an identity key (src/query/unit_of_work.cpp).
void append_key(std::string& key, const db::value& v);

/// An identity key's bytes: inline when they fit (an integer key is 9 bytes), else a string.
/// Made for every row a unit of work tracks, so an integer key is written without a call.
class key_bytes {
public:
    void append(const char* data, std::size_t n)
    {
        if (spilled_.empty() && size_ + n <= sizeof inline_) {
            std::memcpy(inline_ + size_, data, n);
            size_ = static_cast<unsigned char>(size_ + n);
            return;
        }
        if (spilled_.empty())
            spilled_.assign(inline_, size_);
        spilled_.append(data, n);
    }
    std::string_view view() const noexcept { return spilled_.empty() ? std::string_view(inline_, size_) : std::string_view(spilled_); }
    bool empty() const noexcept { return view().empty(); }
    void clear() noexcept
    {
        size_ = 0;
        spilled_.clear();
    }

private:
    char inline_[23];
    unsigned char size_ = 0;
    std::string spilled_;
};

/// append_key of an integer, inline: the common primary key. Its type tag is the variant index
/// of std::int64_t, as append_key writes for any value.
template <class Key>
void append_integer_key(Key& key, std::int64_t v)
{
    char bytes[1 + sizeof v];
    bytes[0] = static_cast<char>('0' + mp::mp_find<db::value, std::int64_t>::value);
    std::memcpy(bytes + 1, &v, sizeof v);
    key.append(bytes, sizeof bytes);
}

/// append_key of a member's value, without a db::value for an integer.
template <class Key, class M>
void append_key_of(Key& key, const M& v)
{
    if constexpr (std::integral<M> && !std::same_as<M, bool> && (std::is_signed_v<M> || sizeof(M) < sizeof(std::int64_t))) {
        append_integer_key(key, static_cast<std::int64_t>(v));
    } else if constexpr (model::traits::is_integer<M>::value) {
        append_integer_key(key, v.get());
    } else if constexpr (std::is_same_v<Key, std::string>) {
        append_key(key, bind(v));
    } else {
        std::string bytes;
        append_key(bytes, bind(v));
        key.append(bytes.data(), bytes.size());
    }
}

/// Whether each member of T (in member order) is a primary-key column.
template <model::table_model T>
const std::vector<bool>& key_members()
{
    static const std::vector<bool> is_key = [] {
        const auto& table = model::table_of<T>();
        std::vector<bool> out;
        for (const auto* column : columns_of<T>())
            out.push_back(std::find(table.primary_key.begin(), table.primary_key.end(), column->name) != table.primary_key.end());
        return out;
    }();
    return is_key;
}

/// Appends the identity map's key of `object` (its primary key's values) to `key`.
template <class Key, model::table_model T>
void append_object_key(Key& key, const T& object)
{
    const auto& is_key = key_members<T>();
    std::size_t i = 0;
    mp::mp_for_each<model::detail::public_members<T>>([&](auto d) {
        if (is_key[i++])
            append_key_of(key, object.*d.pointer);
    });
}

/// The identity map's key of `object`.
template <model::table_model T>
std::string key_of(const T& object)
{
    std::string key;
    append_object_key(key, object);
    return key;
}

template <class M>
bool same_value(const M& a, const M& b)
{
    if constexpr (std::equality_comparable<M>)
        return a == b;
    else
        return bind(a) == bind(b);
}

/// What a unit of work owns: one object added, or a batch of rows read at once.
struct tracked_storage {
    virtual ~tracked_storage() = default;
    /// Whether an object of it has something for a flush to write: it is pending, or persistent
    /// and changed (asked per storage, so that a batch compares its rows without a call per row).
    virtual bool has_changes() const = 0;
};

/// One object of a unit of work. It lives as long as the unit of work, whatever its state.
class tracked : public tracked_storage {
public:
    enum class state {
        pending,     // added, not yet inserted
        persistent,  // a row of the database, in the identity map
        deleted,     // removed, its DELETE not yet flushed
        detached,    // no longer tracked (deleted, rolled back, or never inserted)
    };
    tracked(const model::table_info& table, const column_list& columns) : table(&table), columns(&columns) {}
    /// The object's members now, in member order.
    virtual std::vector<db::value> values() const = 0;
    /// Its members as last read or written (what dirty tracking compares with).
    virtual std::vector<db::value> snapshot_values() const = 0;
    /// The members a default-constructed object has (a column with a server default is left to
    /// the database while the object still has this value).
    virtual const std::vector<db::value>& initial_values() const = 0;
    /// Whether a member differs from the snapshot.
    virtual bool changed() const = 0;
    /// The snapshot becomes the object as it is now (it was just read or written).
    virtual void mark_clean() = 0;
    /// Overwrites the object with row `index` of `rows` (columns named after the members).
    virtual void load(const db::result& rows, std::size_t index) = 0;
    /// The identity key becomes the primary key of the row as last read or written (the
    /// snapshot's: the object's may have been changed since).
    virtual void make_key() = 0;
    virtual const void* address() const noexcept = 0;

    const model::table_info* table;
    const column_list* columns;
    state status = state::pending;
    key_bytes key;                // identity key, once in the identity map
    std::size_t flushed_in = 0;   // the flush (numbered from 1) that last wrote it
};

/// Tags the constructor of an object for a row just read.
struct loaded_row {};

template <model::table_model T>
class tracked_object final : public tracked {
public:
    /// An object added (pending).
    explicit tracked_object(T value) : tracked(model::table_of<T>(), columns_of<T>()), object(std::move(value)) {}
    /// A row just read, with T's table and columns looked up once for a whole result: its
    /// snapshot is the row (still to be adopted: not yet persistent, its key not yet made).
    tracked_object(loaded_row, T value, const model::table_info& table, const column_list& columns)
        : tracked(table, columns), object(std::move(value)), snapshot(object)
    {
    }
    std::vector<db::value> values() const override { return values_of(object); }
    std::vector<db::value> snapshot_values() const override { return values_of(snapshot); }
    const std::vector<db::value>& initial_values() const override
    {
        static const std::vector<db::value> initial = values_of(T{});
        return initial;
    }
    bool changed() const override
    {
        bool differs = false;
        mp::mp_for_each<model::detail::public_members<T>>([&](auto d) { differs = differs || !same_value(object.*d.pointer, snapshot.*d.pointer); });
        return differs;
    }
    bool has_changes() const override
    {
        return status == state::pending || (status == state::persistent && tracked_object::changed());
    }
    void mark_clean() override { snapshot = object; }
    void load(const db::result& rows, std::size_t index) override { object = rows[index].template as<T>(); }
    void make_key() override
    {
        key.clear();
        append_object_key(key, snapshot);
    }
    const void* address() const noexcept override { return &object; }

    T object;
    T snapshot{};
};

/// The objects of one result, in one allocation (a result of many rows is tracked at once).
template <model::table_model T>
struct tracked_batch final : tracked_storage {
    std::vector<tracked_object<T>> objects;  // reserved for every row first: addresses never move
    bool has_changes() const override
    {
        return std::any_of(objects.begin(), objects.end(), [](const tracked_object<T>& o) { return o.has_changes(); });
    }
};

/// The identity map's key for a single-column primary key's value (and load()'s grouping key).
std::string identity_key(const db::value& primary_key);
/// The one primary-key column of `table`; throws std::logic_error for a composite key.
const model::column_info& single_primary_key(const model::table_info& table);

/// select_where's SQL for one value of the single-column primary key (get()'s), rendered once.
const std::string& select_by_key_sql(const model::table_info& table, const column_list& columns, db::backend dialect);

/// SELECT every column of `columns` (read back under the members' names) WHERE `column` equals
/// the one value, or is IN the values.
db::statement select_where(const model::table_info& table, const column_list& columns, std::string_view column,
                           const std::vector<db::value>& values, db::backend dialect);

}  // namespace keel::query::detail

#pragma once
#include <array>
#include <concepts>
#include <cstddef>
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

#include <keel/db/errors.hpp>
#include <keel/db/value.hpp>

namespace keel::db {

class result;
namespace detail {
template <class T> class row_reader;
}

/// One row of a result; valid while the result lives.
class row {
public:
    row(const result& r, std::size_t index) : result_(&r), index_(index) {}
    const value& operator[](std::size_t column) const;
    /// Throws db::decode_error if there is no such column.
    const value& at(std::string_view column) const;
    std::size_t size() const noexcept;
    /// The row as T: a scalar from a one-column row, or a described struct whose members are
    /// read from the columns of the same name.
    template <class T>
    T as() const;

private:
    const result* result_;
    std::size_t index_;
};

/// The rows a statement returned, fully read (a SQLite result is materialised on the worker
/// thread so that the I/O thread never touches the database handle).
class result {
public:
    result() = default;
    result(std::vector<std::string> columns, std::vector<value> values, std::int64_t affected_rows)
        : columns_(std::move(columns)), values_(std::move(values)), affected_rows_(affected_rows) {}

    std::size_t size() const noexcept { return columns_.empty() ? 0 : values_.size() / columns_.size(); }
    bool empty() const noexcept { return size() == 0; }
    const std::vector<std::string>& columns() const noexcept { return columns_; }
    /// Rows changed by INSERT/UPDATE/DELETE.
    std::int64_t affected_rows() const noexcept { return affected_rows_; }
    db::row operator[](std::size_t i) const { return db::row(*this, i); }
    /// Throws db::decode_error for an unknown column.
    std::size_t column_index(std::string_view name) const;
    /// Every row as T (see row::as), text and blobs moved out of the result rather than copied,
    /// T's columns looked up once rather than once a row.
    template <class T>
    std::vector<T> rows_as() &&;
    /// Hands each row, read as rows_as<T>() reads it, to `each` (a T&&), without a vector of them.
    template <class T, class Each>
    void each_as(Each&& each) &&;

private:
    friend class row;
    std::vector<std::string> columns_;
    std::vector<value> values_;
    std::int64_t affected_rows_ = 0;
};

inline const value& row::operator[](std::size_t column) const { return result_->values_[index_ * result_->columns_.size() + column]; }
inline const value& row::at(std::string_view column) const { return (*this)[result_->column_index(column)]; }
inline std::size_t row::size() const noexcept { return result_->columns_.size(); }

namespace detail {
template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
[[noreturn]] void throw_decode(std::string_view column, std::string_view wanted, const value& got);
std::int64_t decode_int(const value& v, std::string_view column);
/// Throws db::decode_error: `got` does not fit the integer type it is read into (min..max).
[[noreturn]] void throw_out_of_range(std::string_view column, std::int64_t got, std::int64_t min, std::uint64_t max);

// A database integer is 64-bit signed (PostgreSQL BIGINT, SQLite INTEGER): a narrower or an
// unsigned member refuses what it cannot hold instead of wrapping it.
template <std::integral I>
I narrow_int(std::int64_t n, std::string_view column)
{
    constexpr auto min = static_cast<std::int64_t>(std::numeric_limits<I>::min());
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<I>::max());
    if (n < min || (n > 0 && static_cast<std::uint64_t>(n) > max))
        throw_out_of_range(column, n, min, max);
    return static_cast<I>(n);
}
double decode_double(const value& v, std::string_view column);
bool decode_bool(const value& v, std::string_view column);
std::string decode_string(const value& v, std::string_view column);
blob decode_blob(const value& v, std::string_view column);
timestamp decode_timestamp(const value& v, std::string_view column);
}  // namespace detail

/// Reads one column value as T (see row::as); throws db::decode_error naming the column.
template <class T>
T decode(const value& v, std::string_view column)
{
    using namespace detail;
    if constexpr (is_optional<T>::value) {
        if (std::holds_alternative<std::nullptr_t>(v))
            return std::nullopt;
        return decode<typename T::value_type>(v, column);
    } else if constexpr (std::same_as<T, bool>) {
        return decode_bool(v, column);
    } else if constexpr (std::integral<T>) {
        return narrow_int<T>(decode_int(v, column), column);
    } else if constexpr (std::floating_point<T>) {
        return static_cast<T>(decode_double(v, column));
    } else if constexpr (std::same_as<T, std::string>) {
        return decode_string(v, column);
    } else if constexpr (std::same_as<T, blob>) {
        return decode_blob(v, column);
    } else if constexpr (std::same_as<T, timestamp>) {
        return decode_timestamp(v, column);
    } else if constexpr (std::constructible_from<T, std::string>) {
        return T(decode_string(v, column));
    } else if constexpr (std::constructible_from<T, std::int64_t>) {
        return T(decode_int(v, column));
    } else {
        static_assert(sizeof(T) == 0, "keel::db::decode: unsupported column type");
    }
}

namespace detail {

// Text and blobs are moved out of a value its result gives up; anything else decodes as usual.
template <class T>
T take(value& v, std::string_view column)
{
    if constexpr (is_optional<T>::value) {
        if (std::holds_alternative<std::nullptr_t>(v))
            return std::nullopt;
        return take<typename T::value_type>(v, column);
    } else {
        if constexpr (std::same_as<T, std::string> || std::same_as<T, blob>) {
            if (auto* held = std::get_if<T>(&v))
                return std::move(*held);
        }
        return decode<T>(v, column);
    }
}

void expect_one_column(std::size_t columns);

template <class T, bool = boost::describe::has_describe_members<T>::value>
struct public_members {
    using type = boost::mp11::mp_list<>;
};
template <class T>
struct public_members<T, true> {
    using type = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;
};

/// Reads rows of one result as T: a described struct's members from the columns of the same
/// name (found once, on construction), or a scalar from a one-column result.
template <class T>
class row_reader {
    using members = typename public_members<T>::type;
    static constexpr bool described = boost::describe::has_describe_members<T>::value;

public:
    explicit row_reader(const result& r) : columns_(&r.columns())
    {
        if constexpr (described) {
            std::size_t i = 0;
            boost::mp11::mp_for_each<members>([&](auto member) { at_[i++] = r.column_index(member.name); });
        } else {
            expect_one_column(r.columns().size());
        }
    }

    /// `row` points at the row's first value; with Take, its text and blobs are moved out.
    template <bool Take, class Value>
    T read(Value* row) const
    {
        if constexpr (described) {
            T out{};
            std::size_t i = 0;
            boost::mp11::mp_for_each<members>([&](auto member) {
                using field = std::remove_cvref_t<decltype(out.*member.pointer)>;
                Value& v = row[at_[i++]];
                if constexpr (Take)
                    out.*member.pointer = take<field>(v, member.name);
                else
                    out.*member.pointer = decode<field>(v, member.name);
            });
            return out;
        } else if constexpr (Take) {
            return take<T>(row[0], (*columns_)[0]);
        } else {
            return decode<T>(row[0], (*columns_)[0]);
        }
    }

private:
    const std::vector<std::string>* columns_;
    std::array<std::size_t, boost::mp11::mp_size<members>::value> at_{};
};

}  // namespace detail

template <class T>
T row::as() const
{
    return detail::row_reader<T>(*result_).template read<false>(&(*this)[0]);
}

template <class T>
std::vector<T> result::rows_as() &&
{
    std::vector<T> out;
    out.reserve(size());
    std::move(*this).template each_as<T>([&out](T&& row) { out.push_back(std::move(row)); });
    return out;
}

template <class T, class Each>
void result::each_as(Each&& each) &&
{
    if (empty())
        return;
    const detail::row_reader<T> reader(*this);
    for (std::size_t i = 0; i < size(); ++i)
        each(reader.template read<true>(&values_[i * columns_.size()]));
}

}  // namespace keel::db

#pragma once
#include <concepts>
#include <cstddef>
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
        return static_cast<T>(decode_int(v, column));
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

template <class T>
T row::as() const
{
    if constexpr (boost::describe::has_describe_members<T>::value) {
        T out{};
        using members = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;
        boost::mp11::mp_for_each<members>([&](auto member) {
            using field = std::remove_cvref_t<decltype(out.*member.pointer)>;
            out.*member.pointer = decode<field>(at(member.name), member.name);
        });
        return out;
    } else {
        if (size() != 1)
            throw decode_error("expected one column to read a scalar, the row has " + std::to_string(size()));
        return decode<T>((*this)[0], result_->columns()[0]);
    }
}

}  // namespace keel::db

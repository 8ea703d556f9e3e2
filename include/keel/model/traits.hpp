#pragma once
// What a member's C++ type says about it, for table metadata and the query builder.
// (model/json.hpp has twins of is_text/is_integer in model::detail; one should go.)
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>

#include <keel/model/constraints.hpp>

namespace keel::model::traits {

/// std::optional<T> → T (and is_optional); anything else → itself.
template <class T> struct optional_inner { using type = T; static constexpr bool is_optional = false; };
template <class T> struct optional_inner<std::optional<T>> { using type = T; static constexpr bool is_optional = true; };
template <class T> struct is_text : std::false_type {};
template <std::size_t Min, std::size_t Max, fixed_string P> struct is_text<keel::text<Min, Max, P>> : std::true_type {};
template <class T> struct is_integer : std::false_type {};
template <std::int64_t Min, std::int64_t Max> struct is_integer<keel::integer<Min, Max>> : std::true_type {};

}  // namespace keel::model::traits

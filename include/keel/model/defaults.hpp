#pragma once
// The members a request may leave out, keeping their initial value (pydantic's fields with a
// default), declared next to the model and found by ADL, as keel_table is:
//
//   struct item_create {
//       keel::text<1, 100> name;      // required
//       std::string description;      // may be left out: ""
//       bool published = false;       // may be left out: false
//   };
//   BOOST_DESCRIBE_STRUCT(item_create, (), (name, description, published))
//   constexpr auto keel_defaults(item_create*) { return keel::model::defaults(&item_create::description, &item_create::published); }
//
// The list is needed because C++ cannot tell a member with a default initializer from one
// without (`int n = 0;` and `int n;` value-initialise alike); the value stays in the initializer,
// and binding starts from T{} so that an absent member keeps it. std::optional members may be
// left out without being listed (empty when absent).
#include <tuple>
#include <type_traits>

#include <keel/model/members.hpp>

namespace keel::model {

/// The list keel_defaults(T*) returns: data members of T, as &T::member.
template <class... Members>
constexpr std::tuple<Members...> defaults(Members... members)
{
    static_assert((std::is_member_object_pointer_v<Members> && ...),
                  "keel::model::defaults: list data members, as &T::member");
    return {members...};
}

namespace detail {
template <class T>
concept lists_defaults = requires { keel_defaults(static_cast<T*>(nullptr)); };
template <class T>
concept lists_defaults_constantly = requires { typename std::bool_constant<(static_cast<void>(keel_defaults(static_cast<T*>(nullptr))), true)>; };

template <class T>
constexpr bool defaults_are_described_members()
{
    constexpr auto listed = keel_defaults(static_cast<T*>(nullptr));
    return std::apply([](auto... m) { return ((member_index<T>(m) != no_member) && ...); }, listed);
}
}  // namespace detail

/// Whether a request may leave out T's member Member (a member pointer), keeping its initial value.
template <class T, auto Member>
constexpr bool has_default()
{
    if constexpr (detail::lists_defaults<T>) {
        static_assert(detail::lists_defaults_constantly<T>, "keel: keel_defaults(T*) must be constexpr (T, above)");
        static_assert(detail::defaults_are_described_members<T>(),
                      "keel: keel_defaults(T*) lists a member that BOOST_DESCRIBE_STRUCT(T, ...) does not (T, above)");
        constexpr auto listed = keel_defaults(static_cast<T*>(nullptr));
        return std::apply([](auto... m) { return (detail::same_member(m, Member) || ...); }, listed);
    } else {
        return false;
    }
}

}  // namespace keel::model

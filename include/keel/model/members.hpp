#pragma once
// The described members of a model, found at compile time by pointer or by name.
#include <cstddef>
#include <string_view>
#include <type_traits>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

namespace keel::model::detail {

/// T's public members, its bases' included, in declaration order.
template <class T>
using public_members = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

template <class T>
inline constexpr std::size_t member_count = boost::mp11::mp_size<public_members<T>>::value;

inline constexpr std::size_t no_member = static_cast<std::size_t>(-1);

template <class A, class B>
constexpr bool same_member(A a, B b)
{
    if constexpr (std::is_same_v<std::remove_cv_t<A>, std::remove_cv_t<B>>)
        return a == b;
    else
        return false;
}

/// The position of `member` among T's described members, or no_member.
template <class T, class M>
constexpr std::size_t member_index(M member)
{
    std::size_t found = no_member, i = 0;
    boost::mp11::mp_for_each<public_members<T>>([&](auto d) {
        if (same_member(d.pointer, member))
            found = i;
        ++i;
    });
    return found;
}

/// The position of the member named `name` among T's described members, or no_member.
template <class T>
constexpr std::size_t member_index_by_name(std::string_view name)
{
    std::size_t found = no_member, i = 0;
    boost::mp11::mp_for_each<public_members<T>>([&](auto d) {
        if (std::string_view(d.name) == name)
            found = i;
        ++i;
    });
    return found;
}

/// The described name of `member`, or empty when T's description does not list it.
template <class T, class M>
constexpr std::string_view member_name(M T::*member)
{
    std::string_view name;
    boost::mp11::mp_for_each<public_members<T>>([&](auto d) {
        if (same_member(d.pointer, member))
            name = d.name;
    });
    return name;
}

/// The type of a member, from its descriptor.
template <class T, class Descriptor>
using member_type = std::remove_cvref_t<decltype(std::declval<T&>().*Descriptor::pointer)>;

}  // namespace keel::model::detail

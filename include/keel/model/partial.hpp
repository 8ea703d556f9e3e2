#pragma once
// pydantic's exclude_unset, for PATCH: a T bound from a request that may leave out any member,
// knowing which members it sent, so that an update changes only those.
//
//   task<item_public> patch_item(http::path<std::int64_t> id, http::body<keel::partial<item_create>> changes,
//                                query::unit_of_work uow)
//   {
//       item* found = co_await uow.get<item>(*id);
//       if (!found) throw http::error(404, "Item not found");
//       changes->assign_to(*found);  // the members sent, by name: UPDATE items SET <those> at the flush
//       …
//   }
//
// update<item>().set(*changes) writes the members sent too; a PATCH of {} sends none, and an
// UPDATE needs a column: check changes->empty() first (assign_to of nothing changes nothing).
//
// A member that was sent is checked as in T (null for a non-optional member is a 422, as pydantic
// says for a field that does not allow None); one that was not keeps T{}'s value and is written
// nowhere: not by assign_to, not by update<>().set(changes), not in its JSON.
#include <bitset>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <keel/model/members.hpp>

namespace keel {
namespace model {

namespace detail {
/// partial::assign_to's check, a template of the member so that the error names it.
template <class Source, class Target, auto Member, std::size_t TargetIndex>
constexpr void require_target_member()
{
    static_assert(TargetIndex != no_member,
                  "keel::partial::assign_to: the target (Target, above) has no member named as this one (Member, above)");
    if constexpr (TargetIndex != no_member) {
        using target_member = boost::mp11::mp_at_c<public_members<Target>, TargetIndex>;
        using to = std::remove_cvref_t<decltype(std::declval<Target&>().*target_member::pointer)>;
        using from = std::remove_cvref_t<decltype(std::declval<const Source&>().*Member)>;
        static_assert(std::is_assignable_v<to&, const from&> && !(std::is_integral_v<to> && std::is_floating_point_v<from>),
                      "keel::partial::assign_to: this member (Member, above) cannot be assigned to the target's member of its "
                      "name (another type, a std::optional into a member that is not, or a floating point into an integer)");
    }
}
}  // namespace detail

template <class T>
class partial {
    static_assert(boost::describe::has_describe_members<T>::value,
                  "keel::partial<T> needs T to be a described struct: add BOOST_DESCRIBE_STRUCT(T, (), (member, ...)) after T");

public:
    using value_type = T;
    using sent_set = std::bitset<detail::member_count<T>>;

    partial() = default;
    /// `value`, of which the members whose position (in T's description) is set in `sent` were sent.
    partial(T value, sent_set sent) : value_(std::move(value)), sent_(sent) {}

    const T& operator*() const noexcept { return value_; }
    const T* operator->() const noexcept { return &value_; }

    /// Whether the request sent Member (`&T::member`).
    template <auto Member>
    bool has() const noexcept
    {
        constexpr std::size_t i = detail::member_index<T>(Member);
        static_assert(i != detail::no_member, "keel::partial::has: not a described member of T (T, above)");
        return sent_.test(i);
    }
    /// Whether the request sent no member at all ({}).
    bool empty() const noexcept { return sent_.none(); }
    const sent_set& sent() const noexcept { return sent_; }

    /// Calls f(descriptor) for each member sent, in T's declaration order; `descriptor` is
    /// Boost.Describe's (its `name`, and `pointer` into **this).
    template <class F>
    void for_each_sent(F&& f) const
    {
        std::size_t i = 0;
        boost::mp11::mp_for_each<detail::public_members<T>>([&](auto d) {
            if (sent_.test(i++))
                f(d);
        });
    }

    /// Assigns each member sent to the member of `target` that has its name. Every member of T
    /// must name an assignable member of Target (checked at compile time, sent or not).
    template <class Target>
    void assign_to(Target& target) const
    {
        require_assignable_to<Target>();
        std::size_t i = 0;
        boost::mp11::mp_for_each<detail::public_members<T>>([&](auto d) {
            using source = decltype(d);
            constexpr std::size_t j = detail::member_index_by_name<Target>(source::name);
            if constexpr (j != detail::no_member) {
                using target_member = boost::mp11::mp_at_c<detail::public_members<Target>, j>;
                if (sent_.test(i))
                    target.*target_member::pointer = value_.*source::pointer;
            }
            ++i;
        });
    }

    /// Fails to compile, naming the member, unless every member of T can be assigned to the
    /// member of Target that has its name (what assign_to and update<>().set(partial) need).
    template <class Target>
    static constexpr void require_assignable_to()
    {
        boost::mp11::mp_for_each<detail::public_members<T>>([](auto d) {
            using source = decltype(d);
            detail::require_target_member<T, Target, source::pointer, detail::member_index_by_name<Target>(source::name)>();
        });
    }

private:
    T value_{};
    sent_set sent_;
};

namespace detail {
template <class T> struct is_partial : std::false_type {};
template <class T> struct is_partial<partial<T>> : std::true_type {};
}  // namespace detail

}  // namespace model

using model::partial;

}  // namespace keel

#pragma once
#include <chrono>
#include <concepts>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace keel {

namespace detail {
std::string format_duration_bound(std::chrono::milliseconds value);

template <class T>
struct bound_text;  // how a bound of type T reads in a message ("an integer", "30s")

template <std::integral I>
struct bound_text<I> {
    static constexpr const char* noun = "an integer";
    static std::string show(I value) { return std::to_string(value); }
};

template <class Rep, class Period>
struct bound_text<std::chrono::duration<Rep, Period>> {
    static constexpr const char* noun = "a duration";
    static std::string show(std::chrono::duration<Rep, Period> value)
    {
        return format_duration_bound(std::chrono::duration_cast<std::chrono::milliseconds>(value));
    }
};
}  // namespace detail

/// Limits on the fields of a settings struct, declared once as a table and checked by
/// load_settings together with every other problem, so that start-up names all bad settings at
/// once: `rules.at_least(&database_settings::pool_size, 1)` makes POOL_SIZE=0 (and POOL_SIZE=-1,
/// which does not even parse) report "POOL_SIZE: expected an integer of at least 1".
/// A rule may name a field of `Settings` or of one of its bases.
template <class Settings>
class setting_rules {
public:
    /// `member` must satisfy `holds`; otherwise the message is "NAME: expected <expected>".
    template <class T, class C>
    setting_rules& require(T C::*member, std::type_identity_t<std::function<bool(const T&)>> holds, std::string expected)
    {
        static_assert(std::is_base_of_v<C, Settings>, "the member must belong to Settings or a base of it");
        rules_.push_back(rule{[member](const Settings& s) -> const void* { return &(s.*member); },
                              [member, holds = std::move(holds)](const Settings& s) { return holds(s.*member); },
                              std::move(expected)});
        return *this;
    }

    /// min <= value <= max, for integers and durations.
    template <class T, class C>
    setting_rules& between(T C::*member, std::type_identity_t<T> min, std::type_identity_t<T> max)
    {
        using text = detail::bound_text<T>;
        return require(member, [min, max](const T& v) { return min <= v && v <= max; },
                       std::string(text::noun) + " from " + text::show(min) + " to " + text::show(max));
    }

    /// min <= value, for integers and durations.
    template <class T, class C>
    setting_rules& at_least(T C::*member, std::type_identity_t<T> min)
    {
        using text = detail::bound_text<T>;
        return require(member, [min](const T& v) { return min <= v; },
                       std::string(text::noun) + " of at least " + text::show(min));
    }

    /// What the field at address `field` (inside `s`) must be, from the first rule naming it;
    /// with `only_broken`, from the first such rule that `s` breaks. Null when there is none.
    const std::string* find(const Settings& s, const void* field, bool only_broken) const
    {
        for (const auto& r : rules_)
            if (r.field(s) == field && !(only_broken && r.holds(s)))
                return &r.expected;
        return nullptr;
    }

private:
    struct rule {
        std::function<const void*(const Settings&)> field;
        std::function<bool(const Settings&)> holds;
        std::string expected;
    };
    std::vector<rule> rules_;
};

}  // namespace keel

#pragma once
#include <utility>

namespace keel::http {

namespace detail {
// The value a request parameter was bound to; dereference it like a pointer.
template <class T>
class bound {
public:
    bound() = default;
    explicit bound(T value) : value_(std::move(value)) {}
    const T& operator*() const& noexcept { return value_; }
    T&& operator*() && noexcept { return std::move(value_); }
    const T* operator->() const noexcept { return &value_; }
    const T& get() const noexcept { return value_; }

private:
    T value_{};
};
}  // namespace detail

/// A path parameter: the N-th `path<…>` argument of a handler is the N-th `{name}` of its route.
/// T is any scalar keel::model::from_text accepts; a value that does not parse is a 422.
template <class T>
struct path : detail::bound<T> {
    using detail::bound<T>::bound;
};

/// Query parameters: T is a described struct whose members are the parameters; a parameter that
/// is absent keeps the member's default; constraints (keel::integer<1, 100>) give 422s.
template <class T>
struct query : detail::bound<T> {
    using detail::bound<T>::bound;
};

/// The JSON request body bound to a described struct T, validated before the handler runs.
template <class T>
struct body : detail::bound<T> {
    using detail::bound<T>::bound;
};

/// Form fields (`application/x-www-form-urlencoded`, FastAPI's `Form`) bound to a described
/// struct T: each member is a field, required unless it is a std::optional; a field given twice
/// takes its first value. Errors are 422s at ["body", "<field>"]; a body of another content type
/// is 415.
template <class T>
struct form : detail::bound<T> {
    using detail::bound<T>::bound;
};

}  // namespace keel::http

#pragma once
#include <boost/asio/awaitable.hpp>

namespace keel {

/// Every asynchronous keel operation is a coroutine returning task<T>: `co_await` it from another
/// task. It runs on the executor of the coroutine that awaits it.
template <class T = void>
using task = boost::asio::awaitable<T>;

namespace detail {
template <class T>
struct task_value;
template <class T>
struct task_value<task<T>> {
    using type = T;
};
}  // namespace detail

/// What a task yields: task_value_t<task<int>> is int.
template <class T>
using task_value_t = typename detail::task_value<T>::type;

}  // namespace keel

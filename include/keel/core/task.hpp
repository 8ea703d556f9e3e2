#pragma once
#include <boost/asio/awaitable.hpp>

namespace keel {

/// Every asynchronous keel operation is a coroutine returning task<T>: `co_await` it from another
/// task. It runs on the executor of the coroutine that awaits it.
template <class T = void>
using task = boost::asio::awaitable<T>;

}  // namespace keel

#pragma once
#include <type_traits>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <keel/core/task.hpp>

namespace keel {

/// Runs the coroutine `make()` returns to completion on a private io_context and returns its
/// result (or rethrows its exception). For start-up code, tools and tests — never call it on an
/// I/O thread.
template <class F>
auto block_on(F&& make)
{
    // One io_context per calling thread, kept between calls: a PostgreSQL pool keeps idle
    // connections per io_context, so the next call reuses them instead of connecting again.
    thread_local boost::asio::io_context context(1);
    context.restart();
    auto future = boost::asio::co_spawn(context, std::forward<F>(make), boost::asio::use_future);
    context.run();
    return future.get();
}

}  // namespace keel

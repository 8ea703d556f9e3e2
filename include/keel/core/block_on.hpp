#pragma once
#include <cstddef>
#include <deque>
#include <type_traits>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <keel/core/task.hpp>

namespace keel {

namespace detail {

/// The io_context block_on runs on, one per thread and nesting depth, kept between calls: what
/// one call leaves behind (a session carried to the next step, a PostgreSQL pool's idle
/// connections, which belong to an io_context) the next call on the thread finds running again.
/// A call made from inside a coroutine block_on runs gets the next depth's own.
inline boost::asio::io_context& block_on_context(std::size_t depth)
{
    thread_local std::deque<boost::asio::io_context> contexts;  // a deque: growing moves none
    while (contexts.size() <= depth)
        contexts.emplace_back(1);
    return contexts[depth];
}

inline thread_local std::size_t block_on_depth = 0;

}  // namespace detail

/// Runs the coroutine `make()` returns to completion on the calling thread's io_context and
/// returns its result (or rethrows its exception). For start-up code, tools and tests — never
/// call it on an I/O thread.
template <class F>
auto block_on(F&& make)
{
    auto& context = detail::block_on_context(detail::block_on_depth);
    struct nested {
        nested() { ++detail::block_on_depth; }
        ~nested() { --detail::block_on_depth; }
    } depth;
    context.restart();
    auto future = boost::asio::co_spawn(context, std::forward<F>(make), boost::asio::use_future);
    context.run();
    return future.get();
}

}  // namespace keel

#pragma once
// Runs blocking work (SQLite calls, password hashing) on a worker pool and resumes the awaiting
// coroutine on its own executor, so no I/O thread ever blocks.
#include <exception>
#include <optional>
#include <type_traits>

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <keel/core/task.hpp>

namespace keel::detail {

/// Calls `work()` on `target` and returns its result (or rethrows its exception) on the awaiting
/// coroutine's executor. The awaiting io_context is kept alive (work guard) until then.
template <class Executor, class F>
task<std::invoke_result_t<F&>> offload(Executor target, F work)
{
    namespace asio = boost::asio;
    using R = std::invoke_result_t<F&>;
    using stored = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
    auto initiate = [target](auto handler, F fn) {
        auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
        asio::post(target, [handler = std::move(handler), fn = std::move(fn), guard = std::move(guard)]() mutable {
            std::exception_ptr failure;
            stored out{};
            try {
                if constexpr (std::is_void_v<R>)
                    fn();
                else
                    out.emplace(fn());
            } catch (...) {
                failure = std::current_exception();
            }
            auto home = guard.get_executor();
            // Asio signals the awaiting io_context after unlocking it, so the handler may run, and
            // run() return, while this thread is still inside post(). A second guard, released only
            // once post() has returned, keeps run() going until then (else an io_context destroyed
            // when its run() returns is destroyed under this post: ThreadSanitizer saw it).
            const auto until_posted = guard;
            // Moved, not copied: the worker keeps no reference to the exception (TSan cannot see
            // libstdc++'s own count and would report the last release as a race). The first guard
            // ends there, after the handler, so a stopped io_context destroys it with the handler.
            asio::post(home, [handler = std::move(handler), failure = std::move(failure), out = std::move(out),
                              guard = std::move(guard)]() mutable { std::move(handler)(failure, std::move(out)); });
        });
    };
    stored out = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, stored)>(
        std::move(initiate), asio::use_awaitable, std::move(work));
    if constexpr (!std::is_void_v<R>)
        co_return std::move(*out);
}

}  // namespace keel::detail

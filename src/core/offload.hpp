#pragma once
// Runs blocking work (SQLite calls, password hashing) on a worker pool and resumes the awaiting
// coroutine on its own executor, so no I/O thread ever blocks.
#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <keel/core/task.hpp>

namespace keel::detail {

/// The completion a worker posts to the awaiting coroutine's executor. Asio signals that
/// io_context after unlocking it, so the completion can run while the worker is still inside
/// post(); once it has run, the io_context may stop and be destroyed (a test's, block_on's at
/// exit, an outer transaction's). So it runs its handler only once the worker has flagged that
/// post() returned, and until then posts itself again instead: the worker's last touch of the
/// io_context comes before anything the handler lets happen (ThreadSanitizer saw it otherwise).
/// The flag is set a few instructions after the enqueue, so the re-posting is short; it spins
/// longer only if the worker is preempted there, and other handlers still run in between.
template <class Handler, class Stored, class Guard>
struct offload_completion {
    Handler handler;
    std::exception_ptr failure;
    Stored out;
    Guard guard;  // released once the handler has been called; a stopped io_context destroys both
    std::shared_ptr<const std::atomic<bool>> posted;

    void operator()()
    {
        if (!posted->load(std::memory_order_acquire)) {
            auto home = guard.get_executor();
            boost::asio::post(home, std::move(*this));
            return;
        }
        std::move(handler)(failure, std::move(out));
    }
};

/// Calls `work()` on `target` and returns its result (or rethrows its exception) on the awaiting
/// coroutine's executor. The awaiting io_context is kept running (work guard) until then.
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
            auto posted = std::make_shared<std::atomic<bool>>(false);
            {
                const auto home = guard.get_executor();
                // Moved, not copied: the worker keeps no reference to the exception (TSan cannot
                // see libstdc++'s own count and would report the last release as a race).
                asio::post(home, offload_completion<decltype(handler), stored, decltype(guard)>{
                                     std::move(handler), std::move(failure), std::move(out), std::move(guard), posted});
            }
            posted->store(true, std::memory_order_release);  // the io_context is not touched again
        });
    };
    stored out = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, stored)>(
        std::move(initiate), asio::use_awaitable, std::move(work));
    if constexpr (!std::is_void_v<R>)
        co_return std::move(*out);
}

}  // namespace keel::detail

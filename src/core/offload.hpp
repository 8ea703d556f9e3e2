#pragma once
// Runs blocking work (SQLite calls, password hashing) on a worker pool and resumes the awaiting
// coroutine on its own executor, so no I/O thread ever blocks.
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <keel/core/task.hpp>

#include "core/foreign_posts.hpp"

namespace keel::detail {

/// What a job hands back: its result, or a flag for a void one.
template <class R>
using offload_result = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;

/// The job a worker runs: `fn`, then the completion posted to the awaiting coroutine's io_context.
template <class R, class Handler, class F, class Guard>
struct offload_job {
    foreign_posts::pending pending;  // first, so released last: nothing after it touches the io_context
    Handler handler;
    F fn;
    Guard guard;

    void operator()();
};

/// offload's default: work that cannot be asked to end early.
struct uninterruptible {
    void operator()() const noexcept {}
};

/// Calls `work()` on `target` and returns its result (or rethrows its exception) on the awaiting
/// coroutine's executor. The awaiting io_context is kept running (work guard) until then.
/// A terminal cancellation of the awaiting coroutine (a request's deadline) calls `interrupt()` on
/// the coroutine's thread, which should make `work` end early; the coroutine still waits for
/// `work` to return, so `work` may use what the coroutine holds. `interrupt` may still be called
/// after `work` returned, until the coroutine resumes (asio then clears the slot): it must reach
/// only this call's work, never what its worker or resource runs next.
template <class Executor, class F, class Interrupt = uninterruptible>
task<std::invoke_result_t<F&>> offload(Executor target, F work, Interrupt interrupt = {})
{
    namespace asio = boost::asio;
    using R = std::invoke_result_t<F&>;
    auto initiate = [target](auto handler, F fn, Interrupt interrupt) {
        auto home = asio::get_associated_executor(handler);
        if constexpr (!std::is_same_v<Interrupt, uninterruptible>)
            if (auto slot = asio::get_associated_cancellation_slot(handler); slot.is_connected())
                slot.assign([interrupt = std::move(interrupt)](asio::cancellation_type type) mutable {
                    if ((type & asio::cancellation_type::terminal) != asio::cancellation_type::none)
                        interrupt();
                });
        foreign_posts::pending pending(foreign_posts::of(home));
        asio::post(target, offload_job<R, decltype(handler), F, decltype(asio::make_work_guard(home))>{
                               std::move(pending), std::move(handler), std::move(fn), asio::make_work_guard(home)});
    };
    auto out = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, offload_result<R>)>(
        std::move(initiate), asio::use_awaitable, std::move(work), std::move(interrupt));
    if constexpr (!std::is_void_v<R>)
        co_return std::move(*out);
}

template <class R, class Handler, class F, class Guard>
void offload_job<R, Handler, F, Guard>::operator()()
{
    std::exception_ptr failure;
    offload_result<R> out{};
    try {
        auto work = std::move(fn);  // gone before the count is given back, with all it holds
        if constexpr (std::is_void_v<R>)
            work();
        else
            out.emplace(work());
    } catch (...) {
        failure = std::current_exception();
    }
    {
        const auto home = guard.get_executor();
        // Moved, not copied: the worker keeps no reference to the exception (TSan cannot see
        // libstdc++'s own count and would report the last release as a race).
        boost::asio::post(home, [handler = std::move(handler), failure = std::move(failure), out = std::move(out),
                                 guard = std::move(guard)]() mutable { std::move(handler)(failure, std::move(out)); });
    }
    pending.release();  // the io_context is not touched again
}

}  // namespace keel::detail

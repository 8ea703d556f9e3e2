#pragma once
// Benchmark clients: coroutines spread over io_context threads, one thread each, as the server
// runs requests; each counts what it completes until the deadline.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <keel/core/task.hpp>

namespace bench {

using clock_type = std::chrono::steady_clock;

/// Runs `clients` coroutines `make(client, until, done)` (a keel::task<void> that adds to `done`)
/// on `threads` io_contexts for `seconds`; returns what they completed per second. Rethrows the
/// first failure.
template <class Make>
double per_second(int threads, int clients, int seconds, Make make)
{
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
    for (int t = 0; t < threads; ++t)
        contexts.push_back(std::make_unique<boost::asio::io_context>(1));
    std::atomic<std::int64_t> done{0};
    const auto started = clock_type::now();
    const auto until = started + std::chrono::seconds(seconds);
    for (int c = 0; c < clients; ++c)
        boost::asio::co_spawn(*contexts[static_cast<std::size_t>(c % threads)], make(c, until, done), [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    std::vector<std::thread> runners;
    for (auto& context : contexts)
        runners.emplace_back([&context] { context->run(); });
    for (auto& r : runners)
        r.join();
    return static_cast<double>(done.load()) / std::chrono::duration<double>(clock_type::now() - started).count();
}

}  // namespace bench

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>

#include <keel/core/log.hpp>

namespace {

using namespace std::chrono_literals;
using keel::log::limiter;

// A clock the test moves by hand.
struct manual_clock {
    limiter::clock::time_point now{};
    std::function<limiter::clock::time_point()> source()
    {
        return [this] { return now; };
    }
};

// Sends the default logger's lines to a string for the test's duration.
class captured_log {
public:
    captured_log() : previous_(spdlog::default_logger())
    {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        sink->set_pattern("%l %v");
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
        spdlog::set_level(spdlog::level::info);
    }
    ~captured_log() { spdlog::set_default_logger(previous_); }
    std::string text() const { return out_.str(); }

private:
    std::shared_ptr<spdlog::logger> previous_;
    std::ostringstream out_;
};

TEST(log, parse_level_knows_the_documented_names_only)
{
    EXPECT_EQ(keel::log::parse_level("warning"), spdlog::level::warn);
    EXPECT_EQ(keel::log::parse_level("warn"), spdlog::level::warn);
    EXPECT_EQ(keel::log::parse_level("off"), spdlog::level::off);
    EXPECT_EQ(keel::log::parse_level("trace"), spdlog::level::trace);
    EXPECT_EQ(keel::log::parse_level("loud"), std::nullopt);
    EXPECT_EQ(keel::log::parse_level(""), std::nullopt);
}

TEST(log_limiter, admits_the_first_then_one_per_interval_counting_the_rest)
{
    manual_clock clock;
    limiter limit(50ms, clock.source());
    EXPECT_EQ(limit.admit(), 0u);
    clock.now += 10ms;
    EXPECT_EQ(limit.admit(), std::nullopt);
    clock.now += 39ms;
    EXPECT_EQ(limit.admit(), std::nullopt);
    clock.now += 1ms;  // 50 ms after the first
    EXPECT_EQ(limit.admit(), 2u);
    clock.now += 1h;  // a quiet spell: the next one goes out at once, with nothing to report
    EXPECT_EQ(limit.admit(), 0u);
}

TEST(log_limiter, writes_the_suppressed_count_into_the_next_line)
{
    captured_log log;
    manual_clock clock;
    limiter limit(1s, clock.source());
    for (int i = 0; i < 5; ++i) {
        limit.warn("accept failed: {}", "Too many open files");
        clock.now += 100ms;
    }
    clock.now += 500ms;
    limit.warn("accept failed: {}", "Too many open files");
    limit.error("accept failed: {}", "Too many open files");
    clock.now += 1s;
    limit.error("accept failed: {}", "Too many open files");
    EXPECT_EQ(log.text(), "warning accept failed: Too many open files\n"
                          "warning accept failed: Too many open files (4 similar messages suppressed)\n"
                          "error accept failed: Too many open files (1 similar message suppressed)\n");
}

TEST(log_limiter, a_disabled_level_neither_logs_nor_uses_the_interval)
{
    captured_log log;
    manual_clock clock;
    limiter limit(1s, clock.source());
    limit.log(spdlog::level::debug, "not shown at info");
    limit.warn("shown");
    EXPECT_EQ(log.text(), "warning shown\n");
}

// Concurrent callers at one instant: exactly one is admitted, every other one is counted.
TEST(log_limiter, is_thread_safe_and_loses_no_count)
{
    manual_clock clock;
    limiter limit(1s, clock.source());
    constexpr int threads = 4, calls = 1000;
    std::vector<std::size_t> admitted(threads);
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                for (int i = 0; i < calls; ++i)
                    admitted[t] += limit.admit().has_value();
            });
    }
    EXPECT_EQ(admitted[0] + admitted[1] + admitted[2] + admitted[3], 1u);
    clock.now += 1s;
    EXPECT_EQ(limit.admit(), std::size_t(threads * calls - 1));
}

}  // namespace

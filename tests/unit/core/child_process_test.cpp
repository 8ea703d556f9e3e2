// A child process with a deadline: its exit code and output, and the kill when the deadline passes.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/child_process.hpp"

namespace {

using keel::detail::run_child;
using namespace std::chrono_literals;

TEST(run_child, gives_the_exit_code_and_the_output_with_the_extra_environment)
{
    const auto done = run_child({"/bin/sh", "-c", "echo \"$GREETING\"; echo oops >&2; exit 3"}, {"GREETING=hello"}, 60s);
    EXPECT_FALSE(done.timed_out);
    EXPECT_EQ(done.exit_code, 3);
    EXPECT_EQ(done.output, "hello\noops\n");
}

TEST(run_child, a_program_that_cannot_start_is_an_outcome_not_an_exception)
{
    const auto done = run_child({"/nonexistent/program"}, {}, 60s);
    EXPECT_EQ(done.exit_code, -1);
    EXPECT_NE(done.output.find("No such file"), std::string::npos) << done.output;
}

// The deadline is what ends this child (it would run for an hour), with what it started.
TEST(run_child, past_the_deadline_the_child_and_its_children_are_killed)
{
    const auto done = run_child({"/bin/sh", "-c", "sleep 3600 & wait"}, {}, 200ms);
    EXPECT_TRUE(done.timed_out);
    EXPECT_EQ(done.exit_code, -1);
}

}  // namespace

namespace {

std::filesystem::path file_of(std::size_t bytes)
{
    const auto path = std::filesystem::temp_directory_path() / ("keel-child-input-" + std::to_string(::getpid()));
    std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
    return path;
}

TEST(run_child, feeds_a_file_to_stdin_and_says_how_far_it_got)
{
    const auto file = file_of(1'000'000);  // more than a socket buffer: written in many goes
    std::uint64_t last = 0, total = 0, calls = 0;
    const keel::detail::child_input input{file, [&](std::uint64_t written, std::uint64_t of) {
                                              EXPECT_GT(written, last);
                                              last = written, total = of, ++calls;
                                          }};
    const auto done = run_child({"/bin/sh", "-c", "wc -c"}, {}, 60s, input);
    std::filesystem::remove(file);
    EXPECT_EQ(done.exit_code, 0) << done.output;
    EXPECT_EQ(done.output, "1000000\n");
    EXPECT_EQ(last, 1'000'000u);
    EXPECT_EQ(total, 1'000'000u);
    EXPECT_GT(calls, 1u);
}

TEST(run_child, a_child_that_stops_reading_its_input_is_its_exit_code_not_a_sigpipe)
{
    const auto file = file_of(4'000'000);
    const auto done = run_child({"/bin/sh", "-c", "head -c 10 >/dev/null; exit 4"}, {}, 60s, keel::detail::child_input{file, {}});
    std::filesystem::remove(file);
    EXPECT_EQ(done.exit_code, 4);
    EXPECT_FALSE(done.timed_out);
}

}  // namespace

namespace {

TEST(run_child, the_trailer_follows_the_whole_file_only)
{
    const auto file = std::filesystem::temp_directory_path() / ("keel-child-trailer-" + std::to_string(::getpid()));
    std::ofstream(file) << "BEGIN;\n";
    const auto whole = run_child({"/bin/cat"}, {}, 60s, keel::detail::child_input{file, {}, "COMMIT;\n"});
    EXPECT_EQ(whole.exit_code, 0) << whole.output;
    EXPECT_EQ(whole.output, "BEGIN;\nCOMMIT;\n");
    std::filesystem::remove(file);
    const auto missing = run_child({"/bin/cat"}, {}, 60s, keel::detail::child_input{file, {}, "COMMIT;\n"});
    EXPECT_EQ(missing.exit_code, -1);  // cat exited 0 on an empty input, but the input was not whole
    EXPECT_EQ(missing.output.find("COMMIT"), std::string::npos) << missing.output;
    EXPECT_NE(missing.output.find("cannot open " + file.string()), std::string::npos) << missing.output;
}

}  // namespace

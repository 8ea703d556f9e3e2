// A child process with a deadline: its exit code and output, and the kill when the deadline passes.
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

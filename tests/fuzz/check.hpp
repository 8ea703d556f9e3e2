#pragma once
// An invariant a fuzz target asserts: when it does not hold, print why and abort, which libFuzzer
// reports as a crash (saving the input) and the replay test reports as a failure. Unlike
// assert(), it stays on in release builds.
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace keel::fuzz {

[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {})
{
    std::fprintf(stderr, "fuzz invariant broken: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
                 detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
    std::abort();
}

inline void check(bool holds, std::string_view what, std::string_view detail = {})
{
    if (!holds)
        fail(what, detail);
}

}  // namespace keel::fuzz

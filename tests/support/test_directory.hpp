#pragma once
// A directory of the running test's own, for files a test writes or a process it starts.
#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

namespace keel::testing {

/// temp/PREFIX-PID-TESTNAME, emptied: unique per process and test, so parallel runs never meet.
inline std::filesystem::path fresh_test_directory(const std::string& prefix)
{
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

/// fresh_test_directory(prefix) for as long as it lives, removed with what is in it.
class test_directory {
public:
    explicit test_directory(const std::string& prefix) : path_(fresh_test_directory(prefix)) {}
    ~test_directory() { std::filesystem::remove_all(path_); }
    test_directory(const test_directory&) = delete;
    test_directory& operator=(const test_directory&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace keel::testing

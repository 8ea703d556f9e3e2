// /docs end to end, as a user meets it: the users service binary on a free port and a throwaway
// SQLite file, and tests/browser/docs.mjs driving Debian's chromium through Swagger UI (create a
// user with "Try it out", log in through the OAuth2 password form, call GET /users/me).
#include <csignal>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include <keel/testing/process.hpp>

namespace {

namespace fs = std::filesystem;
using namespace keel::testing;

// Stops the service however the test ends, so a failed step leaves no process behind.
class service_process {
public:
    explicit service_process(const fs::path& dir)
        : process_(spawn({USERS_SERVICE_BIN, "--port", "0"},
                         {"DATABASE_URL=sqlite:///users.db", "MIGRATE_ON_START=true", "MIGRATIONS_DIR=" USERS_MIGRATIONS_DIR, "ENVIRONMENT=development", "PASSWORD_HASH_COST=minimum"}, dir)),
          port_(read_until_serving(process_, output_))
    {
    }
    ~service_process()
    {
        if (process_.pid > 0)
            stop();
    }
    /// SIGTERM, then its exit code; the output it wrote is in output().
    int stop()
    {
        ::kill(process_.pid, SIGTERM);
        output_ += read_all(process_.output);
        const int code = wait_exit(process_.pid);
        process_.pid = -1;
        return code;
    }
    std::uint16_t port() const { return port_; }
    const std::string& output() const { return output_; }

private:
    std::string output_;
    process process_;
    std::uint16_t port_;
};

TEST(docs_browser, swagger_ui_creates_a_user_logs_in_and_reads_it_back)
{
    const fs::path dir = fs::temp_directory_path() / ("keel-docs-browser-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path screenshot = KEEL_TEST_ARTIFACTS "/docs.png";
    fs::remove(screenshot);
    {
        service_process service(dir);
        ASSERT_NE(service.port(), 0) << service.output();
        // The chromium wrapper script needs PATH; HOME keeps the browser's caches in the temporary directory.
        const auto browser = run({KEEL_NODE, KEEL_SOURCE_DIR "/tests/browser/docs.mjs", "http://127.0.0.1:" + std::to_string(service.port()),
                                  screenshot.string()},
                                 {"PATH=/usr/bin:/bin", "HOME=" + dir.string()}, dir);
        EXPECT_EQ(browser.code, 0) << browser.output << "\nservice:\n" << service.output();
        EXPECT_TRUE(fs::exists(screenshot)) << browser.output;
        EXPECT_EQ(service.stop(), 0) << service.output();
    }
    fs::remove_all(dir);
}

}  // namespace

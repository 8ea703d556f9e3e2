#include <keel/testing/databases.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <unistd.h>

#include <keel/core/log.hpp>

#include <keel/testing/postgres.hpp>

namespace keel::testing {

std::vector<backend> all_backends()
{
    return {backend::sqlite_file, backend::sqlite_memory, backend::postgres, backend::postgres_pipelined};
}

std::string backend_name(backend b)
{
    switch (b) {
    case backend::sqlite_file: return "sqlite_file";
    case backend::sqlite_memory: return "sqlite_memory";
    case backend::postgres: return "postgres";
    case backend::postgres_pipelined: return "postgres_pipelined";
    }
    return "unknown";
}

void PrintTo(backend b, std::ostream* out) { *out << backend_name(b); }

namespace {
// Temporary directories live until the test process exits.
struct temp_dirs {
    std::vector<std::filesystem::path> paths;
    ~temp_dirs()
    {
        std::error_code ignored;
        for (const auto& p : paths)
            std::filesystem::remove_all(p, ignored);
    }
};
temp_dirs created;
}  // namespace

db::database_settings fresh_database(backend b)
{
    db::database_settings settings;
    settings.pool_size = 4;
    settings.pool_timeout = std::chrono::seconds(10);
    settings.busy_timeout = std::chrono::seconds(10);
    if (b == backend::sqlite_memory) {
        settings.database_url = db::url::parse("sqlite:///:memory:");
        return settings;
    }
    if (b == backend::postgres || b == backend::postgres_pipelined) {
        settings.database_url = db::url::parse(postgres_server::instance().create_database());
        settings.pipeline_autocommit = b == backend::postgres_pipelined;
        return settings;
    }
    static std::atomic<int> counter{0};
    auto dir = std::filesystem::temp_directory_path() /
               ("keel-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    created.paths.push_back(dir);
    settings.database_url = db::url::parse("sqlite:///" + (dir / "test.db").string());
    return settings;
}

void quiet_logs()
{
    const char* level = std::getenv("KEEL_TEST_LOG_LEVEL");  // e.g. "info" to see the access log
    log::configure(level ? level : "warning");
}

}  // namespace keel::testing

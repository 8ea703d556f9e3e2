// Two users-service processes behind one load balancer, as deployed: with RATE_LIMIT_STORAGE on
// one Redis, LOGIN_RATE_LIMIT holds across both, whichever of them an attempt reaches.
#include <csignal>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include <keel/testing/http_client.hpp>
#include <keel/testing/process.hpp>
#include "support/redis.hpp"

namespace {

namespace fs = std::filesystem;
using namespace keel::testing;

class shared_login_limit : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fs::temp_directory_path() / ("keel-shared-limit-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override
    {
        for (auto& s : services_) {
            ::kill(s.pid, SIGTERM);
            read_all(s.output);
            EXPECT_EQ(wait_exit(s.pid), 0);
        }
        fs::remove_all(dir_);
    }
    // A users service on its own SQLite file, counting log-ins in `redis`.
    std::uint16_t start_service(const std::string& name, const redis_server& redis)
    {
        services_.push_back(spawn({USERS_SERVICE_BIN, "--port", "0"},
                                  {"DATABASE_URL=sqlite:///" + name + ".db", "MIGRATE_ON_START=true", "MIGRATIONS_DIR=" USERS_MIGRATIONS_DIR, "ENVIRONMENT=development",
                                   "PASSWORD_HASH_COST=minimum", "RATE_LIMIT_STORAGE=" + redis.url(), "LOGIN_RATE_LIMIT=3"},
                                  dir_));
        std::string output;
        const auto port = read_until_serving(services_.back(), output);
        EXPECT_NE(port, 0) << output;
        return port;
    }
    static int log_in(std::uint16_t port)
    {
        return send(port, {"POST", "/token", "username=nobody&password=wrong+horse",
                           {{"Content-Type", "application/x-www-form-urlencoded"}}})
            .status;
    }

    fs::path dir_;
    std::vector<process> services_;
};

TEST_F(shared_login_limit, two_service_processes_on_one_redis_share_the_login_limit)
{
    redis_server redis;
    const auto a = start_service("a", redis);
    const auto b = start_service("b", redis);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(log_in(a), 401);
    EXPECT_EQ(log_in(b), 401);
    EXPECT_EQ(log_in(a), 401);  // the third attempt from this address: the last allowed
    EXPECT_EQ(log_in(b), 429);  // b has seen only one, but Redis counted three
    EXPECT_EQ(log_in(a), 429);
}

}  // namespace

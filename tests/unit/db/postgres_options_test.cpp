// The libpq keywords keel builds from settings and DATABASE_URL (no server needed).
#include <map>

#include <gtest/gtest.h>

#include "db/postgres/connection.hpp"

namespace {

using namespace keel::db;

std::map<std::string, std::string> keywords(const database_settings& s)
{
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : postgres::make_connect_options(s).keywords)
        out[k] = v;
    return out;
}

TEST(postgres_options, url_parts_and_settings_become_libpq_keywords)
{
    database_settings s;
    s.database_url = url::parse("postgresql://app:s%40cret@db.internal:6543/users?target_session_attrs=read-write&pool_size=9");
    s.application_name = "users-service";
    s.sslmode = "verify-full";
    s.sslrootcert = "/etc/ca.pem";
    s.keepalives_idle = std::chrono::seconds(30);
    s.keepalives_interval = std::chrono::seconds(5);
    s.keepalives_count = 4;
    s.statement_timeout = std::chrono::milliseconds(2500);
    auto k = keywords(s);
    EXPECT_EQ(k["host"], "db.internal");
    EXPECT_EQ(k["port"], "6543");
    EXPECT_EQ(k["user"], "app");
    EXPECT_EQ(k["password"], "s@cret");
    EXPECT_EQ(k["dbname"], "users");
    EXPECT_EQ(k["application_name"], "users-service");
    EXPECT_EQ(k["sslmode"], "verify-full");
    EXPECT_EQ(k["sslrootcert"], "/etc/ca.pem");
    EXPECT_EQ(k["target_session_attrs"], "read-write");            // any other libpq parameter passes through
    EXPECT_EQ(k["keepalives"], "1");
    EXPECT_EQ(k["keepalives_idle"], "30");
    EXPECT_EQ(k["keepalives_interval"], "5");
    EXPECT_EQ(k["keepalives_count"], "4");
    EXPECT_EQ(k["options"], "-c TimeZone=UTC -c statement_timeout=2500");
    EXPECT_FALSE(k.contains("pool_size"));                         // keel's own, not libpq's
}

TEST(postgres_options, defaults_leave_libpq_its_own)
{
    database_settings s;
    s.database_url = url::parse("postgresql://localhost/db");
    auto k = keywords(s);
    EXPECT_FALSE(k.contains("sslmode"));
    EXPECT_FALSE(k.contains("keepalives"));
    EXPECT_FALSE(k.contains("password"));
    EXPECT_EQ(k["options"], "-c TimeZone=UTC");
    EXPECT_EQ(k["connect_timeout"], "10");
}

TEST(postgres_options, a_zero_in_the_url_is_passed_on)
{
    database_settings s;
    s.database_url = url::parse("postgresql://localhost/db?keepalives=0&sslcompression=0");
    auto k = keywords(s);
    EXPECT_EQ(k["keepalives"], "0");  // turns keepalives off: not the same as leaving it out
    EXPECT_EQ(k["sslcompression"], "0");
}

}  // namespace

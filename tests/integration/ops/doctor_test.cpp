// doctor against a real PostgreSQL: what the server says about the app's role and its schema.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include <keel/ops/doctor.hpp>
#include <keel/ops/roles.hpp>

#include <keel/testing/databases.hpp>
#include <keel/testing/postgres.hpp>

namespace {

using namespace keel::ops;
using namespace keel::testing;

class doctor_on_postgres : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        database_ = fresh_database(backend::postgres);
    }
    std::string psql(const std::string& sql) const
    {
        return postgres_server::instance().psql(sql, database_.database_url.database());
    }
    // Findings whose text contains `part`; the directory is not a git work tree, so only the
    // database is examined.
    std::vector<finding> findings_about(const std::string& part, deployment deployed = {1, 1}) const
    {
        auto report = run_doctor(std::filesystem::temp_directory_path(), database_, deployed);
        std::vector<finding> out;
        std::copy_if(report.findings.begin(), report.findings.end(), std::back_inserter(out),
                     [&](const finding& f) { return f.what.find(part) != std::string::npos; });
        return out;
    }
    keel::db::database_settings database_;
};

TEST_F(doctor_on_postgres, a_superuser_is_an_error)
{
    auto found = findings_about("superuser");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].level, severity::error);
    EXPECT_EQ(found[0].what, "the app connects as keel, a superuser");
}

TEST_F(doctor_on_postgres, the_schema_owner_is_a_warning_and_the_app_role_is_fine)
{
    role_settings roles;
    apply_role_plan(database_, roles);
    auto as = [&](const std::string& role) {
        auto settings = database_;
        settings.database_url = keel::db::url::parse("postgresql://" + role + "@127.0.0.1:" +
                                                     std::to_string(postgres_server::instance().port()) + "/" +
                                                     database_.database_url.database());
        return settings;
    };
    database_ = as("keel_owner");
    auto owner = findings_about("the app connects as");
    ASSERT_EQ(owner.size(), 1u);
    EXPECT_EQ(owner[0].level, severity::warning);
    EXPECT_EQ(owner[0].what, "the app connects as keel_owner, owner of schema public");
    database_ = as("keel_app");
    EXPECT_TRUE(findings_about("the app connects as").empty());
}

TEST_F(doctor_on_postgres, a_foreign_key_without_an_index_is_found_until_one_covers_it)
{
    psql("CREATE TABLE shops (id int PRIMARY KEY, region int, UNIQUE (id, region));"
         "CREATE TABLE orders (id int PRIMARY KEY, shop_id int REFERENCES shops);"
         "CREATE TABLE lines (id int PRIMARY KEY, shop int, region int, FOREIGN KEY (shop, region) REFERENCES shops (id, region));"
         "CREATE INDEX lines_region_shop ON lines (region, shop)");  // both columns, another order: covered
    auto found = findings_about("foreign key");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].what, "foreign key orders_shop_id_fkey on orders (shop_id) has no index");
    EXPECT_EQ(found[0].fix, "CREATE INDEX CONCURRENTLY ON orders (shop_id)");
    psql("CREATE INDEX orders_shop_id_partial ON orders (shop_id) WHERE id > 0");  // partial: does not count
    EXPECT_EQ(findings_about("foreign key").size(), 1u);
    psql("CREATE INDEX orders_shop_id_created ON orders (shop_id, id)");
    EXPECT_TRUE(findings_about("foreign key").empty());
}

TEST_F(doctor_on_postgres, instances_times_the_pool_over_max_connections_is_an_error)
{
    EXPECT_TRUE(findings_about("instance(s)", {2, 2}).empty());  // 2 × 14 of the test server's 197
    auto found = findings_about("instance(s)", {2, 15});         // 15 × 14 = 210
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].level, severity::error);
    EXPECT_NE(found[0].what.find("15 instance(s) × 14 connections each = 210"), std::string::npos) << found[0].what;
}

}  // namespace

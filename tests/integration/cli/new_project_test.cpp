// `keel new NAME` as users run it. That the project it makes builds against an installed keel,
// migrates and passes its own tests is scripts/check-package's part (the test stage "package").
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <keel/migrate/history.hpp>
#include <keel/testing/process.hpp>

#include "support/test_directory.hpp"

namespace {

namespace fs = std::filesystem;
using namespace keel::testing;

std::string read_file(const fs::path& file)
{
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::set<std::string> entries(const fs::path& dir)
{
    std::set<std::string> out;
    for (const auto& entry : fs::directory_iterator(dir))
        out.insert(entry.path().filename().string());
    return out;
}

class new_project : public ::testing::Test {
protected:
    finished keel_new(const std::vector<std::string>& args)
    {
        std::vector<std::string> argv{KEEL_BIN, "new"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, {}, dir_.path());
    }
    test_directory dir_{"keel-new"};
};

TEST_F(new_project, makes_a_project_with_the_name_filled_in_everywhere)
{
    auto made = keel_new({"todo-api"});
    ASSERT_EQ(made.code, 0) << made.output;
    const auto project = dir_.path() / "todo-api";
    EXPECT_NE(made.output.find(project.string()), std::string::npos) << made.output;
    EXPECT_NE(made.output.find("./build/todo-api serve"), std::string::npos) << made.output;
    for (const auto* file : {"CMakeLists.txt", "README.md", ".env.example", ".gitignore", "docker-compose.yml", "src/main.cpp",
                             "src/models.hpp", "src/service.cpp", "src/service.hpp", "tests/items_test.cpp",
                             "tests/migrations_test.cpp", "tests/migrations.hpp", "migrations/README.md"})
        EXPECT_TRUE(fs::is_regular_file(project / file)) << file;
    for (const auto& entry : fs::recursive_directory_iterator(project)) {
        if (entry.is_regular_file()) {
            EXPECT_EQ(read_file(entry.path()).find("{{"), std::string::npos) << entry.path() << " keeps a placeholder";
        }
    }
    const auto cmake = read_file(project / "CMakeLists.txt");
    EXPECT_NE(cmake.find("project(todo_api "), std::string::npos) << cmake;  // the C++ name: '-' as '_'
    EXPECT_NE(cmake.find("add_executable(todo-api "), std::string::npos) << cmake;
    EXPECT_NE(read_file(project / "src/models.hpp").find("namespace todo_api {"), std::string::npos);
    EXPECT_EQ(entries(dir_.path()), std::set<std::string>{"todo-api"});  // nothing else left beside it
}

TEST_F(new_project, its_first_revision_has_a_fresh_id_and_both_dialects)
{
    ASSERT_EQ(keel_new({"one"}).code, 0);
    ASSERT_EQ(keel_new({"two"}).code, 0);
    std::set<std::string> ids;
    for (const auto* name : {"one", "two"})
        for (const auto dialect : {keel::db::backend::sqlite, keel::db::backend::postgresql}) {
            const auto history = keel::migrate::history::load(dir_.path() / name / "migrations", dialect);
            ASSERT_EQ(history.heads().size(), 1u) << name;
            const auto& first = history.find(history.heads().front());
            EXPECT_EQ(first.message, "create items");
            EXPECT_TRUE(first.parents.empty());
            ASSERT_FALSE(first.upgrade.empty());
            EXPECT_NE(first.upgrade.front().find("CREATE TABLE \"items\""), std::string::npos) << first.upgrade.front();
            EXPECT_NE(first.id, "000000000000");
            ids.insert(first.id);
        }
    EXPECT_EQ(ids.size(), 2u);  // one id per project, the same for both of its dialects
}

TEST_F(new_project, makes_it_where_dir_says)
{
    auto made = keel_new({"shop", "--dir", "services/shop-api"});
    EXPECT_EQ(made.code, 1) << made.output;  // services/ does not exist
    EXPECT_NE(made.output.find("is not a directory"), std::string::npos) << made.output;
    fs::create_directory(dir_.path() / "services");
    made = keel_new({"shop", "--dir", "services/shop-api"});
    ASSERT_EQ(made.code, 0) << made.output;
    EXPECT_TRUE(fs::is_regular_file(dir_.path() / "services/shop-api/src/models.hpp"));
    EXPECT_NE(read_file(dir_.path() / "services/shop-api/CMakeLists.txt").find("add_executable(shop "), std::string::npos);
    made = keel_new({"cart", "--dir", "services/cart/"});  // a trailing slash names the same directory
    ASSERT_EQ(made.code, 0) << made.output;
    EXPECT_TRUE(fs::is_regular_file(dir_.path() / "services/cart/src/models.hpp"));
}

TEST_F(new_project, refuses_names_that_cannot_name_a_binary_and_a_namespace)
{
    for (const auto* name : {"Todo", "9lives", "to do", "a.b", "", "delete", "keel", "test", "std"}) {
        auto refused = keel_new({name});
        EXPECT_EQ(refused.code, 1) << name << ": " << refused.output;
        EXPECT_NE(refused.output.find("cannot name a project"), std::string::npos) << refused.output;
    }
    EXPECT_TRUE(entries(dir_.path()).empty());
}

TEST_F(new_project, never_writes_into_an_existing_directory)
{
    fs::create_directory(dir_.path() / "todo");
    std::ofstream(dir_.path() / "todo" / "notes.txt") << "mine";
    auto refused = keel_new({"todo"});
    EXPECT_EQ(refused.code, 1) << refused.output;
    EXPECT_NE(refused.output.find("already exists"), std::string::npos) << refused.output;
    EXPECT_EQ(entries(dir_.path() / "todo"), std::set<std::string>{"notes.txt"});
    EXPECT_EQ(entries(dir_.path()), std::set<std::string>{"todo"});
}

}  // namespace

// The migrations folder against the models, on every database: its revisions apply, give the
// models' schema exactly (what `{{name}} migrate check` checks), and undo cleanly.
#include <gtest/gtest.h>

#include <keel/testing/databases.hpp>

#include "migrations.hpp"
#include "models.hpp"

namespace {

using namespace keel::testing;

class migrations : public ::testing::TestWithParam<backend> {};

std::vector<std::string> differences(const keel::db::pool& database)
{
    const auto models = keel::migrate::metadata::of<{{identifier}}::item>();  // named: it outlives the awaits
    return keel::block_on([&]() -> keel::task<std::vector<std::string>> {
        auto session = database.make_session();
        auto found = co_await keel::migrate::differences(session, models);
        co_return found;
    });
}

TEST_P(migrations, upgrade_gives_the_models_schema_and_downgrade_undoes_it)
{
    quiet_logs();
    auto database = keel::db::pool::open(fresh_database(GetParam()));
    upgrade_to_head(database);
    EXPECT_EQ(differences(database), std::vector<std::string>{}) << "the models changed: run `{{name}} migrate revision --autogenerate`";

    const auto revisions = revisions_for(database);
    keel::migrate::migrator migrator(database, revisions);
    keel::block_on([&] { return migrator.downgrade("base"); });
    EXPECT_NE(differences(database), std::vector<std::string>{});  // the tables are gone
    database.close();
}

INSTANTIATE_TEST_SUITE_P(backends, migrations, ::testing::Values(backend::sqlite_file, backend::postgres),
                         [](const auto& info) { return backend_name(info.param); });

}  // namespace

// migrate check's comparison on every backend: a schema made from the models compares equal on
// every type and default keel supports, and each kind of difference is reported.
#include <optional>
#include <regex>

#include <gtest/gtest.h>

#include <keel/migrate/schema.hpp>
#include <keel/query/query.hpp>

#include "integration/migrate/models.hpp"
#include "support/database_test.hpp"

namespace {

using namespace keel;
using namespace schema_models;
using keel::testing::database_test;

class schema_test : public database_test {
protected:
    void create(const migrate::metadata& models)
    {
        std::vector<std::string> statements;
        for (const auto* table : models.tables())
            for (auto& s : query::create_table(*table, database_->kind()))
                statements.push_back(std::move(s.sql));
        run_all(statements);
    }
    std::vector<std::string> differences(const migrate::metadata& models)
    {
        return block_on([&]() -> task<std::vector<std::string>> {
            auto s = database_->make_session();
            co_return co_await migrate::differences(s, models);
        });
    }
    static std::string joined(const std::vector<std::string>& lines)
    {
        std::string out;
        for (const auto& line : lines)
            out += line + "\n";
        return out;
    }
};

TEST_P(schema_test, a_schema_made_from_the_models_has_no_differences_on_any_type_or_default)
{
    const auto models = migrate::metadata::of<team, gadget, tag>();
    EXPECT_EQ(joined(differences(models)), "table gadgets: in the models, not in the database\n"
                                           "table tags: in the models, not in the database\n"
                                           "table teams: in the models, not in the database\n");
    create(models);
    EXPECT_EQ(joined(differences(models)), "");
}

TEST_P(schema_test, every_kind_of_difference_is_reported)
{
    const auto models = migrate::metadata::of<team, gadget, tag>();
    create(models);
    run_all({"ALTER TABLE gadgets ADD COLUMN extra TEXT", "DROP INDEX ix_gadgets_live", "CREATE INDEX ix_stray ON gadgets (ratio)",
             "CREATE TABLE stray (x INTEGER)", "DROP TABLE tags",
             "CREATE TABLE tags (gadget_id BIGINT NOT NULL, label VARCHAR(10), PRIMARY KEY (label, gadget_id))"});
    const auto found = joined(differences(models));
    for (const auto* expected :
         {"column gadgets.extra: in the database, not in the models\n",
          "table gadgets: index ix_stray (ratio)",
          "table stray: in the database, not in the models\n",
          "table tags: primary key (gadget_id, label) in the models, (label, gadget_id) in the database\n",
          "table tags: foreign key (gadget_id) → gadgets(id) ON DELETE NO ACTION ON UPDATE NO ACTION: in the models, not in the database\n"})
        EXPECT_NE(found.find(expected), std::string::npos) << "missing: " << expected << "in:\n" << found;
    EXPECT_TRUE(std::regex_search(
        found, std::regex("table gadgets: index ix_gadgets_live \\(status, created_at\\) WHERE [^\n]*active[^\n]*: in the models, not in the database\n")))
        << found;
    const auto type_difference = postgres() ? "column tags.label: type text in the models, character varying(10) in the database\n"
                                            : "column tags.label: type TEXT in the models, VARCHAR(10) in the database\n";
    EXPECT_NE(found.find(type_difference), std::string::npos) << found;
}

TEST_P(schema_test, nullability_defaults_uniques_and_enumerations_are_compared)
{
    const auto models = migrate::metadata::of<team, flag>();
    run_all({"CREATE TABLE flags (id BIGINT PRIMARY KEY, state TEXT NOT NULL CHECK (\"state\" IN ('on', 'off')))"});
    run_all({postgres() ? "CREATE TABLE teams (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT DEFAULT 'x')"
                        : "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'x')"});
    const auto found = joined(differences(models));
    EXPECT_NE(found.find("column teams.name: NOT NULL in the models, NULL in the database\n"), std::string::npos) << found;
    EXPECT_NE(found.find("column teams.name: default none in the models, 'x' in the database\n"), std::string::npos) << found;
    EXPECT_NE(found.find("table teams: unique constraint (name): in the models, not in the database\n"), std::string::npos) << found;
    EXPECT_NE(found.find("table flags: enumeration check on state (on, off, auto): in the models, not in the database\n"
                         "table flags: enumeration check on state (on, off): in the database, not in the models\n"),
              std::string::npos)
        << found;
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(schema_test);

}  // namespace

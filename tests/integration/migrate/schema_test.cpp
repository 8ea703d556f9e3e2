// migrate check's comparison on every backend: a schema made from the models compares equal on
// every type and default keel supports, and each kind of difference is reported.
#include <optional>
#include <regex>

#include <gtest/gtest.h>

#include <keel/migrate/schema.hpp>
#include <keel/query/query.hpp>

#include "support/database_test.hpp"
#include "unit/query/models.hpp"

namespace schema_models {

using query_models::team;  // teams (id identity, name unique)

// A column of every type keel maps, with every kind of default, index and constraint.
struct gadget {
    std::int64_t id = 0;
    std::int32_t count = 0;
    std::int16_t size = 0;
    bool active = true;
    double ratio = 0;
    std::string notes;
    keel::text<1, 40> code;
    keel::timestamp created_at;
    std::optional<std::string> nickname;
    std::string price, day, token, document, payload;
    std::vector<unsigned char> picture;
    std::string status;
    std::int64_t team_id = 0;
    std::optional<std::int64_t> backup_team_id;
};
BOOST_DESCRIBE_STRUCT(gadget, (), (id, count, size, active, ratio, notes, code, created_at, nickname, price, day, token, document,
                                   payload, picture, status, team_id, backup_team_id))
inline keel::model::table_def keel_table(gadget*)
{
    using namespace keel::model;
    return table("gadgets", column(&gadget::id).primary_key().identity(), column(&gadget::count).server_default(sql_expression("0")),
                 column(&gadget::active).server_default(sql_expression("true")),
                 column(&gadget::ratio).server_default(sql_expression("0.5")),
                 column(&gadget::notes).server_default(sql_expression("'it''s new'")),
                 column(&gadget::created_at).server_default(now()), column(&gadget::price).type(sql::numeric(10, 2)),
                 column(&gadget::day).type(sql::date()), column(&gadget::token).type(sql::uuid()).unique(),
                 column(&gadget::document).type(sql::json()), column(&gadget::payload).type(sql::jsonb()),
                 column(&gadget::status).type(sql::enumeration({"draft", "live", "it's gone"})).server_default(sql_expression("'draft'")),
                 column(&gadget::team_id).references(&team::id, fk_action::cascade),
                 column(&gadget::backup_team_id).references(&team::id, fk_action::set_null, fk_action::restrict),
                 index("ix_gadgets_code_size", &gadget::code, &gadget::size).unique(),
                 index("ix_gadgets_live", &gadget::status, &gadget::created_at).where("status <> 'draft' AND \"active\""),
                 check("ratio_is_a_fraction", "ratio >= 0 AND ratio <= 1"));
}

struct tag {
    std::int64_t gadget_id = 0;
    std::string label;
};
BOOST_DESCRIBE_STRUCT(tag, (), (gadget_id, label))
inline keel::model::table_def keel_table(tag*)
{
    using namespace keel::model;
    return table("tags", primary_key(&tag::gadget_id, &tag::label), column(&tag::gadget_id).references(&gadget::id));
}

struct flag {
    std::int64_t id = 0;
    std::string state;
};
BOOST_DESCRIBE_STRUCT(flag, (), (id, state))
inline keel::model::table_def keel_table(flag*)
{
    using namespace keel::model;
    return table("flags", column(&flag::id).primary_key(), column(&flag::state).type(sql::enumeration({"on", "off", "auto"})));
}

}  // namespace schema_models

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
            const auto declared = co_await migrate::model_shape(s, models);
            const auto live = co_await migrate::introspect(s);
            co_await s.rollback();
            co_return migrate::compare(declared, live);
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

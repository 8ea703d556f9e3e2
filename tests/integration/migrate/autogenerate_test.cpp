// autogenerate on every backend: the revision it writes for the models makes the schema `check`
// finds equal, an unchanged database yields nothing, and a round trip through a changed model
// (a column added, renamed and made NOT NULL, an index, a foreign key, a table renamed, an
// enumeration value) keeps the rows both ways.
#include <gtest/gtest.h>

#include <keel/db/errors.hpp>
#include <keel/migrate/autogenerate.hpp>
#include <keel/migrate/migrator.hpp>

#include "integration/migrate/models.hpp"
#include "integration/migrate/migration_test.hpp"

namespace autogenerate_models {

// Version 1.
struct owner {
    std::int64_t id = 0;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(owner, (), (id, name))
inline keel::model::table_def keel_table(owner*)
{
    using namespace keel::model;
    return table("owners", column(&owner::id).primary_key().identity());
}

struct pet {
    std::int64_t id = 0;
    std::string name;
    std::optional<std::string> nick;
    std::string kind;
    std::int64_t owner_id = 0;
};
BOOST_DESCRIBE_STRUCT(pet, (), (id, name, nick, kind, owner_id))
inline keel::model::table_def keel_table(pet*)
{
    using namespace keel::model;
    return table("pets", column(&pet::id).primary_key().identity(),
                 column(&pet::kind).type(sql::enumeration({"dog", "cat"})).server_default(sql_expression("'dog'")));
}

// Version 2: owners renamed people; pets.name renamed full_name, nick NOT NULL, a bird, a
// colour, an index and the foreign key.
struct person {
    std::int64_t id = 0;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(person, (), (id, name))
inline keel::model::table_def keel_table(person*)
{
    using namespace keel::model;
    return table("people", column(&person::id).primary_key().identity()).renamed_from("owners");
}

struct pet_v2 {
    std::int64_t id = 0;
    std::string full_name;
    std::string nick;
    std::string kind;
    std::int64_t owner_id = 0;
    std::optional<std::string> color;
};
BOOST_DESCRIBE_STRUCT(pet_v2, (), (id, full_name, nick, kind, owner_id, color))
inline keel::model::table_def keel_table(pet_v2*)
{
    using namespace keel::model;
    return table("pets", column(&pet_v2::id).primary_key().identity(), column(&pet_v2::full_name).renamed_from("name"),
                 column(&pet_v2::kind).type(sql::enumeration({"dog", "cat", "bird"})).server_default(sql_expression("'dog'")),
                 column(&pet_v2::owner_id).references(&person::id, fk_action::cascade), index("ix_pets_kind", &pet_v2::kind));
}

// Version 3: people.name may be null, which SQLite makes by rebuilding the table pets references.
struct person_v3 {
    std::int64_t id = 0;
    std::optional<std::string> name;
};
BOOST_DESCRIBE_STRUCT(person_v3, (), (id, name))
inline keel::model::table_def keel_table(person_v3*)
{
    using namespace keel::model;
    return table("people", column(&person_v3::id).primary_key().identity());
}

// Version 2 without the hint: full_name looks like a new column and name like a dropped one.
struct pet_unhinted {
    std::int64_t id = 0;
    std::string full_name;
    std::optional<std::string> nick;
    std::string kind;
    std::int64_t owner_id = 0;
};
BOOST_DESCRIBE_STRUCT(pet_unhinted, (), (id, full_name, nick, kind, owner_id))
inline keel::model::table_def keel_table(pet_unhinted*)
{
    using namespace keel::model;
    return table("pets", column(&pet_unhinted::id).primary_key().identity(),
                 column(&pet_unhinted::kind).type(sql::enumeration({"dog", "cat"})).server_default(sql_expression("'dog'")));
}

// A code that grows from 32 characters to 64, then gains a unique key another table references.
struct box {
    std::int64_t id = 0;
    keel::text<1, 32> code;
};
BOOST_DESCRIBE_STRUCT(box, (), (id, code))
inline keel::model::table_def keel_table(box*)
{
    using namespace keel::model;
    return table("boxes", column(&box::id).primary_key().identity());
}

struct box_v2 {
    std::int64_t id = 0;
    keel::text<1, 64> code;
};
BOOST_DESCRIBE_STRUCT(box_v2, (), (id, code))
inline keel::model::table_def keel_table(box_v2*)
{
    using namespace keel::model;
    return table("boxes", column(&box_v2::id).primary_key().identity(), column(&box_v2::code).unique());
}

struct label {
    std::int64_t id = 0;
    std::string box_code;
};
BOOST_DESCRIBE_STRUCT(label, (), (id, box_code))
inline keel::model::table_def keel_table(label*)
{
    using namespace keel::model;
    return table("labels", column(&label::id).primary_key().identity(), column(&label::box_code).references(&box_v2::code));
}

}  // namespace autogenerate_models

namespace {

using namespace keel;
using namespace autogenerate_models;

std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (const auto& line : lines)
        out += line + "\n";
    return out;
}

class autogenerate_test : public keel::testing::migration_test {
protected:
    migrate::generated_changes generate(const migrate::metadata& models)
    {
        return block_on([&]() -> task<migrate::generated_changes> {
            auto s = migration_pool().make_session();
            co_return co_await migrate::autogenerate(s, models);
        });
    }
    std::vector<std::string> differences(const migrate::metadata& models)
    {
        return block_on([&]() -> task<std::vector<std::string>> {
            auto s = database_->make_session();
            co_return co_await migrate::differences(s, models);
        });
    }
    /// Appends a revision holding `changes` to revisions_ (each the child of the one before).
    void add_revision(const migrate::generated_changes& changes)
    {
        migrate::revision r;
        r.id = "a" + std::to_string(revisions_.size() + 1);
        if (!revisions_.empty())
            r.parents = {revisions_.back().id};
        r.message = "autogenerated " + r.id;
        r.created = "2026-12-03T00:00:0" + std::to_string(revisions_.size());
        r.dialect = database_->kind();
        r.upgrade = changes.upgrade;
        r.downgrade = changes.downgrade;
        r.checksum = migrate::checksum_of(r.id);
        revisions_.push_back(std::move(r));
    }
    void move(bool upgrade, std::string_view target)
    {
        const migrate::history h(revisions_);
        migrate::migrator m(migration_pool(), h);  // a coroutine member function: m outlives the run
        if (upgrade)
            block_on([&] { return m.upgrade(target); });
        else
            block_on([&] { return m.downgrade(target); });
    }
    std::size_t table_count()
    {
        return block_on([&]() -> task<std::size_t> {
            auto s = database_->make_session();
            const auto live = co_await migrate::introspect(s);
            co_await s.rollback();
            co_return live.size();
        });
    }

    std::vector<migrate::revision> revisions_;
};

TEST_P(autogenerate_test, the_revision_makes_the_models_schema_and_an_unchanged_database_yields_none)
{
    using namespace schema_models;
    const auto models = migrate::metadata::of<team, gadget, tag, flag>();
    const auto first = generate(models);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(joined(first.review), "");
    add_revision(first);
    move(true, "head");
    EXPECT_EQ(joined(differences(models)), "") << joined(first.upgrade);
    const auto second = generate(models);
    EXPECT_TRUE(second.empty()) << joined(second.differences) << joined(second.upgrade);
    move(false, "base");
    EXPECT_EQ(table_count(), 0u);
}

TEST_P(autogenerate_test, a_round_trip_through_changed_models_keeps_the_rows)
{
    const auto v1 = migrate::metadata::of<owner, pet>(), v2 = migrate::metadata::of<person, pet_v2>();
    add_revision(generate(v1));
    move(true, "head");
    run_all({"INSERT INTO owners (name) VALUES ('Ada')", "INSERT INTO pets (name, nick, kind, owner_id) VALUES ('Rex', 'rexy', 'dog', 1)"});

    const auto changes = generate(v2);
    const auto upgrade = joined(changes.upgrade);
    EXPECT_NE(upgrade.find("ALTER TABLE \"owners\" RENAME TO \"people\""), std::string::npos) << upgrade;
    EXPECT_NE(upgrade.find("RENAME COLUMN \"name\" TO \"full_name\""), std::string::npos) << upgrade;
    EXPECT_EQ(joined(changes.review).find("dropped"), std::string::npos) << joined(changes.review);  // the renames keep it all
    add_revision(changes);
    move(true, "head");
    EXPECT_EQ(joined(differences(v2)), "") << upgrade;
    EXPECT_EQ(scalar("SELECT count(*) FROM pets WHERE full_name = 'Rex' AND nick = 'rexy' AND kind = 'dog' AND color IS NULL "
                     "AND owner_id = 1"), 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM people WHERE name = 'Ada'"), 1);
    run_all({"INSERT INTO pets (full_name, nick, kind, owner_id) VALUES ('Tweety', 'tw', 'bird', 1)"});
    EXPECT_THROW(run_all({"INSERT INTO pets (full_name, nick, owner_id) VALUES ('Stray', 's', 99)"}), db::error);
    EXPECT_THROW(run_all({"INSERT INTO pets (full_name, owner_id) VALUES ('Nameless', 1)"}), db::error);  // nick NOT NULL
    run_all({"DELETE FROM pets WHERE kind = 'bird'"});  // version 1 has no birds

    // Rebuilding a referenced table (SQLite) neither cascades to nor refuses its children's rows.
    add_revision(generate(migrate::metadata::of<person_v3, pet_v2>()));
    move(true, "head");
    EXPECT_EQ(scalar("SELECT count(*) FROM pets JOIN people ON people.id = pets.owner_id WHERE full_name = 'Rex'"), 1);
    run_all({"INSERT INTO people (name) VALUES (NULL)"});
    run_all({"DELETE FROM people WHERE name IS NULL"});
    move(false, "-1");
    EXPECT_EQ(joined(differences(v2)), "");
    EXPECT_EQ(scalar("SELECT count(*) FROM pets WHERE full_name = 'Rex'"), 1);

    move(false, "-1");
    EXPECT_EQ(joined(differences(v1)), "") << joined(changes.downgrade);
    EXPECT_EQ(scalar("SELECT count(*) FROM pets WHERE name = 'Rex' AND nick = 'rexy' AND owner_id = 1"), 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM owners WHERE name = 'Ada'"), 1);
    move(false, "base");
    EXPECT_EQ(table_count(), 0u);
}

TEST_P(autogenerate_test, a_drop_and_add_that_looks_like_a_rename_is_flagged_for_review)
{
    add_revision(generate(migrate::metadata::of<owner, pet>()));
    move(true, "head");
    const auto changes = generate(migrate::metadata::of<owner, pet_unhinted>());
    const auto review = joined(changes.review);
    EXPECT_NE(review.find("column pets.name is dropped and pets.full_name added with the same type: if it was renamed, declare "
                          ".renamed_from(\"name\") on full_name"),
              std::string::npos)
        << review;
    EXPECT_NE(review.find("column pets.name is dropped with its data"), std::string::npos) << review;
}

// A foreign key to a key the same revision adds; a downgrade that would cut data fails instead.
TEST_P(autogenerate_test, a_key_and_its_reference_come_in_one_revision_and_no_downgrade_cuts_data)
{
    add_revision(generate(migrate::metadata::of<box>()));
    move(true, "head");
    const auto v2 = migrate::metadata::of<box_v2, label>();
    add_revision(generate(v2));
    move(true, "head");
    EXPECT_EQ(joined(differences(v2)), "");
    const std::string long_code(40, 'x');
    run_all({"INSERT INTO boxes (code) VALUES ('" + long_code + "')", "INSERT INTO labels (box_code) VALUES ('" + long_code + "')"});
    run_all({"DELETE FROM labels"});
    if (postgres()) {  // varchar(32) cannot hold it: the downgrade fails, rolled back whole
        EXPECT_THROW(move(false, "-1"), migrate::error);
        EXPECT_EQ(scalar("SELECT count(*) FROM boxes WHERE length(code) = 40"), 1);
        run_all({"UPDATE boxes SET code = 'short'"});
    }
    move(false, "-1");  // SQLite does not hold a type's length: the row comes back whole
    EXPECT_EQ(scalar(postgres() ? "SELECT count(*) FROM boxes WHERE code = 'short'" : "SELECT count(*) FROM boxes WHERE length(code) = 40"),
              1);
}

KEEL_INSTANTIATE_FOR_EVERY_BACKEND(autogenerate_test);

}  // namespace

// The revision graph and the plans of upgrade and downgrade; loading a folder.
#include <fstream>

#include <gtest/gtest.h>

#include <keel/migrate/folder.hpp>
#include <keel/migrate/history.hpp>

#include "support/test_directory.hpp"

namespace {

using keel::migrate::applied_revisions;
using keel::migrate::history;
using keel::migrate::revision;
using keel::migrate::step;
using strings = std::vector<std::string>;

revision rev(std::string id, strings parents, std::string created)
{
    revision r;
    r.id = std::move(id);
    r.parents = std::move(parents);
    r.created = std::move(created);
    r.checksum = "sum-" + r.id;
    return r;
}

// a ← b ← c, and d branching from a; e merges c and d.
history branched(bool merged)
{
    std::vector<revision> all{rev("c1", {"b1"}, "3"), rev("a1", {}, "1"), rev("d1", {"a1"}, "2"), rev("b1", {"a1"}, "2")};
    if (merged)
        all.push_back(rev("e1", {"c1", "d1"}, "4"));
    return history(std::move(all));
}

strings ids(const std::vector<step>& plan)
{
    strings out;
    for (const auto& s : plan)
        out.push_back(s.target->id + (s.upgrade ? "+" : "-"));
    return out;
}

applied_revisions applied(const strings& list)
{
    applied_revisions out;
    for (const auto& id : list)
        out.emplace(id, "sum-" + id);
    return out;
}

std::string error_of(auto&& attempt)
{
    try {
        attempt();
    } catch (const keel::migrate::error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(history, orders_parents_first_and_the_older_of_two_ready_revisions_first)
{
    strings order;
    const auto merged = branched(true);
    for (const auto& r : merged.ordered())
        order.push_back(r.id);
    EXPECT_EQ(order, (strings{"a1", "b1", "d1", "c1", "e1"}));
    EXPECT_EQ(branched(false).heads(), (strings{"d1", "c1"}));
    EXPECT_EQ(branched(true).heads(), strings{"e1"});
}

TEST(history, finds_a_revision_by_id_or_unique_prefix)
{
    const auto h = history({rev("abc123", {}, "1"), rev("abd456", {"abc123"}, "2"), rev("abc199", {"abd456"}, "3")});
    EXPECT_EQ(h.find("abc123").id, "abc123");
    EXPECT_EQ(h.find("abd4").id, "abd456");
    EXPECT_NE(error_of([&] { h.find("abc1"); }).find("'abc1' is ambiguous"), std::string::npos);
    EXPECT_NE(error_of([&] { h.find("zz"); }).find("unknown revision 'zz'"), std::string::npos);
    EXPECT_NE(error_of([&] { h.find("abd"); }).find("unknown revision 'abd'"), std::string::npos);  // under 4 characters
    EXPECT_NE(error_of([&] { h.find("1"); }).find("to step, write +N or -N"), std::string::npos);
}

TEST(history, refuses_duplicate_ids_unknown_parents_and_cycles)
{
    EXPECT_NE(error_of([] { history({rev("a", {}, "1"), rev("a", {}, "2")}); }).find("two revisions have the id a"), std::string::npos);
    EXPECT_NE(error_of([] { history({rev("a", {"zz"}, "1")}); }).find("names parent zz, which is not in the folder"), std::string::npos);
    EXPECT_NE(error_of([] { history({rev("a", {"b"}, "1"), rev("b", {"a"}, "1")}); }).find("cycle"), std::string::npos);
}

TEST(history, upgrade_head_applies_what_is_missing_in_order_and_refuses_two_heads)
{
    EXPECT_EQ(ids(branched(true).upgrade_plan({}, "head")), (strings{"a1+", "b1+", "d1+", "c1+", "e1+"}));
    EXPECT_EQ(ids(branched(true).upgrade_plan(applied({"a1", "b1"}), "head")), (strings{"d1+", "c1+", "e1+"}));
    EXPECT_EQ(ids(branched(true).upgrade_plan(applied({"a1", "b1", "c1", "d1", "e1"}), "head")), strings{});
    const auto two = error_of([] { branched(false).upgrade_plan({}, "head"); });
    EXPECT_NE(two.find("2 heads (d1, c1): join them with `migrate merge`"), std::string::npos) << two;
    EXPECT_EQ(ids(branched(false).upgrade_plan({}, "heads")), (strings{"a1+", "b1+", "d1+", "c1+"}));
}

TEST(history, upgrade_to_a_revision_or_by_steps_takes_only_what_it_needs)
{
    EXPECT_EQ(ids(branched(true).upgrade_plan({}, "c1")), (strings{"a1+", "b1+", "c1+"}));
    EXPECT_EQ(ids(branched(true).upgrade_plan(applied({"a1"}), "+2")), (strings{"b1+", "d1+"}));
    EXPECT_NE(error_of([] { branched(true).upgrade_plan(applied({"a1"}), "+5"); }).find("only 4 revision(s) are left"), std::string::npos);
    EXPECT_NE(error_of([] { branched(true).upgrade_plan({}, "+x"); }).find("'x' is not a step count"), std::string::npos);
    EXPECT_NE(error_of([] { branched(true).upgrade_plan({}, "nope"); }).find("unknown revision 'nope'"), std::string::npos);
}

TEST(history, downgrade_undoes_children_first)
{
    const auto all = applied({"a1", "b1", "c1", "d1", "e1"});
    EXPECT_EQ(ids(branched(true).downgrade_plan(all, "-1")), strings{"e1-"});
    EXPECT_EQ(ids(branched(true).downgrade_plan(all, "-2")), (strings{"e1-", "c1-"}));
    EXPECT_EQ(ids(branched(true).downgrade_plan(all, "b1")), (strings{"e1-", "c1-", "d1-"}));
    EXPECT_EQ(ids(branched(true).downgrade_plan(all, "base")), (strings{"e1-", "c1-", "d1-", "b1-", "a1-"}));
    EXPECT_NE(error_of([&] { branched(true).downgrade_plan(applied({"a1"}), "-2"); }).find("only 1 revision(s) applied"),
              std::string::npos);
    EXPECT_NE(error_of([&] { branched(true).downgrade_plan(applied({"a1"}), "c1"); }).find("c1 is not applied"), std::string::npos);
}

TEST(history, verify_refuses_an_edited_or_missing_applied_revision)
{
    EXPECT_NO_THROW(branched(true).verify(applied({"a1", "b1"})));
    applied_revisions edited = applied({"a1", "b1"});
    edited["b1"] = "another";
    EXPECT_NE(error_of([&] { branched(true).verify(edited); }).find("revision b1 was edited after it was applied"), std::string::npos);
    EXPECT_NE(error_of([&] { branched(true).verify(applied({"a1", "gone"})); }).find("the database has revision gone, which is not in"),
              std::string::npos);
}

TEST(history, loads_a_folder_in_one_dialect_and_wants_every_revision_in_it)
{
    using keel::db::backend;
    keel::testing::test_directory dir("keel-history");
    keel::migrate::init_folder(dir.path() / "migrations");
    const auto folder = dir.path() / "migrations";
    const auto first = keel::migrate::new_revision("create users", {}, {backend::sqlite, backend::postgresql});
    keel::migrate::write_revision(folder, first);
    auto second = keel::migrate::new_revision("add email", {first[0].id}, {backend::sqlite, backend::postgresql});
    second[0].upgrade = {"ALTER TABLE users ADD COLUMN email TEXT"};
    keel::migrate::write_revision(folder, second);
    for (const auto dialect : {backend::sqlite, backend::postgresql}) {
        const auto h = history::load(folder, dialect);
        ASSERT_EQ(h.ordered().size(), 2u);
        EXPECT_EQ(h.heads(), strings{second[0].id});
        EXPECT_EQ(h.ordered()[1].upgrade.size(), dialect == backend::sqlite ? 1u : 0u);
    }
    EXPECT_NE(error_of([&] { keel::migrate::init_folder(folder); }).find("already exists and is not empty"), std::string::npos);
    auto lone = keel::migrate::new_revision("sqlite only", {second[0].id}, {backend::sqlite});
    keel::migrate::write_revision(folder, lone);
    EXPECT_NE(error_of([&] { history::load(folder, backend::postgresql); }).find("has no postgresql file"), std::string::npos);
    EXPECT_NE(error_of([&] { history::load(dir.path() / "nowhere", backend::sqlite); }).find("create it with `migrate init`"),
              std::string::npos);
}

}  // namespace

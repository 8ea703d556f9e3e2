#include <gtest/gtest.h>

#include <keel/db/result.hpp>

namespace {

using namespace keel::db;

struct row_type {
    std::int64_t id = 0;
    std::string name;
    std::optional<double> score;
    bool active = false;
    keel::timestamp created;
};
BOOST_DESCRIBE_STRUCT(row_type, (), (id, name, score, active, created))

result sample()
{
    return result({"id", "name", "score", "active", "created"},
                  {value(std::int64_t(1)), value(std::string("ann")), value(nullptr), value(std::int64_t(1)),
                   value(std::string("2026-01-02 03:04:05"))},
                  0);
}

TEST(db_result, decodes_rows_into_described_structs_by_column_name)
{
    auto r = sample();
    ASSERT_EQ(r.size(), 1u);
    auto row = r[0].as<row_type>();
    EXPECT_EQ(row.id, 1);
    EXPECT_EQ(row.name, "ann");
    EXPECT_FALSE(row.score);
    EXPECT_TRUE(row.active);
    EXPECT_EQ(keel::format_iso8601(row.created), "2026-01-02T03:04:05Z");
}

TEST(db_result, decode_errors_name_the_column)
{
    result r({"id"}, {value(std::string("x"))}, 0);
    try {
        r[0].as<std::int64_t>();
        FAIL();
    } catch (const decode_error& e) {
        EXPECT_STREQ(e.what(), "column 'id': cannot read text as an integer");
    }
    EXPECT_THROW(sample()[0].as<std::int64_t>(), decode_error);  // five columns, not one
    EXPECT_THROW(sample()[0].at("missing"), decode_error);
    result nulls({"n"}, {value(nullptr)}, 0);
    EXPECT_THROW(nulls[0].as<std::string>(), decode_error);
    EXPECT_FALSE(nulls[0].as<std::optional<std::string>>());
}

}  // namespace

namespace {

struct named {
    std::string name;
    std::optional<std::string> nick;
    std::int64_t id = 0;
};
BOOST_DESCRIBE_STRUCT(named, (), (name, nick, id))

TEST(db_result, rows_as_reads_every_row_by_column_name_in_any_order)
{
    const std::string long_text(100, 'x');  // beyond the small-string buffer: moved, not copied
    result r({"id", "nick", "name"},
             {value(std::int64_t(1)), value(nullptr), value(long_text),  //
              value(std::int64_t(2)), value(std::string("bo")), value(std::string("bob"))},
             0);
    auto rows = std::move(r).rows_as<named>();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].id, 1);
    EXPECT_EQ(rows[0].name, long_text);
    EXPECT_FALSE(rows[0].nick);
    EXPECT_EQ(rows[1].id, 2);
    EXPECT_EQ(rows[1].name, "bob");
    EXPECT_EQ(rows[1].nick, "bo");

    result ids({"id"}, {value(std::int64_t(7)), value(std::int64_t(8))}, 0);
    EXPECT_EQ(std::move(ids).rows_as<std::int64_t>(), (std::vector<std::int64_t>{7, 8}));
    EXPECT_TRUE(result().rows_as<named>().empty());
}

TEST(db_result, rows_as_names_a_missing_column_or_a_wrong_type)
{
    EXPECT_THROW(sample().rows_as<named>(), decode_error);  // no column 'nick'
    EXPECT_THROW(sample().rows_as<std::string>(), decode_error);  // five columns, not one
    result r({"id", "nick", "name"}, {value(std::string("one")), value(nullptr), value(std::string("n"))}, 0);
    try {
        std::move(r).rows_as<named>();
        FAIL();
    } catch (const decode_error& e) {
        EXPECT_STREQ(e.what(), "column 'id': cannot read text as an integer");
    }
}

}  // namespace

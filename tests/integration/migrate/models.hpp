#pragma once
// The migrate tests' models: a column of every type keel maps, every kind of default, index and
// constraint (gadgets), a composite key (tags) and an enumeration (flags).
#include <optional>
#include <string>
#include <vector>

#include <keel/model/table.hpp>

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

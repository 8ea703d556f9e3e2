#pragma once
// Table models shared by the query tests: teams and their members, and issue 11's users table.
#include <cstdint>
#include <optional>
#include <string>

#include <boost/describe/class.hpp>

#include <keel/core/time.hpp>
#include <keel/model/constraints.hpp>
#include <keel/query/query.hpp>

namespace query_models {

struct team {
    std::int64_t id = 0;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(team, (), (id, name))
inline keel::model::table_def keel_table(team*)
{
    using namespace keel::model;
    return table("teams", column(&team::id).primary_key().identity(), column(&team::name).unique());
}

struct member {
    std::int64_t id = 0;
    std::int64_t team_id = 0;
    keel::text<1, 64> name;
    std::optional<double> score;
    bool active = true;
};
BOOST_DESCRIBE_STRUCT(member, (), (id, team_id, name, score, active))
inline keel::model::table_def keel_table(member*)
{
    using namespace keel::model;
    return table("members", column(&member::id).primary_key().identity(),
                 column(&member::team_id).references(&team::id, fk_action::cascade),
                 index("members_team_name", &member::team_id, &member::name).unique(),
                 check("members_score_positive", "score >= 0"));
}

/// A response model: some of member's columns.
struct member_public {
    std::int64_t id = 0;
    std::string name;
    std::optional<double> score;
};
BOOST_DESCRIBE_STRUCT(member_public, (), (id, name, score))

/// A request model: what a client sends to create a member.
struct member_create {
    std::int64_t team_id = 0;
    keel::text<1, 64> name;
    std::optional<double> score;
};
BOOST_DESCRIBE_STRUCT(member_create, (), (team_id, name, score))

// Issue 11's users table, declared once.
struct user {
    std::int64_t id = 0;
    keel::text<3, 32> username;
    std::string hashed_password;
    std::string token_subject;
    keel::timestamp created_at;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, username, hashed_password, token_subject, created_at))
inline keel::model::table_def keel_table(user*)
{
    using namespace keel::model;
    return table("users", column(&user::id).primary_key().identity(), column(&user::username).type(sql::text()),
                 column(&user::token_subject).unique(), column(&user::created_at).server_default(now()),
                 index("users_username_key", &user::username).unique());
}

// The bench's TechEmpower tables: JSON says randomNumber, the table says randomnumber.
struct world {
    std::int64_t id = 0;
    std::int64_t randomNumber = 0;
};
BOOST_DESCRIBE_STRUCT(world, (), (id, randomNumber))
inline keel::model::table_def keel_table(world*)
{
    using namespace keel::model;
    return table("world", column(&world::id).primary_key().type(sql::integer()),
                 column(&world::randomNumber).name("randomnumber").type(sql::integer()).server_default(sql_expression("0")));
}

struct fortune {
    std::int64_t id = 0;
    std::string message;
};
BOOST_DESCRIBE_STRUCT(fortune, (), (id, message))
inline keel::model::table_def keel_table(fortune*)
{
    using namespace keel::model;
    return table("fortune", column(&fortune::id).primary_key().type(sql::integer()),
                 column(&fortune::message).type(sql::varchar(2048)));
}

}  // namespace query_models

#pragma once
// The tables and routes the docs' examples share. Each docs page's example adds its routes with
// its add_routes; tests/integration/docs/examples_test.cpp serves them all on real databases.
#include <cstdint>
#include <optional>
#include <string>

#include <keel/keel.hpp>

namespace docs {

struct team {
    std::int64_t id = 0;
    std::string name;
    std::optional<std::string> city;  // NULL until known
};
BOOST_DESCRIBE_STRUCT(team, (), (id, name, city))

inline keel::model::table_def keel_table(team*)
{
    using namespace keel::model;
    return table("teams", column(&team::id).primary_key().identity(), column(&team::name).unique());
}

struct member {
    std::int64_t id = 0;
    std::int64_t team_id = 0;
    std::string name;
    std::optional<std::int64_t> score;
};
BOOST_DESCRIBE_STRUCT(member, (), (id, team_id, name, score))

inline keel::model::table_def keel_table(member*)
{
    using namespace keel::model;
    return table("members", column(&member::id).primary_key().identity(),
                 column(&member::team_id).references(&team::id, fk_action::cascade),
                 index("ix_members_team_name", &member::team_id, &member::name).unique(),
                 check("ck_members_score", "score >= 0"));
}

struct post {
    std::int64_t id = 0;
    std::string title;
    std::string body;
    bool published = false;
    std::optional<std::string> summary;
};
BOOST_DESCRIBE_STRUCT(post, (), (id, title, body, published, summary))

inline keel::model::table_def keel_table(post*)
{
    using namespace keel::model;
    return table("posts", column(&post::id).primary_key().identity());
}

/// Every table of the examples, for migrations and tests.
inline keel::migrate::metadata models() { return keel::migrate::metadata::of<team, member, post>(); }

namespace routing {
void add_routes(keel::http::app& app);
}
namespace validation {
void add_routes(keel::http::app& app);
}
namespace queries {
void add_routes(keel::http::app& app);
}
namespace sessions {
void add_routes(keel::http::app& app);
}
namespace security {
void add_routes(keel::http::app& app);
}
namespace settings {
/// The example's settings read from `env`, as `check` prints them.
std::vector<keel::setting_value> loaded(const keel::environment& env);
}

}  // namespace docs

// docs/models-and-queries.md: the query builder on the teams and members of examples.hpp.
#include <keel/keel.hpp>

#include "examples.hpp"

namespace docs::queries {

using keel::task;
namespace http = keel::http;
using namespace keel::query;

struct member_public {
    std::int64_t id = 0;
    std::string name;
};
BOOST_DESCRIBE_STRUCT(member_public, (), (id, name))

struct team_in {
    keel::text<1, 50> name;
};
BOOST_DESCRIBE_STRUCT(team_in, (), (name))

struct team_score {
    std::int64_t team_id = 0;
    std::int64_t members = 0;
    std::optional<double> average;
};
BOOST_DESCRIBE_STRUCT(team_score, (), (team_id, members, average))

task<std::vector<member_public>> members_named(http::path<std::string> name, keel::db::session& db)
{
    auto page = select<member_public>().from<member>().where(col<&member::name> == *name)
                    .order_by(col<&member::id>).limit(10);
    std::vector<member_public> rows = co_await all(db, page);   // also one(), maybe(), execute(); rendered for db.kind()
    co_return rows;
}

task<http::created<team>> add_team(http::body<team_in> in, keel::db::session& db)
{
    auto add = insert_into<team>().set(col<&team::name> = in->name.str()).returning<team>();
    team added = co_await one(db, add);  // named first: g++ 12 mishandles a co_await inside braces
    co_return http::created<team>{std::move(added)};
}

task<void> ensure_team(http::body<team_in> in, keel::db::session& db)
{
    auto upsert = insert_into<team>().set(col<&team::name> = in->name.str()).on_conflict(col<&team::name>).do_nothing();
    co_await execute(db, upsert);
}

task<std::vector<team_score>> scores(keel::db::session& db)
{
    auto stats = select(col<&member::team_id>, count(), avg(col<&member::score>))   // rows: std::tuple
                     .from<member>().join<team>(col<&member::team_id> == col<&team::id>)
                     .where(col<&team::name>.like("r%") && !col<&member::score>.is_null())
                     .group_by(col<&member::team_id>).order_by(col<&member::team_id>);
    auto rows = co_await all(db, stats);
    std::vector<team_score> out;
    for (auto& [team_id, members, average] : rows)
        out.push_back(team_score{team_id, members, average});
    co_return out;
}

task<std::vector<team>> teams_with_members(keel::db::session& db)
{
    auto teams = select<team>().from<team>().where(
        exists(select(col<&member::id>).from<member>().where(col<&member::team_id> == col<&team::id>)));
    co_return co_await all(db, teams);
}

task<std::int64_t> count_like(http::path<std::string> pattern, keel::db::session& db)
{
    auto by_hand = raw<std::int64_t>("SELECT count(*) FROM members WHERE name LIKE $1", *pattern);
    co_return co_await one(db, by_hand);
}

void add_routes(http::app& app)
{
    app.get("/members/named/{name}", members_named);
    app.post("/teams", add_team);
    app.put("/teams", ensure_team);
    app.get("/teams/scores", scores);
    app.get("/teams/with-members", teams_with_members);
    app.get("/members/count/{pattern}", count_like);
}

}  // namespace docs::queries

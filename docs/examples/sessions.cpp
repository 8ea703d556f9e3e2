// docs/sessions.md: the request's session, the unit of work, transactions and batches.
#include <keel/keel.hpp>

#include "examples.hpp"

namespace docs::sessions {

using keel::task;
namespace http = keel::http;
namespace db = keel::db;
using namespace keel::query;

struct rename_in {
    keel::text<1, 50> name;
};
BOOST_DESCRIBE_STRUCT(rename_in, (), (name))

struct roster {
    std::string team;
    std::vector<std::string> members;
};
BOOST_DESCRIBE_STRUCT(roster, (), (team, members))

task<team> rename_team(http::path<std::int64_t> id, http::body<rename_in> in, unit_of_work uow)
{
    team* t = co_await uow.get<team>(*id);        // the identity map first, else one SELECT; nullptr if none
    if (!t)
        throw http::error(404, "Team not found");
    t->name = in->name.str();                     // tracked: the next flush writes only this column
    co_await uow.commit();                        // flush, then COMMIT
    co_return *t;
}

task<std::vector<roster>> rosters(unit_of_work uow)
{
    std::vector<team*> teams = co_await uow.execute(select<team>().from<team>().order_by(col<&team::id>));
    auto members = co_await uow.load<&team::id, &member::team_id>(teams);   // one SELECT … IN (…)
    std::vector<roster> out;
    for (team* t : teams) {
        roster r{t->name, {}};
        for (member* m : members.of(*t))
            r.members.push_back(m->name);
        out.push_back(std::move(r));
    }
    co_return out;
}

task<http::created<team>> found_team(http::body<rename_in> in, unit_of_work uow)
{
    team& t = uow.add(team{0, in->name.str()});  // INSERT … RETURNING at the next flush (identity, server defaults)
    co_await uow.flush();
    try {
        co_await uow.savepoint([&]() -> task<void> {   // nested: a throw undoes it, the transaction goes on
            uow.add(member{0, t.id, "captain", -1});     // the CHECK refuses a negative score
            co_await uow.flush();
        });
    } catch (const db::check_violation&) {
        uow.add(member{0, t.id, "captain", 0});
    }
    co_await uow.commit();
    co_return http::created<team>{t};
}

task<void> disband(http::path<std::int64_t> id, unit_of_work uow)
{
    team* t = co_await uow.get<team>(*id);
    if (!t)
        throw http::error(404, "Team not found");
    uow.remove(*t);                                // DELETE at the next flush
    co_await uow.flush();
}

/// Outside a request: a transaction of your own, retried on serialization failures and deadlocks.
task<std::int64_t> move_member(const db::pool& database, std::int64_t member_id, std::int64_t team_id)
{
    db::transaction_options serializable{.isolation = db::isolation::serializable};
    co_return co_await db::run_transaction(database, [&](db::session& s) -> task<std::int64_t> {
        co_await execute(s, update<member>().set(col<&member::team_id> = team_id).where(col<&member::id> == member_id));
        co_return co_await one(s, select(count()).from<member>().where(col<&member::team_id> == team_id));
    }, serializable);
}

struct id_range {
    keel::integer<1> first = 1;
    keel::integer<1, 50> count = 1;
};
BOOST_DESCRIBE_STRUCT(id_range, (), (first, count))

task<std::vector<team>> teams_by_id(http::query<id_range> range, db::session& db)
{
    std::vector<std::int64_t> ids;
    for (std::int64_t id = range->first; id < range->first + range->count; ++id)
        ids.push_back(id);
    // PostgreSQL: one round trip for every statement (pipeline mode); SQLite runs them in turn.
    auto found = co_await db.one_each<team>("SELECT id, name, city FROM teams WHERE id = $1", ids);
    co_return found;
}

void add_routes(http::app& app)
{
    app.put("/teams/{id}/name", rename_team);
    app.get("/rosters", rosters);
    app.post("/teams/founded", found_team);
    app.del("/teams/{id}", disband);
    app.get("/teams/by-id", teams_by_id);
}

}  // namespace docs::sessions

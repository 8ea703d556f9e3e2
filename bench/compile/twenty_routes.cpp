// A 20-route service on table models, the query builder and the unit of work: what
// bench/compile-time measures besides the users service (built with the benchmarks, so it
// keeps compiling).
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <boost/describe/class.hpp>

#include <keel/http/app.hpp>
#include <keel/http/error.hpp>
#include <keel/model/constraints.hpp>
#include <keel/query/query.hpp>
#include <keel/query/unit_of_work.hpp>

namespace twenty {

using keel::task;
namespace http = keel::http;
namespace db = keel::db;
using namespace keel::query;

struct project {
    std::int64_t id = 0;
    keel::text<1, 64> name;
    std::string owner;
};
BOOST_DESCRIBE_STRUCT(project, (), (id, name, owner))
inline keel::model::table_def keel_table(project*)
{
    using namespace keel::model;
    return table("projects", column(&project::id).primary_key().identity(), column(&project::name).unique());
}

struct item {
    std::int64_t id = 0;
    std::int64_t project_id = 0;
    keel::text<1, 200> title;
    bool done = false;
    std::int32_t priority = 0;
    std::optional<keel::timestamp> due;
};
BOOST_DESCRIBE_STRUCT(item, (), (id, project_id, title, done, priority, due))
inline keel::model::table_def keel_table(item*)
{
    using namespace keel::model;
    return table("items", column(&item::id).primary_key().identity(),
                 column(&item::project_id).references(&project::id, fk_action::cascade));
}

struct project_create {
    keel::text<1, 64> name;
    std::string owner;
};
BOOST_DESCRIBE_STRUCT(project_create, (), (name, owner))

struct item_create {
    keel::text<1, 200> title;
    std::int32_t priority = 0;
};
BOOST_DESCRIBE_STRUCT(item_create, (), (title, priority))

struct item_public {
    std::int64_t id = 0;
    keel::text<1, 200> title;
    bool done = false;
};
BOOST_DESCRIBE_STRUCT(item_public, (), (id, title, done))

struct page {
    keel::integer<1, 100> limit = 50;
    keel::integer<0> offset = 0;
};
BOOST_DESCRIBE_STRUCT(page, (), (limit, offset))

struct search {
    std::string pattern;
};
BOOST_DESCRIBE_STRUCT(search, (), (pattern))

struct count_of {
    std::int64_t count = 0;
};
BOOST_DESCRIBE_STRUCT(count_of, (), (count))

struct project_load {
    std::int64_t project_id = 0;
    std::int64_t items = 0;
    std::optional<double> mean_priority;
};
BOOST_DESCRIBE_STRUCT(project_load, (), (project_id, items, mean_priority))

template <class T>
T& found(T* row)
{
    if (!row)
        throw http::error(404, "Not found");
    return *row;
}

task<std::vector<project>> list_projects(http::query<page> p, db::session& s)
{
    const auto q = select<project>().from<project>().order_by(col<&project::id>).limit(p->limit).offset(p->offset);
    co_return co_await all(s, q);
}
task<project> get_project(http::path<std::int64_t> id, unit_of_work uow) { co_return found(co_await uow.get<project>(*id)); }
task<http::created<project>> create_project(http::body<project_create> in, unit_of_work uow)
{
    project& added = uow.add(project{0, in->name, in->owner});
    co_await uow.flush();
    co_return http::created<project>{added};
}
task<project> rename_project(http::path<std::int64_t> id, http::body<project_create> in, unit_of_work uow)
{
    project* p = co_await uow.get<project>(*id);
    found(p).name = in->name;
    co_await uow.flush();
    co_return *p;
}
task<void> delete_project(http::path<std::int64_t> id, db::session& s)
{
    const auto q = delete_from<project>().where(col<&project::id> == *id);
    co_await execute(s, q);
}
task<count_of> count_projects(db::session& s)
{
    const auto q = select(count()).from<project>();
    co_return count_of{co_await one(s, q)};
}
task<std::vector<item_public>> project_items(http::path<std::int64_t> id, db::session& s)
{
    const auto q = select<item_public>().from<item>().where(col<&item::project_id> == *id).order_by(col<&item::id>);
    co_return co_await all(s, q);
}
task<item> get_item(http::path<std::int64_t> id, unit_of_work uow) { co_return found(co_await uow.get<item>(*id)); }
task<http::created<item_public>> create_item(http::path<std::int64_t> project_id, http::body<item_create> in, db::session& s)
{
    const auto q = insert_into<item>().set(col<&item::project_id> = *project_id, col<&item::title> = in->title,
                                           col<&item::priority> = in->priority).returning<item_public>();
    co_return http::created<item_public>{co_await one(s, q)};
}
task<item_public> retitle_item(http::path<std::int64_t> id, http::body<item_create> in, db::session& s)
{
    const auto q = update<item>().set(col<&item::title> = in->title).where(col<&item::id> == *id).returning<item_public>();
    auto row = co_await maybe(s, q);
    co_return found(row ? &*row : nullptr);
}
task<item> finish_item(http::path<std::int64_t> id, unit_of_work uow)
{
    item& i = found(co_await uow.get<item>(*id));
    i.done = true;
    co_await uow.flush();
    co_return i;
}
task<void> delete_item(http::path<std::int64_t> id, unit_of_work uow)
{
    item* i = co_await uow.get<item>(*id);
    uow.remove(found(i));
    co_await uow.flush();
}
task<std::vector<item_public>> done_items(db::session& s)
{
    const auto q = select<item_public>().from<item>().where(col<&item::done> == true).order_by(desc(col<&item::id>));
    co_return co_await all(s, q);
}
task<std::vector<item_public>> urgent_items(db::session& s)
{
    const auto q = select<item_public>().from<item>().where(col<&item::priority> >= 3 && col<&item::done> == false);
    co_return co_await all(s, q);
}
task<std::vector<project_load>> load_by_project(db::session& s)
{
    const auto q = select(col<&item::project_id>, count(), avg(col<&item::priority>)).from<item>().group_by(col<&item::project_id>);
    std::vector<project_load> out;
    const auto rows = co_await all(s, q);
    for (const auto& [project_id, items, mean] : rows)
        out.push_back({project_id, items, mean});
    co_return out;
}
task<std::vector<item_public>> search_items(http::query<search> in, db::session& s)
{
    const auto q = select<item_public>().from<item>().where(col<&item::title>.like(in->pattern));
    co_return co_await all(s, q);
}
task<count_of> create_items(http::path<std::int64_t> project_id, http::body<item_create> in, db::session& s)
{
    std::vector<item> rows(3, item{0, *project_id, in->title, false, in->priority, std::nullopt});
    const auto q = insert_into<item>().values(rows);
    auto result = co_await execute(s, q);
    co_return count_of{result.affected_rows()};
}
task<std::vector<std::string>> item_owners(db::session& s)
{
    const auto q = select(col<&project::owner>).from<item>().join<project>(col<&item::project_id> == col<&project::id>);
    co_return co_await all(s, q);
}
task<std::vector<item_public>> undated_items(db::session& s)
{
    const auto q = select<item_public>().from<item>().where(col<&item::due>.is_null());
    co_return co_await all(s, q);
}
task<std::vector<item_public>> owner_items(http::query<search> in, unit_of_work uow)
{
    const auto q = select<project>().from<project>().where(col<&project::owner> == in->pattern);
    auto projects = co_await uow.execute(q);
    auto items = co_await uow.load<&project::id, &item::project_id>(projects);
    std::vector<item_public> out;
    for (project* p : projects)
        for (item* i : items.of(*p))
            out.push_back({i->id, i->title, i->done});
    co_return out;
}

}  // namespace twenty

void add_twenty_routes(keel::http::router& api)
{
    using namespace twenty;
    api.get("/projects", list_projects);
    api.get("/projects/{id}", get_project);
    api.post("/projects", create_project);
    api.put("/projects/{id}", rename_project);
    api.del("/projects/{id}", delete_project);
    api.get("/projects-count", count_projects);
    api.get("/projects/{id}/items", project_items);
    api.get("/items/{id}", get_item);
    api.post("/projects/{id}/items", create_item);
    api.patch("/items/{id}", retitle_item);
    api.post("/items/{id}/done", finish_item);
    api.del("/items/{id}", delete_item);
    api.get("/items-done", done_items);
    api.get("/items-urgent", urgent_items);
    api.get("/items-load", load_by_project);
    api.get("/items-search", search_items);
    api.post("/projects/{id}/items-bulk", create_items);
    api.get("/items-owners", item_owners);
    api.get("/items-undated", undated_items);
    api.get("/owners-items", owner_items);
}

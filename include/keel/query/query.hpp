#pragma once
// The typed query builder, all of it: models (model/table.hpp), select, insert, update, delete,
// DDL (create_table) and running them on a session.
#include <keel/model/table.hpp>
#include <keel/query/delete.hpp>
#include <keel/query/insert.hpp>
#include <keel/query/run.hpp>
#include <keel/query/select.hpp>
#include <keel/query/update.hpp>

namespace keel::query {

/// CREATE TABLE and its indexes for table model T.
template <model::table_model T>
std::vector<db::statement> create_table(db::backend dialect)
{
    return create_table(model::table_of<T>(), dialect);
}

}  // namespace keel::query

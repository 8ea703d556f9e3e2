// A column of a table the query does not select from must not compile, and the error names it.
#include "../unit/query/models.hpp"

using namespace keel::query;
using query_models::member;
using query_models::team;

auto statement = select(col<&member::id>).from<member>().where(col<&team::name> == "red").to_statement(keel::db::backend::sqlite);

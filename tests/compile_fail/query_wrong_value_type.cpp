// An integer column compared with a string must not compile, and the error names the column.
#include "../unit/query/models.hpp"

using namespace keel::query;
using query_models::member;

auto q = select(col<&member::id>).from<member>().where(col<&member::team_id> == "7");

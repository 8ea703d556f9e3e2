// A model inserted into a table that lacks its columns must not compile, naming the member.
#include "../unit/query/models.hpp"

using namespace keel::query;
using query_models::member;
using query_models::team;

auto q = insert_into<team>().values(member{});

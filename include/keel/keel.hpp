#pragma once
// All of keel in one include, for services that do not count build time. Each header below is
// also usable on its own (a translation unit that includes only what it uses builds faster).

#include <keel/cli/service.hpp>

#include <keel/core/block_on.hpp>
#include <keel/core/error.hpp>
#include <keel/core/log.hpp>
#include <keel/core/setting_rules.hpp>
#include <keel/core/settings.hpp>
#include <keel/core/task.hpp>
#include <keel/core/time.hpp>

#include <keel/db/errors.hpp>
#include <keel/db/outer_transaction.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/result.hpp>
#include <keel/db/session.hpp>
#include <keel/db/url.hpp>
#include <keel/db/value.hpp>

#include <keel/http/app.hpp>
#include <keel/http/depends.hpp>
#include <keel/http/error.hpp>
#include <keel/http/handler_schema.hpp>
#include <keel/http/middleware.hpp>
#include <keel/http/params.hpp>
#include <keel/http/request.hpp>
#include <keel/http/response.hpp>
#include <keel/http/route_doc.hpp>
#include <keel/http/router.hpp>

#include <keel/migrate/autogenerate.hpp>
#include <keel/migrate/backup.hpp>
#include <keel/migrate/folder.hpp>
#include <keel/migrate/history.hpp>
#include <keel/migrate/lint.hpp>
#include <keel/migrate/migrator.hpp>
#include <keel/migrate/revision.hpp>
#include <keel/migrate/schema.hpp>

#include <keel/model/constraints.hpp>
#include <keel/model/defaults.hpp>
#include <keel/model/json.hpp>
#include <keel/model/members.hpp>
#include <keel/model/parse.hpp>
#include <keel/model/partial.hpp>
#include <keel/model/pattern.hpp>
#include <keel/model/schema.hpp>
#include <keel/model/table.hpp>
#include <keel/model/traits.hpp>
#include <keel/model/validate.hpp>

#include <keel/openapi/docs.hpp>
#include <keel/openapi/document.hpp>
#include <keel/openapi/settings.hpp>

#include <keel/ops/doctor.hpp>
#include <keel/ops/health.hpp>
#include <keel/ops/roles.hpp>

#include <keel/query/ast.hpp>
#include <keel/query/delete.hpp>
#include <keel/query/expr.hpp>
#include <keel/query/insert.hpp>
#include <keel/query/query.hpp>
#include <keel/query/run.hpp>
#include <keel/query/select.hpp>
#include <keel/query/unit_of_work.hpp>
#include <keel/query/update.hpp>

#include <keel/security/jwt.hpp>
#include <keel/security/oauth2.hpp>
#include <keel/security/password.hpp>
#include <keel/security/rate_limit.hpp>

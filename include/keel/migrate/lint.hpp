#pragma once
// `migrate lint`: squawk's and strong_migrations' rules over a revision's statements, hand-written
// ones too, each finding graded by the size of the table it touches in the live database. upgrade
// runs it first and refuses a high-risk finding its revision does not accept:
//
//   -- keel: accept non-concurrent-index
//   CREATE INDEX ix_events_kind ON events (kind);
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <keel/migrate/history.hpp>
#include <keel/migrate/schema.hpp>

namespace keel::migrate {

enum class risk { medium, high };

struct finding {
    const revision* in = nullptr;
    std::size_t statement = 0;  // 1-based, in the section that runs
    std::string rule;           // "non-concurrent-index", …
    risk level = risk::medium;
    std::string message;
    bool accepted = false;      // the statement's comments say `-- keel: accept RULE`
};

/// Rows of each table of the live database (PostgreSQL's estimate, pg_class.reltuples).
using table_rows = std::map<std::string, std::int64_t, std::less<>>;
task<table_rows> live_table_rows(db::session& session);

struct lint_options {
    db::backend dialect = db::backend::postgresql;
    /// A locking finding on a table with at least this many rows is high risk.
    std::int64_t big_table_rows = 100'000;
    /// The application's models: dropping a column they still have breaks the running code.
    const metadata* models = nullptr;
};

/// Every finding in the plan's statements (in the order they run). Tables the plan creates
/// before a statement are new: locking there blocks no one.
std::vector<finding> lint(const std::vector<step>& plan, const table_rows& rows, const lint_options& options);

/// "revision 3f2a…, statement 2 (high, non-concurrent-index): …" for a person.
std::string describe(const finding& f);

/// Throws migrate::error listing the high-risk findings no revision accepted, if any.
void refuse_unaccepted(const std::vector<finding>& findings);

}  // namespace keel::migrate

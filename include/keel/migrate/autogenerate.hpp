#pragma once
// `migrate revision --autogenerate`: the statements that move the live database to the models'
// shape, and the ones that move it back, from the same comparison `migrate check` makes.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <keel/migrate/schema.hpp>

namespace keel::migrate {

/// The renames the models declare with renamed_from: a rename keeps the data where a drop and
/// an add would lose it.
struct renames {
    std::map<std::string, std::string> tables;                                    // old → new
    std::map<std::pair<std::string, std::string>, std::string> columns;           // (table, old) → new
    static renames of(const metadata& models);
    /// The same renames undone (for the downgrade): new → old, keyed by the old table names.
    renames inverse() const;
};

/// What autogenerate writes into a revision.
struct generated_changes {
    std::vector<std::string> upgrade, downgrade;  // statements; comments before them say why
    std::vector<std::string> differences;          // what `migrate check` reported, one per line
    std::vector<std::string> review;               // for a person to confirm: possible renames, lost data
    std::vector<std::string> downgrade_review;     // the same for the downgrade
    bool empty() const noexcept { return upgrade.empty(); }
};

/// The statements taking a database of shape `current` to shape `target` in `dialect`, in an
/// order the database accepts (renames; new tables, referenced ones first; per-table changes,
/// foreign keys last; dropped tables). SQLite changes its ALTER TABLE cannot make rebuild the
/// table (create, copy, drop, rename), which the migrator runs with foreign keys off and checks.
std::vector<std::string> plan_changes(const schema_shape& target, const schema_shape& current, const renames& hints,
                                      db::backend dialect, std::vector<std::string>* review = nullptr);

/// Upgrade and downgrade between the models and the database `session` is connected to. Reads
/// inside the session's transaction and rolls it back. Empty when they agree.
task<generated_changes> autogenerate(db::session& session, const metadata& models);

}  // namespace keel::migrate

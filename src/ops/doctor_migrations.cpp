// doctor's migration checks: revisions not applied, an applied revision edited, two heads.
#include <fmt/format.h>

#include <keel/db/pool.hpp>
#include <keel/migrate/migrator.hpp>

#include "ops/doctor_checks.hpp"

namespace keel::ops::detail {

namespace {

namespace fs = std::filesystem;

std::vector<finding> migration_findings(const migrate::history& history, const migrate::applied_revisions& applied)
{
    std::vector<finding> out;
    try {
        history.verify(applied);
    } catch (const migrate::error& e) {
        out.push_back({severity::error, fmt::format("the database and the migrations folder disagree: {}", e.what()),
                       "keel refuses to upgrade or downgrade until they agree",
                       "restore the applied revision's file from version control, and put changes in a new revision"});
    }
    const auto heads = history.heads();
    if (heads.size() > 1)
        out.push_back({severity::warning, fmt::format("the migrations folder has {} heads ({})", heads.size(), fmt::join(heads, ", ")),
                       "`migrate upgrade head` refuses to choose between two branches of revisions",
                       "join them: APP migrate merge -m \"merge\""});
    std::vector<std::string> pending;
    for (const auto& step : history.upgrade_plan(applied, "heads"))
        pending.push_back(step.target->id + " " + step.target->message);
    if (!pending.empty())
        out.push_back({severity::warning,
                       fmt::format("{} revision(s) not applied to the database: {}", pending.size(), fmt::join(pending, "; ")),
                       "the code may use tables and columns that the database does not have yet",
                       "run APP migrate upgrade head in the deployment, before the new code serves (or MIGRATE_ON_START=true)"});
    return out;
}

}  // namespace

void check_migrations(const fs::path& folder, const db::database_settings& database, doctor_report& report)
{
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
        report.skipped.push_back("pending migrations: no migrations folder at " + folder.string());
        return;
    }
    const auto& url = database.database_url;
    if (url.kind() == db::backend::sqlite && (url.in_memory() || !fs::exists(url.path(), ec))) {
        report.skipped.push_back("pending migrations: the SQLite database " + url.redacted() + " does not exist yet");
        return;
    }
    try {
        const auto history = migrate::history::load(folder, url.kind());
        migrate::applied_revisions applied;
        migrate::run_on_migration_pool(database, {}, [&](const db::pool& pool) -> task<void> {
            const migrate::migrator reader(pool, history);
            applied = co_await reader.applied();
        });
        for (auto& f : migration_findings(history, applied))
            report.findings.push_back(std::move(f));
    } catch (const std::exception& e) {
        report.findings.push_back({severity::error, "cannot check the migrations: " + std::string(e.what()),
                                   "an upgrade would fail the same way", "correct the revision or the setting named above"});
    }
}

}  // namespace keel::ops::detail

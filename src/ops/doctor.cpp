#include <keel/ops/doctor.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <keel/db/pool.hpp>

#include "ops/doctor_checks.hpp"

namespace keel::ops {

namespace {

void append(std::vector<finding>& to, std::vector<finding> more)
{
    to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

void check_files(const std::filesystem::path& dir, doctor_report& report)
{
    if (auto env = detail::env_permission_finding(dir))
        report.findings.push_back(std::move(*env));
    const auto tracked = detail::tracked_files(dir);
    if (!tracked) {
        report.skipped.push_back("tracked files: " + dir.string() + " is not a git work tree (or git is not installed)");
        return;
    }
    append(report.findings, detail::tracked_env_findings(*tracked));
    append(report.findings, detail::committed_secret_findings(dir, *tracked));
}

void check_server(const db::database_settings& database, const deployment& deployed, doctor_report& report)
{
    try {
        const auto facts = detail::read_server_facts(database);
        append(report.findings, detail::server_findings(facts, db::pool::most_connections(database, deployed.threads),
                                                        std::max<std::size_t>(deployed.instances, 1)));
    } catch (const std::exception& e) {
        report.findings.push_back({severity::error, "cannot check the database: " + std::string(e.what()),
                                   "the server checks (connection budget, the app's role, indexes) need a connection, and so does the app",
                                   "start the server or correct DATABASE_URL, then run doctor again"});
    }
}

}  // namespace

bool doctor_report::has_errors() const
{
    return std::any_of(findings.begin(), findings.end(), [](const finding& f) { return f.level == severity::error; });
}

doctor_report run_doctor(const std::filesystem::path& dir, const db::database_settings& database, const deployment& deployed,
                         const std::filesystem::path& migrations)
{
    doctor_report report;
    check_files(dir, report);
    if (auto tls = detail::tls_finding(database))
        report.findings.push_back(std::move(*tls));
    if (database.database_url.kind() == db::backend::postgresql)
        check_server(database, deployed, report);
    detail::check_migrations(dir / migrations, database, report);  // an absolute `migrations` stays as it is
    return report;
}

std::string format_finding(const finding& f)
{
    return fmt::format("{}: {}\n  why: {}\n  fix: {}\n", f.level == severity::error ? "error" : "warning", f.what, f.why, f.fix);
}

}  // namespace keel::ops

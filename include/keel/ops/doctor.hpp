#pragma once
// `doctor`: checks a project and its database against the seed's pitfalls and says how to fix
// each one it finds.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace keel::db {
struct database_settings;
}

namespace keel::ops {

/// An error makes `doctor` exit non-zero; a warning is printed only.
enum class severity { warning, error };

/// One problem found: what it is, why it matters, and how to fix it.
struct finding {
    severity level = severity::error;
    std::string what;
    std::string why;
    std::string fix;
};

/// How the application is deployed, for the connection budget.
struct deployment {
    /// I/O threads per process (THREADS; 0: one per core).
    std::size_t threads = 0;
    /// Processes sharing the database server (INSTANCES, or --instances).
    std::size_t instances = 1;
};

/// What one doctor run found, and the checks it could not run (with the reason).
struct doctor_report {
    std::vector<finding> findings;
    std::vector<std::string> skipped;
    bool has_errors() const;
};

/// Checks the project in `dir` (a .env tracked by git or readable by others, passwords in tracked
/// files), the database URL (TLS to a non-local host) and, for PostgreSQL, the server it reaches
/// (the connection budget, a superuser or schema owner as the app's role, foreign keys without an
/// index), and the revisions in `migrations` (relative to `dir` unless absolute) that the database
/// lacks, or has edited. Blocking: it runs git and connects to the database. Never throws for what
/// it checks: a server that does not answer is itself a finding.
doctor_report run_doctor(const std::filesystem::path& dir, const db::database_settings& database, const deployment& deployed,
                         const std::filesystem::path& migrations = "migrations");

/// A finding as printed: "error: WHAT\n  why: WHY\n  fix: FIX\n".
std::string format_finding(const finding& f);

}  // namespace keel::ops

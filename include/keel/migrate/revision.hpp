#pragma once
// A revision file: plain SQL a person reviews and edits, one file per dialect.
//
//   -- keel revision 3f2a9c1b7d04
//   -- parents: 1a2b3c4d5e6f
//   -- message: add email to users
//   -- created: 2026-12-03T08:10:00Z
//   -- dialect: postgresql
//
//   -- upgrade
//   ALTER TABLE "users" ADD COLUMN "email" TEXT;
//
//   -- downgrade
//   ALTER TABLE "users" DROP COLUMN "email";
//
// The header's lines come first; "-- upgrade" and "-- downgrade" alone on a line open the
// sections. A first revision has no parents; a merge has two or more.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <keel/core/error.hpp>
#include <keel/db/url.hpp>

namespace keel::migrate {

/// A migrations folder or command that cannot be used as it is: the message says what to fix.
/// Nothing was changed in the database when it is thrown.
class error : public keel::error {
public:
    using keel::error::error;
};

struct revision {
    std::string id;
    std::vector<std::string> parents;
    std::string message;
    std::string created;  // ISO 8601, UTC
    db::backend dialect = db::backend::sqlite;
    std::vector<std::string> upgrade, downgrade;  // statements, without their final ';'
    /// SHA-256 (hex) of the file's text, line endings normalised: recorded when applied, so that
    /// an applied revision edited afterwards is noticed.
    std::string checksum;
    std::filesystem::path file;
};

/// "sqlite" or "postgresql": the dialect's name in revision files and file names.
std::string_view dialect_name(db::backend dialect);
/// Throws migrate::error for a name that is neither.
db::backend parse_dialect(std::string_view name);

/// Reads a revision file's text; throws migrate::error naming `file` and the line at fault.
revision parse_revision(std::string_view text, const std::filesystem::path& file = {});
/// The file's text for `r` (its statements each end with ";"); parse_revision reads it back.
std::string format_revision(const revision& r);

/// Splits SQL into statements at the semicolons that end them: not those inside quotes,
/// comments, dollar-quoted bodies ($$ … $$, PostgreSQL) or a trigger's BEGIN … END (SQLite).
/// Statements that hold nothing but comments are dropped.
std::vector<std::string> split_statements(std::string_view sql, db::backend dialect);

/// The line that, in the comments before a statement, makes it run outside the revision's
/// transaction, on its own: what PostgreSQL refuses inside one (CREATE INDEX CONCURRENTLY), or a
/// step that must commit before the next begins (VALIDATE CONSTRAINT after NOT VALID).
inline constexpr std::string_view no_transaction_marker = "-- keel: no-transaction";
bool outside_transaction(std::string_view statement);
/// `statement` from its first line that is not a comment (empty when it is all comments).
std::string_view statement_code(std::string_view statement);

/// The lowercase hex SHA-256 of `text` with CRLF read as LF.
std::string checksum_of(std::string_view text);

}  // namespace keel::migrate

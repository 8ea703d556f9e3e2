#pragma once
// A SQLite database file handled whole, outside any pool: a backup read without changing it, and
// a backup copied over a live database (a restore).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <keel/db/result.hpp>

namespace keel::db::sqlite {

/// Runs `sql` on the database at `path` opened read-only: the file and its journal stay as they
/// were (no WAL switch, no -wal file). Throws db::error (connection_error for a missing file or
/// one that is not a database).
result read_only_query(const std::string& path, const std::string& sql);

/// Makes the database at `to` a page-for-page copy of the one at `from` (SQLite's online backup
/// API) in one write transaction on `to`: its other connections see the old database or the new
/// one, whole. Waits at most `busy_timeout` for `to`'s write lock. `copied(pages done, pages in
/// all)` after each step. Throws db::error; `to` is then as it was.
void copy_database(const std::string& from, const std::string& to, std::chrono::milliseconds busy_timeout,
                   const std::function<void(std::uint64_t done, std::uint64_t total)>& copied);

}  // namespace keel::db::sqlite

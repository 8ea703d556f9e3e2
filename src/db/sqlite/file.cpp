#include "db/sqlite/file.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "db/sqlite/connection.hpp"

namespace keel::db::sqlite {

namespace {

/// `path` as a read-only file: URI; the characters a URI gives a meaning are escaped.
std::string read_only_uri(const std::string& path)
{
    std::string uri = "file:";
    for (const char c : path) {
        if (c == '?' || c == '#' || c == '%' || static_cast<unsigned char>(c) < 0x21)
            uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        else
            uri += c;
    }
    return uri + "?mode=ro";
}

constexpr int pages_per_step = 256;  // 1 MiB of 4 KiB pages between two progress reports

}  // namespace

result read_only_query(const std::string& path, const std::string& sql)
{
    connection file(read_only_uri(path), true, std::chrono::milliseconds(0));
    return file.run(sql, {});
}

void copy_database(const std::string& from, const std::string& to, std::chrono::milliseconds busy_timeout,
                   const std::function<void(std::uint64_t done, std::uint64_t total)>& copied)
{
    connection source(read_only_uri(from), true, std::chrono::milliseconds(0));
    connection destination(to, false, busy_timeout);
    sqlite3_backup* backup = sqlite3_backup_init(destination.handle(), "main", source.handle(), "main");
    if (!backup)
        throw_error(destination.handle(), sqlite3_errcode(destination.handle()));
    for (;;) {
        const int rc = sqlite3_backup_step(backup, pages_per_step);
        if (rc != SQLITE_OK && rc != SQLITE_DONE) {
            sqlite3_backup_finish(backup);  // rolls the destination back; its connection keeps rc
            throw_error(destination.handle(), rc);
        }
        const auto total = static_cast<std::uint64_t>(sqlite3_backup_pagecount(backup));
        if (copied)
            copied(total - static_cast<std::uint64_t>(sqlite3_backup_remaining(backup)), total);
        if (rc == SQLITE_DONE)
            break;
    }
    if (const int rc = sqlite3_backup_finish(backup); rc != SQLITE_OK)
        throw_error(destination.handle(), rc);
}

}  // namespace keel::db::sqlite

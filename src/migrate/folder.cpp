// Making the migrations folder and writing new revision files into it.
#include <keel/migrate/folder.hpp>

#include <chrono>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include <keel/core/time.hpp>

namespace keel::migrate {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view readme = R"(# Migrations

Each revision is a pair of SQL files, one per dialect (`*.sqlite.sql`, `*.postgresql.sql`), with
an upgrade and a downgrade section. The database URL comes from the settings (DATABASE_URL, .env),
never from this folder. The application's commands:

    APP migrate revision --autogenerate -m "add email"   # written from the models: review it
    APP migrate revision -m "add email"   # a new, empty revision after the current head
    APP migrate lint                      # what the pending revisions lock, rewrite or break
    APP migrate upgrade head              # apply what the database lacks (--sql: print it instead)
    APP migrate check                     # models and database agree? (exit 1 if not: for CI)
    APP migrate downgrade -1              # undo the last one
    APP migrate current | history | heads
    APP migrate stamp REV                 # record REV as applied without running it
    APP migrate merge -m "join"           # one head again after two branches

keel records each applied revision with a checksum of its file: edit a revision before it is
applied anywhere, and put later changes in a new one.
)";

std::string slug(std::string_view message)
{
    std::string out;
    for (char c : message) {
        const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
        if (word)
            out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        else if (!out.empty() && out.back() != '_')
            out += '_';
        if (out.size() >= 40)
            break;
    }
    while (!out.empty() && out.back() == '_')
        out.pop_back();
    return out.empty() ? "revision" : out;
}

std::string file_name(const revision& r)
{
    // created is "YYYY-MM-DDTHH:MM:SSZ": the file name keeps its digits up to the minute.
    std::string stamp;
    for (char c : r.created.substr(0, 16))
        if (c >= '0' && c <= '9')
            stamp += c;
    return fmt::format("{}_{}_{}_{}.{}.sql", stamp.substr(0, 8), stamp.substr(8), r.id, slug(r.message), dialect_name(r.dialect));
}

}  // namespace

void init_folder(const fs::path& folder)
{
    std::error_code ec;
    if (fs::exists(folder, ec) && !fs::is_empty(folder, ec))
        throw error(fmt::format("{} already exists and is not empty: `migrate init` makes a new folder", folder.string()));
    fs::create_directories(folder, ec);
    if (ec)
        throw error(fmt::format("cannot create {}: {}", folder.string(), ec.message()));
    std::ofstream(folder / "README.md") << readme;
}

std::vector<revision> new_revision(std::string message, std::vector<std::string> parents, const std::vector<db::backend>& dialects)
{
    for (char& c : message)  // the header holds it on one line
        if (c == '\n' || c == '\r')
            c = ' ';
    std::random_device entropy;
    std::uniform_int_distribution<std::uint64_t> twelve_hex_digits(0, (std::uint64_t(1) << 48) - 1);
    const std::string id = fmt::format("{:012x}", twelve_hex_digits(entropy));
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    std::vector<revision> out;
    for (const auto dialect : dialects) {
        revision r;
        r.id = id;
        r.parents = parents;
        r.message = message;
        r.created = format_iso8601(timestamp(now));
        r.dialect = dialect;
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<fs::path> write_revision(const fs::path& folder, const std::vector<revision>& files)
{
    std::vector<fs::path> out;
    for (const auto& r : files) {
        const fs::path path = folder / file_name(r);
        std::error_code ec;
        if (fs::exists(path, ec))
            throw error(fmt::format("{} exists already", path.string()));
        std::ofstream file(path, std::ios::binary);
        file << format_revision(r);
        if (!file.flush())
            throw error(fmt::format("cannot write {}", path.string()));
        out.push_back(path);
    }
    return out;
}

}  // namespace keel::migrate

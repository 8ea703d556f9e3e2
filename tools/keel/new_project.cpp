#include "new_project.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include <keel/core/error.hpp>
#include <keel/migrate/folder.hpp>
#include <keel/migrate/revision.hpp>

namespace keel::tool {

namespace fs = std::filesystem;

namespace {

/// Names a project cannot take: its namespace would be a C++ keyword or clash with keel's, std's
/// or Boost's, or its binary a target CMake reserves.
bool reserved(std::string_view identifier)
{
    static constexpr std::string_view names[] = {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
        "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
        "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
        "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
        "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
        "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
        "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
        "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
        "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
        "keel", "std", "boost", "main", "all", "clean", "help", "install", "test", "package", "edit_cache"};
    return std::find(std::begin(names), std::end(names), identifier) != std::end(names);
}

std::string identifier_of(const std::string& name)
{
    static const std::regex valid("[a-z][a-z0-9_-]{0,62}");
    if (!std::regex_match(name, valid))
        throw keel::error(fmt::format("'{}' cannot name a project: use 1 to 63 lowercase letters, digits, '-' and "
                                      "'_', starting with a letter (it names the binary and the C++ namespace)",
                                      name));
    std::string identifier = name;
    std::replace(identifier.begin(), identifier.end(), '-', '_');
    if (reserved(identifier) || identifier.find("__") != std::string::npos)
        throw keel::error(fmt::format("'{}' cannot name a project: '{}' is reserved (C++, keel, std, Boost or CMake; or has '__')",
                                      name, identifier));
    return identifier;
}

/// The keel this program belongs to: PREFIX when it runs as PREFIX/bin/keel of an installed keel.
std::optional<fs::path> installed_prefix()
{
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        return std::nullopt;
    const auto prefix = self.parent_path().parent_path();
    if (fs::is_directory(prefix / "share/keel/templates/service", ec))
        return prefix;
    return std::nullopt;
}

fs::path template_directory(const std::optional<fs::path>& prefix)
{
    const fs::path dir = prefix ? *prefix / "share/keel/templates/service" : fs::path(KEEL_TEMPLATES_DIR) / "service";
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw keel::error(fmt::format("the project template is missing: {} (reinstall keel)", dir.string()));
    return dir;
}

/// `text` with each {{key}} replaced; throws on a {{key}} it does not know (a broken template).
std::string fill(std::string text, const std::map<std::string, std::string>& values, const fs::path& file)
{
    for (const auto& [key, value] : values) {
        const std::string marker = "{{" + key + "}}";
        for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + value.size()))
            text.replace(at, marker.size(), value);
    }
    static const std::regex placeholder(R"(\{\{[a-z_]+\}\})");
    if (std::smatch left; std::regex_search(text, left, placeholder))
        throw keel::error(fmt::format("the template's {} has an unknown placeholder: {}", file.string(), left.str()));
    return text;
}

/// `text` as one shell word: as it is when it needs no quotes, else in single quotes.
std::string shell_quoted(const std::string& text)
{
    static const std::regex plain("[A-Za-z0-9_./:+-]+");
    if (std::regex_match(text, plain))
        return text;
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string read_text(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in)
        throw keel::error("cannot read " + file.string());
    return text.str();
}

void write_text(const fs::path& file, const std::string& text)
{
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out.flush())
        throw keel::error("cannot write " + file.string());
}

/// The template's revision, one file per dialect (migrations/initial.DIALECT.sql), written into
/// the project's new migrations folder as a revision of its own: a fresh id, made now.
void write_first_revision(const fs::path& template_migrations, const fs::path& folder)
{
    migrate::init_folder(folder);
    std::vector<migrate::revision> templates;
    std::vector<db::backend> dialects;
    for (const auto dialect : {db::backend::sqlite, db::backend::postgresql}) {
        const auto file = template_migrations / fmt::format("initial.{}.sql", migrate::dialect_name(dialect));
        templates.push_back(migrate::parse_revision(read_text(file), file));
        dialects.push_back(dialect);
    }
    auto files = migrate::new_revision(templates.front().message, {}, dialects);
    for (std::size_t i = 0; i < files.size(); ++i) {
        files[i].upgrade = std::move(templates[i].upgrade);
        files[i].downgrade = std::move(templates[i].downgrade);
    }
    migrate::write_revision(folder, files);
}

void fill_template(const fs::path& from, const fs::path& into, const std::map<std::string, std::string>& values)
{
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(from))
        if (entry.is_regular_file() && entry.path().parent_path() != from / "migrations")
            files.push_back(entry.path());
    for (const auto& file : files)
        write_text(into / fs::relative(file, from), fill(read_text(file), values, file));
    write_first_revision(from / "migrations", into / "migrations");
}

}  // namespace

made_project new_project(const new_project_options& options)
{
    const auto identifier = identifier_of(options.name);
    // `/ ""` then parent_path(): "services/todo/" and "services/todo" name the same directory.
    const auto target = (fs::absolute(options.directory.empty() ? fs::path(options.name) : options.directory).lexically_normal() / "")
                            .parent_path();
    std::error_code ec;
    if (fs::exists(target, ec))
        throw keel::error(fmt::format("{} already exists: `keel new` makes a new directory", target.string()));
    if (!fs::is_directory(target.parent_path(), ec))
        throw keel::error(fmt::format("{} is not a directory", target.parent_path().string()));
    const auto prefix = installed_prefix();
    const auto prefix_option = prefix ? " -DCMAKE_PREFIX_PATH=" + shell_quoted(prefix->string()) : std::string();
    const std::map<std::string, std::string> values = {
        {"name", options.name}, {"identifier", identifier}, {"keel_version", KEEL_COMPATIBLE_VERSION},
        {"cmake_prefix_option", prefix_option}};

    const auto staging = target.parent_path() / fmt::format(".{}.keel-new-{}", target.filename().string(), ::getpid());
    try {
        fill_template(template_directory(prefix), staging, values);
        // Not fs::rename: it would replace a directory made at `target` meanwhile, if empty.
        if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0)
            throw fs::filesystem_error("rename", staging, target, std::error_code(errno, std::generic_category()));
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(staging, ec);
        throw keel::error(fmt::format("cannot make {}: {}", target.string(), e.what()));
    } catch (...) {
        fs::remove_all(staging, ec);
        throw;
    }
    return {target, "cmake -S . -B build" + prefix_option};
}

}  // namespace keel::tool

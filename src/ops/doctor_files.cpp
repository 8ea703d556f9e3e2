// doctor's checks on a project's files: secrets that git tracks, and a .env others can read.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <re2/re2.h>

#include "ops/doctor_checks.hpp"

extern char** environ;

namespace keel::ops::detail {

namespace fs = std::filesystem;

namespace {

// Larger files and files with a NUL byte (binaries) are not scanned.
constexpr std::size_t max_scanned_bytes = 1 << 20;

bool is_placeholder(std::string_view value)
{
    static constexpr std::array<std::string_view, 3> examples{"change-me", "changeme", "change_me"};
    return value.empty() || value.find_first_of("$<{%*") == 0 ||
           std::find(examples.begin(), examples.end(), value) != examples.end();
}

// Runs `git -C dir ls-files -z`; nullopt when it fails (not a work tree, no git).
std::optional<std::string> git_ls_files(const fs::path& dir)
{
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string dir_text = dir.string();
    std::array<char*, 6> argv{const_cast<char*>("git"), const_cast<char*>("-C"), dir_text.data(),
                              const_cast<char*>("ls-files"), const_cast<char*>("-z"), nullptr};
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string listing;
    char buf[4096];
    for (ssize_t n; spawned == 0 && (n = ::read(out[0], buf, sizeof buf)) > 0;)
        listing.append(buf, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    if (spawned != 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return std::nullopt;
    return listing;
}

std::optional<std::string> read_text_file(const fs::path& file)
{
    std::error_code ec;
    if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) > max_scanned_bytes || ec)
        return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || text.str().find('\0') != std::string::npos)
        return std::nullopt;
    return text.str();
}

bool is_env_file(const fs::path& path)
{
    const std::string name = path.filename().string();
    if (name != ".env" && !name.starts_with(".env."))
        return false;
    const std::string ext = path.extension().string();
    return ext != ".example" && ext != ".sample" && ext != ".template" && ext != ".dist";
}

}  // namespace

std::vector<secret_line> find_secrets(std::string_view text)
{
    static const RE2 url_password(R"re([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'"]*:([^\s/@'"]+)@)re");
    static const RE2 assignment(R"re(\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET_KEY))[ \t]*[=:][ \t]*["']?([^\s"'#,;]*))re");
    std::vector<secret_line> found;
    std::size_t number = 0;
    for (std::size_t start = 0; start <= text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = text.substr(start, end - start);
        ++number;
        std::string name, value;
        if (RE2::PartialMatch(line, url_password, &value) && !is_placeholder(value))
            found.push_back({number, "a URL with a password"});
        else if (RE2::PartialMatch(line, assignment, &name, &value) && !is_placeholder(value))
            found.push_back({number, name});
        start = end + 1;
    }
    return found;
}

std::optional<std::vector<std::string>> tracked_files(const fs::path& dir)
{
    auto listing = git_ls_files(dir);
    if (!listing)
        return std::nullopt;
    std::vector<std::string> files;
    for (std::size_t start = 0, end; (end = listing->find('\0', start)) != std::string::npos; start = end + 1)
        files.push_back(listing->substr(start, end - start));
    return files;
}

std::vector<finding> tracked_env_findings(const std::vector<std::string>& tracked)
{
    std::vector<finding> found;
    for (const auto& file : tracked)
        if (is_env_file(file))
            found.push_back({severity::error, file + " is tracked by git",
                             "everyone with a clone of the repository (and its history) reads the secrets in it",
                             fmt::format("git rm --cached {0} && echo '{0}' >> .gitignore, commit, then change every "
                                         "password and key it held (the history keeps the old ones)",
                                         file)});
    return found;
}

std::optional<finding> env_permission_finding(const fs::path& dir)
{
    std::error_code ec;
    const auto status = fs::status(dir / ".env", ec);
    if (ec || !fs::is_regular_file(status))
        return std::nullopt;
    const auto open_to_others = status.permissions() & (fs::perms::group_all | fs::perms::others_all);
    if (open_to_others == fs::perms::none)
        return std::nullopt;
    return finding{severity::error,
                   fmt::format(".env has mode {:o}: its group or other users may read it",
                               static_cast<unsigned>(status.permissions() & fs::perms::mask)),
                   "any account on this machine (or in its group) can read the database password and keys in it",
                   "chmod 600 .env"};
}

std::vector<finding> committed_secret_findings(const fs::path& dir, const std::vector<std::string>& tracked)
{
    std::vector<finding> found;
    for (const auto& file : tracked) {
        const auto text = read_text_file(dir / file);
        if (!text)
            continue;
        const auto secrets = find_secrets(*text);
        if (secrets.empty())
            continue;
        std::string where;
        for (const auto& s : secrets)
            where += fmt::format("{}line {} ({})", where.empty() ? "" : ", ", s.line, s.kind);
        found.push_back({severity::error, fmt::format("a secret in tracked file {}: {}", file, where),
                         "a committed password is read by everyone with the repository and stays in its history",
                         "read it from the environment or a *_FILE secret instead (DATABASE_URL from .env, "
                         "which git ignores), then change the password: the history keeps the old one"});
    }
    return found;
}

}  // namespace keel::ops::detail

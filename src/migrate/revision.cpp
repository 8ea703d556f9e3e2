// Revision files: the header, the two sections, statement splitting and the checksum.
#include <keel/migrate/revision.hpp>

#include <cctype>
#include <optional>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/ascii.hpp"

namespace keel::migrate {

namespace {

std::string_view trim(std::string_view s) { return keel::detail::trim(s, " \t\r\n\f\v"); }

std::vector<std::string> words(std::string_view s)
{
    std::vector<std::string> out;
    std::string current;
    for (char c : s) {
        if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
            if (!current.empty())
                out.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty())
        out.push_back(std::move(current));
    return out;
}

bool valid_id(std::string_view id)
{
    if (id.empty() || id.size() > 64)
        return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return false;
    return true;
}

/// The SQL scanner behind split_statements: one pass, remembering only what a ';' depends on.
class statement_splitter {
public:
    explicit statement_splitter(std::string_view sql) : sql_(sql) {}

    std::vector<std::string> split()
    {
        while (at_ < sql_.size()) {
            const char c = sql_[at_];
            if (c == '\'' || c == '"' || c == '`')
                skip_quoted(c);
            else if (c == '-' && next() == '-')
                skip_until("\n");
            else if (c == '/' && next() == '*')
                skip_block_comment();
            else if (c == '$' && dollar_tag())
                skip_until(*dollar_tag());
            else if (c == ';' && !inside_trigger_body())
                finish(at_++);
            else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_')
                read_word();
            else
                ++at_;
        }
        finish(sql_.size());
        return std::move(out_);
    }

private:
    char next() const { return at_ + 1 < sql_.size() ? sql_[at_ + 1] : '\0'; }

    void skip_quoted(char quote)
    {
        for (++at_; at_ < sql_.size(); ++at_)
            if (sql_[at_] == quote) {
                if (next() != quote) {
                    ++at_;
                    return;
                }
                ++at_;  // a doubled quote stands for itself
            }
    }
    void skip_until(std::string_view end)
    {
        const auto found = sql_.find(end, at_ + 1);
        at_ = found == std::string_view::npos ? sql_.size() : found + end.size();
    }
    void skip_block_comment()  // PostgreSQL nests them
    {
        int depth = 0;
        while (at_ < sql_.size()) {
            if (sql_.compare(at_, 2, "/*") == 0)
                ++depth, at_ += 2;
            else if (sql_.compare(at_, 2, "*/") == 0) {
                at_ += 2;
                if (--depth == 0)
                    return;
            } else
                ++at_;
        }
    }
    /// "$tag$" or "$$" starting here; a parameter such as $1 is not one.
    std::optional<std::string> dollar_tag() const
    {
        std::size_t end = at_ + 1;
        while (end < sql_.size() && (std::isalnum(static_cast<unsigned char>(sql_[end])) || sql_[end] == '_'))
            ++end;
        if (end >= sql_.size() || sql_[end] != '$' || (end > at_ + 1 && std::isdigit(static_cast<unsigned char>(sql_[at_ + 1]))))
            return std::nullopt;
        return std::string(sql_.substr(at_, end - at_ + 1));
    }
    void read_word()
    {
        const std::size_t start = at_;
        while (at_ < sql_.size() && (std::isalnum(static_cast<unsigned char>(sql_[at_])) || sql_[at_] == '_'))
            ++at_;
        std::string word(sql_.substr(start, at_ - start));
        for (char& c : word)
            c = keel::detail::ascii_lower(c);
        if (words_.size() < 3)
            words_.push_back(word);
        last_word_ = std::move(word);
    }
    /// SQLite's CREATE [TEMP] TRIGGER … BEGIN …; …; END: only the ';' after END ends it.
    bool inside_trigger_body() const
    {
        const bool trigger = words_.size() >= 2 && words_[0] == "create" &&
                             (words_[1] == "trigger" || (words_.size() == 3 && words_[2] == "trigger"));
        return trigger && last_word_ != "end";
    }
    void finish(std::size_t end)
    {
        std::string statement(trim(sql_.substr(begin_, end - begin_)));
        begin_ = end + 1;
        words_.clear();
        last_word_.clear();
        if (!only_comments(statement))
            out_.push_back(std::move(statement));
    }
    static bool only_comments(std::string_view s)
    {
        for (std::string_view line = s; !line.empty();) {
            const auto newline = line.find('\n');
            const auto text = trim(line.substr(0, newline));
            if (!text.empty() && !text.starts_with("--"))
                return false;
            line = newline == std::string_view::npos ? std::string_view{} : line.substr(newline + 1);
        }
        return true;
    }

    std::string_view sql_;
    std::size_t at_ = 0, begin_ = 0;
    std::vector<std::string> words_;  // the statement's first three words, lowercase
    std::string last_word_;
    std::vector<std::string> out_;
};

struct header_line {
    std::string_view key, value;
};
std::optional<header_line> header_of(std::string_view line)
{
    if (!line.starts_with("--"))
        return std::nullopt;
    line = trim(line.substr(2));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    return header_line{trim(line.substr(0, colon)), trim(line.substr(colon + 1))};
}

[[noreturn]] void fail(const std::filesystem::path& file, std::size_t line, std::string_view what)
{
    throw error(fmt::format("{}:{}: {}", file.empty() ? "revision" : file.string(), line, what));
}

void read_header(revision& r, std::string_view line, std::size_t number, const std::filesystem::path& file)
{
    const auto header = header_of(line);
    if (!header)
        return;  // a comment of the author's
    if (header->key == "parents")
        r.parents = words(header->value);
    else if (header->key == "message")
        r.message = header->value;
    else if (header->key == "created")
        r.created = header->value;
    else if (header->key == "dialect") {
        try {
            r.dialect = parse_dialect(header->value);
        } catch (const error& e) {
            fail(file, number, e.what());
        }
    }
}

}  // namespace

std::string_view dialect_name(db::backend dialect)
{
    return dialect == db::backend::postgresql ? "postgresql" : "sqlite";
}

db::backend parse_dialect(std::string_view name)
{
    if (name == "sqlite")
        return db::backend::sqlite;
    if (name == "postgresql")
        return db::backend::postgresql;
    throw error(fmt::format("unknown dialect '{}': use sqlite or postgresql", name));
}

std::vector<std::string> split_statements(std::string_view sql)
{
    return statement_splitter(sql).split();
}

revision parse_revision(std::string_view text, const std::filesystem::path& file)
{
    revision r;
    r.file = file;
    r.checksum = checksum_of(text);
    enum class part { header, upgrade, downgrade } in = part::header;
    std::string sections[2];
    bool seen[2] = {false, false};
    std::size_t number = 0;
    for (std::string_view rest = text; !rest.empty() || number == 0;) {
        const auto newline = rest.find('\n');
        const std::string_view line = rest.substr(0, newline);
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
        ++number;
        const auto trimmed = trim(line);
        if (number == 1) {
            const std::string_view prefix = "-- keel revision ";
            if (!trimmed.starts_with(prefix) || !valid_id(trim(trimmed.substr(prefix.size()))))
                fail(file, 1, "not a keel revision: the first line must be '-- keel revision ID' (letters, digits, _ and -)");
            r.id = trim(trimmed.substr(prefix.size()));
            continue;
        }
        if (trimmed == "-- upgrade" || trimmed == "-- downgrade") {
            const int which = trimmed == "-- upgrade" ? 0 : 1;
            if (seen[which] || (which == 0 && seen[1]))
                fail(file, number, fmt::format("'{}' again or out of order: a revision has one upgrade section, then one downgrade section", trimmed));
            seen[which] = true;
            in = which == 0 ? part::upgrade : part::downgrade;
            continue;
        }
        if (in == part::header)
            read_header(r, trimmed, number, file);
        else
            (sections[in == part::upgrade ? 0 : 1] += line) += '\n';
    }
    if (!seen[0] || !seen[1])
        fail(file, number, "a revision needs an '-- upgrade' and a '-- downgrade' line (a section may be empty)");
    for (const auto& parent : r.parents)
        if (!valid_id(parent) || parent == r.id)
            fail(file, 2, fmt::format("parent '{}' is not a revision id", parent));
    r.upgrade = split_statements(sections[0]);
    r.downgrade = split_statements(sections[1]);
    return r;
}

std::string format_revision(const revision& r)
{
    std::string out = fmt::format("-- keel revision {}\n-- parents:{}{}\n-- message: {}\n-- created: {}\n-- dialect: {}\n", r.id,
                                  r.parents.empty() ? "" : " ", fmt::join(r.parents, " "), r.message, r.created, dialect_name(r.dialect));
    out += "--\n-- Each section runs in one transaction. keel records a checksum of this file when it is\n"
           "-- applied and refuses an applied revision that was edited afterwards.\n";
    const auto section = [&](std::string_view name, const std::vector<std::string>& statements) {
        out += fmt::format("\n-- {}\n", name);
        for (const auto& statement : statements)
            out += statement + ";\n";
    };
    section("upgrade", r.upgrade);
    section("downgrade", r.downgrade);
    return out;
}

std::string checksum_of(std::string_view text)
{
    std::string normalised;
    normalised.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
            normalised += text[i];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(normalised.data(), normalised.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw error("SHA-256 is not available from OpenSSL");
    std::string hex;
    for (unsigned int i = 0; i < length; ++i)
        hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace keel::migrate

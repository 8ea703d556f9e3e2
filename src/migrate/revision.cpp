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
    statement_splitter(std::string_view sql, db::backend dialect) : sql_(sql), sqlite_(dialect == db::backend::sqlite) {}

    std::vector<std::string> split()
    {
        while (at_ < sql_.size()) {
            const char c = sql_[at_];
            if (c == '-' && next() == '-')
                skip_until("\n", at_ + 2);
            else if (c == '/' && next() == '*')
                skip_block_comment();
            else if (c == ';' && trigger_depth_ == 0)
                finish(at_++);
            else
                read_code(c);
        }
        finish(sql_.size());
        return std::move(out_);
    }

private:
    char next() const { return at_ + 1 < sql_.size() ? sql_[at_ + 1] : '\0'; }

    /// Anything but a comment or a ';' that ends the statement: the statement holds code.
    void read_code(char c)
    {
        if (!std::isspace(static_cast<unsigned char>(c)))
            has_code_ = true;
        if (c == '\'' || c == '"' || c == '`')
            skip_quoted(c);
        else if (const auto tag = c == '$' && !sqlite_ ? dollar_tag() : std::nullopt)
            skip_until(*tag, at_ + tag->size());
        else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_')
            read_word();
        else
            ++at_;
    }
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
    void skip_until(std::string_view end, std::size_t from)
    {
        const auto found = sql_.find(end, std::min(from, sql_.size()));
        at_ = found == std::string_view::npos ? sql_.size() : found + end.size();
    }
    void skip_block_comment()  // PostgreSQL nests them, SQLite does not
    {
        int depth = 0;
        while (at_ < sql_.size()) {
            if (sql_.compare(at_, 2, "/*") == 0 && (depth == 0 || !sqlite_))
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
        track_trigger_body(word);
    }
    /// SQLite's CREATE [TEMP] TRIGGER … BEGIN …; …; END: the ';'s inside its body (and inside a
    /// CASE … END there) do not end it; the one after the END that closes BEGIN does.
    void track_trigger_body(const std::string& word)
    {
        const bool trigger = sqlite_ && words_.size() >= 2 && words_[0] == "create" &&
                             (words_[1] == "trigger" || (words_.size() == 3 && words_[2] == "trigger"));
        if (!trigger)
            return;
        if (word == "begin" || (word == "case" && trigger_depth_ > 0))
            ++trigger_depth_;
        else if (word == "end" && trigger_depth_ > 0)
            --trigger_depth_;
    }
    void finish(std::size_t end)
    {
        std::string statement(trim(sql_.substr(begin_, end - begin_)));
        if (has_code_)
            out_.push_back(std::move(statement));
        begin_ = end + 1;
        words_.clear();
        trigger_depth_ = 0;
        has_code_ = false;
    }

    std::string_view sql_;
    bool sqlite_;
    std::size_t at_ = 0, begin_ = 0;
    std::vector<std::string> words_;  // the statement's first three words, lowercase
    int trigger_depth_ = 0;
    bool has_code_ = false;
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

/// The header's lines: where parents and dialect were given (both must be), checked as they come.
class header_reader {
public:
    header_reader(revision& r, const std::filesystem::path& file) : r_(r), file_(file) {}

    void read(std::string_view line, std::size_t number)
    {
        if (!line.empty() && !line.starts_with("--"))
            fail(file_, number, "SQL before the '-- upgrade' line: statements go in the upgrade or downgrade section");
        const auto header = header_of(line);
        if (!header)
            return;  // a comment of the author's
        if (header->key == "parents")
            read_parents(header->value, number);
        else if (header->key == "message")
            r_.message = header->value;
        else if (header->key == "created")
            r_.created = header->value;
        else if (header->key == "dialect")
            read_dialect(header->value, number);
    }
    void finish(std::size_t last_line) const
    {
        if (!parents_line_)
            fail(file_, last_line, "no '-- parents:' line in the header (it is empty for the first revision)");
        if (!dialect_line_)
            fail(file_, last_line, "no '-- dialect:' line in the header (sqlite or postgresql)");
    }

private:
    void read_parents(std::string_view value, std::size_t number)
    {
        parents_line_ = number;
        r_.parents = words(value);
        for (const auto& parent : r_.parents)
            if (!valid_id(parent) || parent == r_.id)
                fail(file_, number, fmt::format("parent '{}' is not a revision id", parent));
    }
    void read_dialect(std::string_view value, std::size_t number)
    {
        dialect_line_ = number;
        try {
            r_.dialect = parse_dialect(value);
        } catch (const error& e) {
            fail(file_, number, e.what());
        }
    }

    revision& r_;
    const std::filesystem::path& file_;
    std::size_t parents_line_ = 0, dialect_line_ = 0;
};

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

std::vector<std::string> split_statements(std::string_view sql, db::backend dialect)
{
    return statement_splitter(sql, dialect).split();
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
    header_reader header(r, file);
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
            header.read(trimmed, number);
        else
            (sections[in == part::upgrade ? 0 : 1] += line) += '\n';
    }
    if (!seen[0] || !seen[1])
        fail(file, number, "a revision needs an '-- upgrade' and a '-- downgrade' line (a section may be empty)");
    header.finish(number);
    r.upgrade = split_statements(sections[0], r.dialect);
    r.downgrade = split_statements(sections[1], r.dialect);
    return r;
}

std::string format_revision(const revision& r)
{
    std::string out = fmt::format("-- keel revision {}\n-- parents:{}{}\n-- message: {}\n-- created: {}\n-- dialect: {}\n", r.id,
                                  r.parents.empty() ? "" : " ", fmt::join(r.parents, " "), r.message, r.created, dialect_name(r.dialect));
    out += "--\n-- Each section runs in one transaction, but for a statement after a line `-- keel: no-transaction`,\n"
           "-- which runs on its own. `-- keel: accept RULE` before a statement accepts a lint finding. keel\n"
           "-- records a checksum of this file when it is applied and refuses it edited afterwards.\n";
    const auto section = [&](std::string_view name, const std::vector<std::string>& statements) {
        out += fmt::format("\n-- {}\n", name);
        for (const auto& statement : statements)
            out += statement + ";\n";
    };
    section("upgrade", r.upgrade);
    section("downgrade", r.downgrade);
    return out;
}

bool outside_transaction(std::string_view statement)
{
    for (std::size_t start = 0; start < statement.size();) {
        const auto end = std::min(statement.find('\n', start), statement.size());
        const auto line = trim(statement.substr(start, end - start));
        if (line == no_transaction_marker)
            return true;
        if (!line.empty() && !line.starts_with("--"))
            return false;  // only the comments before the statement count
        start = end + 1;
    }
    return false;
}

std::string_view statement_code(std::string_view statement)
{
    for (std::size_t start = 0; start < statement.size();) {
        const auto end = std::min(statement.find('\n', start), statement.size());
        const auto line = trim(statement.substr(start, end - start));
        if (!line.empty() && !line.starts_with("--"))
            return trim(statement.substr(start));
        start = end + 1;
    }
    return {};
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

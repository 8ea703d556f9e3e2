#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <keel/core/secret_names.hpp>

namespace keel::db {

enum class backend { sqlite, postgresql };

/// A parsed DATABASE_URL. Accepted spellings (SQLAlchemy's):
///   sqlite:///relative.db   sqlite:////abs/path.db   sqlite:///:memory:   sqlite://  (memory)
///   postgresql://user:pass@host:5432/db?sslmode=require   (also postgres://, postgresql+asyncpg://,
///   postgresql+psycopg://: the +driver part is accepted and ignored)
/// The password is kept for the driver but never shown: redacted() prints it as ***, and so it
/// prints every query parameter that is_secret_parameter() names (?sslpassword=…, ?api_key=…).
class url {
public:
    /// Throws std::invalid_argument with a message that never contains the password.
    static url parse(std::string_view text);

    backend kind() const noexcept { return kind_; }
    /// The URL as given, password included: for drivers only, never for logs.
    const std::string& text() const noexcept { return text_; }
    /// The URL with the password and secret query parameters' values replaced by ***: safe to print.
    std::string redacted() const;

    /// SQLite: the file path as given (relative paths are relative to the working directory).
    const std::string& path() const noexcept { return path_; }
    bool in_memory() const noexcept { return in_memory_; }

    /// PostgreSQL parts (percent-decoded).
    const std::string& host() const noexcept { return host_; }
    std::optional<std::uint16_t> port() const noexcept { return port_; }
    const std::string& user() const noexcept { return user_; }
    const std::string& password() const noexcept { return password_; }
    const std::string& database() const noexcept { return database_; }
    /// Query parameters (?sslmode=…&pool_size=…), percent-decoded.
    const std::map<std::string, std::string>& params() const noexcept { return params_; }

private:
    backend kind_ = backend::sqlite;
    std::string text_;
    std::string path_;
    bool in_memory_ = false;
    std::string host_, user_, password_, database_;
    std::optional<std::uint16_t> port_;
    std::map<std::string, std::string> params_;
};

/// keel::is_secret_parameter (core/settings.hpp): url::redacted() shows those parameters as ***.
using keel::is_secret_parameter;

/// Lets keel::load_settings read a `db::url` member (DATABASE_URL).
url parse_setting(std::string_view text, std::type_identity<url>);
inline std::string format_setting(const url& value) { return value.redacted(); }

}  // namespace keel::db

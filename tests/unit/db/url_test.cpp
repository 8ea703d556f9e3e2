#include <gtest/gtest.h>

#include <keel/db/url.hpp>

namespace {

using keel::db::backend;
using keel::db::url;

TEST(db_url, sqlite_forms)
{
    EXPECT_EQ(url::parse("sqlite:///relative.db").path(), "relative.db");
    EXPECT_EQ(url::parse("sqlite:///./data/app.db").path(), "./data/app.db");
    EXPECT_EQ(url::parse("sqlite:////abs/path.db").path(), "/abs/path.db");
    EXPECT_TRUE(url::parse("sqlite:///:memory:").in_memory());
    EXPECT_TRUE(url::parse("sqlite://").in_memory());
    EXPECT_EQ(url::parse("sqlite:///a.db?busy_timeout=100").params().at("busy_timeout"), "100");
    EXPECT_EQ(url::parse("SQLite:///a.db").kind(), backend::sqlite);
}

TEST(db_url, postgresql_forms)
{
    auto u = url::parse("postgresql+asyncpg://app:s%40cret@db.example:6543/users?sslmode=require&application_name=x");
    EXPECT_EQ(u.kind(), backend::postgresql);
    EXPECT_EQ(u.user(), "app");
    EXPECT_EQ(u.password(), "s@cret");
    EXPECT_EQ(u.host(), "db.example");
    EXPECT_EQ(u.port(), 6543);
    EXPECT_EQ(u.database(), "users");
    EXPECT_EQ(u.params().at("sslmode"), "require");
    EXPECT_EQ(url::parse("postgres://localhost/db").kind(), backend::postgresql);
    EXPECT_FALSE(url::parse("postgresql://localhost/db").port().has_value());
}

TEST(db_url, redacts_the_password)
{
    auto u = url::parse("postgresql://app:hunter2@db/users");
    EXPECT_EQ(u.redacted(), "postgresql://app:***@db/users");
    EXPECT_EQ(u.text(), "postgresql://app:hunter2@db/users");
    EXPECT_EQ(url::parse("postgresql://app@db/users").redacted(), "postgresql://app@db/users");
}

TEST(db_url, redacts_secret_query_parameters)
{
    EXPECT_EQ(url::parse("postgresql://app@db/users?password=hunter2&sslmode=require").redacted(),
              "postgresql://app@db/users?password=***&sslmode=require");
    EXPECT_EQ(url::parse("postgresql://app:pw@db/users?sslpassword=s3cr3t&sslkey=/k.pem&keepalives_idle=30").redacted(),
              "postgresql://app:***@db/users?sslpassword=***&sslkey=***&keepalives_idle=30");
    // The name is compared decoded and case-blind: %50 is P.
    EXPECT_EQ(url::parse("postgres://db/x?%50ASSWORD=a%26b&Api-Key=k").redacted(), "postgres://db/x?%50ASSWORD=***&Api-Key=***");
    // SQLite: a SQLCipher-style key is as secret; the path is kept as written.
    EXPECT_EQ(url::parse("sqlite:///./data/app.db?key=hunter2&busy_timeout=100").redacted(),
              "sqlite:///./data/app.db?key=***&busy_timeout=100");
    EXPECT_EQ(url::parse("sqlite:///./app.db").redacted(), "sqlite:///./app.db");
    // The driver still gets the real value.
    EXPECT_EQ(url::parse("postgresql://db/x?password=hunter2").params().at("password"), "hunter2");
}

TEST(db_url, which_parameter_names_are_secret)
{
    for (const char* secret : {"password", "sslpassword", "PassWord", "passwd", "client_secret", "access_token",
                               "credentials", "pass", "pwd", "key", "api_key", "apikey", "sslkey", "encryption.key"})
        EXPECT_TRUE(keel::db::is_secret_parameter(secret)) << secret;
    for (const char* shown : {"sslmode", "keepalives", "keepalives_idle", "keyword", "passfile", "bypass",
                              "application_name", "sslrootcert", "pool_size", "keys", "host"})
        EXPECT_FALSE(keel::db::is_secret_parameter(shown)) << shown;
}

// What url::parse says when it refuses `text`; a test failure when it accepts it.
std::string refusal(const char* text)
{
    try {
        url::parse(text);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "accepted " << text;
    return {};
}

TEST(db_url, rejects_bad_urls_without_echoing_secrets)
{
    for (const char* bad : {"", "users.db", "mysql://u:p@h/d", "sqlite:/x.db", "sqlite:///", "sqlite:x",
                            "postgresql://u:hunter2@db:notaport/x", "postgresql://u:hunter2@db:0/x"}) {
        const auto message = refusal(bad);
        EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
        EXPECT_NE(message.find("expected"), std::string::npos) << message;
    }
}

// RFC 3986's scheme, with a driver name after '+' as SQLAlchemy writes it; anything else is a
// mistyped URL, and the message does not repeat it (it may hold the password).
TEST(db_url, a_scheme_holds_letters_digits_plus_minus_and_dot)
{
    for (const char* bad : {"1sqlite:///a.db", "sqlite+///a.db?key=hunter2&sqlite:///b.db?key=x", "u:hunter2@db/x://",
                            "post gresql://u:hunter2@db/x"}) {
        const auto message = refusal(bad);
        EXPECT_NE(message.find("the scheme before '://' holds only letters"), std::string::npos) << message;
        EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    }
    EXPECT_EQ(url::parse("sqlite+pysqlite:///a.db?key=k").redacted(), "sqlite+pysqlite:///a.db?key=***");
    EXPECT_EQ(url::parse("PostgreSQL+psycopg2://db/x").kind(), backend::postgresql);
}

}  // namespace

TEST(url, an_unencoded_hash_in_a_postgresql_url_is_refused_without_showing_the_password)
{
    try {
        keel::db::url::parse("postgresql://app:pa#ss@db.example/app");
        FAIL() << "a fragment was accepted";
    } catch (const std::invalid_argument& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("%23"), std::string::npos) << message;
        EXPECT_EQ(message.find("pa#ss"), std::string::npos) << message;
        EXPECT_EQ(message.find("ss@db"), std::string::npos) << message;
    }
    EXPECT_EQ(keel::db::url::parse("postgresql://app:pa%23ss@db.example/app").password(), "pa#ss");
}

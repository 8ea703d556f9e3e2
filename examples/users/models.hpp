#pragma once
// The users service's models: declared once, they drive request validation, JSON and rows.
#include <cstdint>
#include <string>

#include <boost/describe/class.hpp>

#include <keel/core/time.hpp>
#include <keel/db/pool.hpp>
#include <keel/http/app.hpp>
#include <keel/db/session.hpp>
#include <keel/model/constraints.hpp>
#include <keel/model/table.hpp>
#include <keel/openapi/settings.hpp>
#include <keel/security/jwt.hpp>
#include <keel/security/oauth2.hpp>
#include <keel/security/password.hpp>
#include <keel/security/rate_limit.hpp>

namespace users {

/// The users table, declared once: its migrations are generated from this, every query names it.
struct user {
    std::int64_t id = 0;
    std::string username;
    std::string hashed_password;
    /// Tokens name this random subject, never the id or the name: a user deleted and created
    /// again gets a new one, so the old tokens authenticate nobody.
    std::string token_subject;
    keel::timestamp created_at;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, username, hashed_password, token_subject, created_at))

inline keel::model::table_def keel_table(user*)
{
    using namespace keel::model;
    return table("users", column(&user::id).primary_key().identity(), column(&user::token_subject).unique(),
                 column(&user::created_at).server_default(now()), index("ix_users_username", &user::username).unique());
}

struct user_create {
    keel::text<3, 32, "^[A-Za-z0-9_.-]+$"> username;
    keel::text<8, 128> password;
};
BOOST_DESCRIBE_STRUCT(user_create, (), (username, password))

/// PATCH /users/me's fields (as keel::partial<user_update>: any may be left out). A new password
/// needs the current one, so that a stolen token alone cannot take the account over.
struct user_update {
    keel::text<3, 32, "^[A-Za-z0-9_.-]+$"> username;
    keel::text<8, 128> password;
    std::string current_password;
};
BOOST_DESCRIBE_STRUCT(user_update, (), (username, password, current_password))

/// What the API returns: never the password hash.
struct user_public {
    std::int64_t id = 0;
    std::string username;
    keel::timestamp created_at;
};
BOOST_DESCRIBE_STRUCT(user_public, (), (id, username, created_at))

/// A dependency: the user the request's bearer token was issued to. 401 without a valid token, or
/// when that user has been deleted (a user created again under the same name is another user).
struct current_user : user_public {
    static keel::task<current_user> resolve(keel::security::bearer token, keel::db::session& db);
};

struct page {
    keel::integer<1, 100> limit = 50;
    keel::integer<0> offset = 0;
};
BOOST_DESCRIBE_STRUCT(page, (), (limit, offset))

/// HOST, PORT, … DATABASE_URL, POOL_SIZE, …, PASSWORD_HASH_COST, _THREADS, _QUEUE, and ENVIRONMENT,
/// SECRET_KEY, PREVIOUS_SECRET_KEY, PREVIOUS_SECRET_KEY_UNTIL, ACCESS_TOKEN_LIFETIME, and
/// RATE_LIMIT_STORAGE, _FAILURE, _TIMEOUT, TRUSTED_PROXIES, LOGIN_RATE_LIMIT, and CORS_ORIGINS,
/// _METHODS, _HEADERS, _CREDENTIALS, _MAX_AGE, and API_TITLE, API_VERSION, API_SERVERS,
/// OPENAPI_URL, DOCS_URL.
struct settings : keel::http::server_settings,
                  keel::db::database_settings,
                  keel::security::password_settings,
                  keel::security::token_settings,
                  keel::security::rate_limit_settings,
                  keel::http::cors_settings,
                  keel::openapi::openapi_settings {
    settings()
    {
        database_url = keel::db::url::parse("sqlite:///./users.db");
        api_title = "users-service";
    }
};
BOOST_DESCRIBE_STRUCT(settings,
                      (keel::http::server_settings, keel::db::database_settings, keel::security::password_settings,
                       keel::security::token_settings, keel::security::rate_limit_settings, keel::http::cors_settings,
                       keel::openapi::openapi_settings),
                      ())

}  // namespace users

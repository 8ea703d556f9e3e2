#include <keel/core/block_on.hpp>
#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>
#include <keel/http/error.hpp>
#include <keel/openapi/document.hpp>

#include "service.hpp"

namespace users {

using keel::task;
namespace http = keel::http;
namespace db = keel::db;
namespace security = keel::security;

namespace {

struct stored_credentials {
    std::int64_t id = 0;
    std::string hashed_password;
    std::string token_subject;
};
BOOST_DESCRIBE_STRUCT(stored_credentials, (), (id, hashed_password, token_subject))

task<http::created<user_public>> create_user(http::body<user_create> in, db::session& db,
                                             const security::password_hasher& hasher)
{
    auto hashed = co_await hasher.hash(in->password.str());
    // Tokens name this random subject, never the id or the name: a user deleted and created again
    // gets a new one, so the old tokens authenticate nobody.
    const std::string subject = security::random_token(16);
    try {
        auto user = co_await db.one<user_public>(
            "INSERT INTO users (username, hashed_password, token_subject) VALUES ($1, $2, $3) "
            "RETURNING id, username, created_at",
            in->username, hashed, subject);
        co_return http::created<user_public>{std::move(user)};
    } catch (const db::unique_violation&) {
        throw http::error(409, "Username already registered");
    }
}

// OAuth2's password flow. An unknown user costs a verify against a dummy hash, as a wrong
// password does: the answer and its time do not tell whether the name exists.
task<http::with_headers<security::token>> issue_token(security::rate_limit<security::login_attempts>,
                                 http::form<security::password_request_form> in, db::session& db,
                                 const security::password_hasher& hasher, const security::jwt_signer& tokens)
{
    auto user = co_await db.maybe<stored_credentials>(
        "SELECT id, hashed_password, token_subject FROM users WHERE username = $1", in->username);
    co_await db.commit();  // no connection held while hashing
    // Named, not a ?: inside the co_await: g++ 12 destroys such a temporary twice.
    std::optional<std::string> stored_hash;
    if (user)
        stored_hash = user->hashed_password;
    const bool valid = co_await hasher.verify(in->password, std::move(stored_hash));
    if (!valid)
        throw security::unauthorized("Incorrect username or password");
    if (hasher.needs_rehash(user->hashed_password)) {  // made with an older PASSWORD_HASH_COST
        auto rehashed = co_await hasher.hash(in->password);
        co_await db.execute("UPDATE users SET hashed_password = $1 WHERE id = $2", rehashed, user->id);
    }
    co_return security::token_response(tokens.sign(user->token_subject));
}

task<user_public> read_me(current_user me) { co_return std::move(me); }

task<void> delete_me(current_user me, db::session& db)
{
    co_await db.execute("DELETE FROM users WHERE id = $1", me.id);
}

task<user_public> get_user(http::path<std::int64_t> id, db::session& db)
{
    auto user = co_await db.maybe<user_public>("SELECT id, username, created_at FROM users WHERE id = $1", *id);
    if (!user)
        throw http::error(404, "User not found");
    co_return std::move(*user);
}

task<std::vector<user_public>> list_users(http::query<page> p, db::session& db)
{
    co_return co_await db.all<user_public>(
        "SELECT id, username, created_at FROM users ORDER BY id LIMIT $1 OFFSET $2", p->limit, p->offset);
}

task<status> healthz() { co_return status{}; }

task<status> readyz(const db::pool& database)
{
    try {
        co_await database.ping();
    } catch (const db::error& e) {
        keel::log::warn("readiness check failed: {}", e.what());
        throw http::error(503, "Database unavailable");
    }
    co_return status{};
}

}  // namespace

task<current_user> current_user::resolve(security::bearer token, db::session& db)
{
    auto user = co_await db.maybe<user_public>("SELECT id, username, created_at FROM users WHERE token_subject = $1",
                                               token.claims.subject);
    if (!user)
        throw security::unauthorized("Could not validate credentials");
    co_return current_user{std::move(*user)};
}

void create_schema(const db::pool& database)
{
    const bool postgres = database.kind() == db::backend::postgresql;
    keel::block_on([&]() -> task<void> {
        auto s = database.make_session();
        co_await s.execute(postgres ? "CREATE TABLE IF NOT EXISTS users ("
                                      " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                                      " username TEXT NOT NULL,"
                                      " hashed_password TEXT NOT NULL,"
                                      " token_subject TEXT NOT NULL UNIQUE,"
                                      " created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                                    : "CREATE TABLE IF NOT EXISTS users ("
                                      " id INTEGER PRIMARY KEY,"
                                      " username TEXT NOT NULL,"
                                      " hashed_password TEXT NOT NULL,"
                                      " token_subject TEXT NOT NULL UNIQUE,"
                                      " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
        co_await s.execute("CREATE UNIQUE INDEX IF NOT EXISTS ix_users_username ON users (username)");
        co_await s.commit();
    });
}

void add_routes(http::router& api)
{
    api.post("/token", issue_token,
             {.summary = "Log in",
              .description = "OAuth2 password flow: a form with username and password gives a bearer token.",
              .tags = {"auth"},
              .responses = {{401, "Incorrect username or password"}}});
    api.get("/users/me", read_me, {.summary = "The logged-in user", .tags = {"users"}});
    api.del("/users/me", delete_me, {.summary = "Delete the logged-in user", .tags = {"users"}});
    api.post("/users", create_user,
             {.summary = "Create a user", .tags = {"users"}, .responses = {{409, "Username already registered"}}});
    api.get("/users/{id}", get_user, {.summary = "Get a user", .tags = {"users"}, .responses = {{404, "User not found"}}});
    api.get("/users", list_users, {.summary = "List users", .description = "Ordered by id.", .tags = {"users"}});
    api.get("/healthz", healthz, {.summary = "Liveness", .tags = {"health"}});
    api.get("/readyz", readyz,
            {.summary = "Readiness: the database answers", .tags = {"health"}, .responses = {{503, "Database unavailable"}}});
}

void provide(http::app& app, const settings& config, db::pool database, std::shared_ptr<security::password_hasher> hasher)
{
    app.provide(std::make_shared<settings>(config));
    app.provide(hasher ? std::move(hasher)
                       : std::make_shared<security::password_hasher>(static_cast<const security::password_settings&>(config)));
    app.provide(std::make_shared<security::jwt_signer>(static_cast<const security::token_settings&>(config)));
    app.provide(std::make_shared<security::rate_limiter>(static_cast<const security::rate_limit_settings&>(config)));
    if (!config.cors_origins.empty())  // browsers on other origins may call the API
        app.use(config.cors());
    app.provide(std::move(database));
}

std::unique_ptr<http::app> make_app(const settings& config, db::pool database,
                                    std::shared_ptr<security::password_hasher> hasher)
{
    auto app = std::make_unique<http::app>(config);
    add_routes(*app);
    keel::openapi::mount(*app, config);
    provide(*app, config, std::move(database), std::move(hasher));
    return app;
}

}  // namespace users

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/http/error.hpp>
#include <keel/migrate/migrator.hpp>
#include <keel/openapi/document.hpp>
#include <keel/ops/health.hpp>
#include <keel/query/query.hpp>
#include <keel/query/unit_of_work.hpp>

#include "service.hpp"

namespace users {

using keel::task;
namespace http = keel::http;
namespace db = keel::db;
namespace security = keel::security;
namespace query = keel::query;
using query::col;
using query::delete_from;
using query::select;
using query::update;

namespace {

struct stored_credentials {
    std::int64_t id = 0;
    std::string hashed_password;
    std::string token_subject;
};
BOOST_DESCRIBE_STRUCT(stored_credentials, (), (id, hashed_password, token_subject))

user_public public_view(const user& u) { return {u.id, u.username, u.created_at}; }

task<http::created<user_public>> create_user(http::body<user_create> in, query::unit_of_work uow,
                                             const security::password_hasher& hasher)
{
    auto hashed = co_await hasher.hash(in->password.str());
    user& added = uow.add(user{0, in->username.str(), std::move(hashed), security::random_token(16), {}});
    try {
        co_await uow.flush();  // INSERT … RETURNING fills id and created_at; the server commits
    } catch (const db::unique_violation&) {
        throw http::error(409, "Username already registered");
    }
    co_return http::created<user_public>{public_view(added)};
}

// OAuth2's password flow. An unknown user costs a verify against a dummy hash, as a wrong
// password does: the answer and its time do not tell whether the name exists.
task<http::with_headers<security::token>> issue_token(security::rate_limit<security::login_attempts>,
                                 http::form<security::password_request_form> in, db::session& db,
                                 const security::password_hasher& hasher, const security::jwt_signer& tokens)
{
    const auto by_name = select<stored_credentials>().from<user>().where(col<&user::username> == in->username);
    auto stored = co_await query::maybe(db, by_name);
    co_await db.commit();  // no connection held while hashing
    // Named, not a ?: inside the co_await: g++ 12 destroys such a temporary twice.
    std::optional<std::string> stored_hash;
    if (stored)
        stored_hash = stored->hashed_password;
    const bool valid = co_await hasher.verify(in->password, std::move(stored_hash));
    if (!valid)
        throw security::unauthorized("Incorrect username or password");
    if (hasher.needs_rehash(stored->hashed_password)) {  // made with an older PASSWORD_HASH_COST
        auto rehashed = co_await hasher.hash(in->password);
        const auto rehash = update<user>().set(col<&user::hashed_password> = rehashed).where(col<&user::id> == stored->id);
        co_await query::execute(db, rehash);
    }
    co_return security::token_response(tokens.sign(stored->token_subject));
}

task<user_public> read_me(current_user me) { co_return std::move(me); }

// A new password for the logged-in user, given the current one (a stolen token alone must not
// be enough).
task<std::string> new_password_hash(const keel::partial<user_update>& changes, std::string stored_hash,
                                    const security::password_hasher& hasher)
{
    if (!changes.has<&user_update::current_password>()) {
        keel::model::issue_list issues;
        keel::model::detail::add_missing(issues, {"body", "current_password"});
        throw keel::model::validation_error(std::move(issues));
    }
    const bool valid = co_await hasher.verify(changes->current_password, std::move(stored_hash));
    if (!valid)
        throw http::error(400, "Incorrect password");
    co_return co_await hasher.hash(changes->password.str());
}

// PATCH: what the body sends changes, nothing else (pydantic's exclude_unset). A new password
// also gives the user a new token subject: the tokens issued before it stop working, and the
// caller logs in again.
task<user_public> update_me(current_user me, http::body<keel::partial<user_update>> changes, query::unit_of_work uow,
                            const security::password_hasher& hasher)
{
    user* u = co_await uow.get<user>(me.id);
    if (!u)  // deleted since the token was checked
        throw security::unauthorized("Could not validate credentials");
    if (changes->has<&user_update::password>()) {
        // Nothing is pending: this ends the read, so that no connection waits on argon2id (as in
        // issue_token); the flush below writes in a transaction of its own.
        co_await uow.commit();
        u->hashed_password = co_await new_password_hash(*changes, u->hashed_password, hasher);
        u->token_subject = security::random_token(16);
    }
    if (changes->has<&user_update::username>())
        u->username = (*changes)->username.str();
    try {
        co_await uow.flush();  // an UPDATE of the columns that changed, if any did
    } catch (const db::unique_violation&) {
        throw http::error(409, "Username already registered");
    }
    co_return public_view(*u);
}

task<void> delete_me(current_user me, db::session& db)
{
    const auto remove = delete_from<user>().where(col<&user::id> == me.id);
    co_await query::execute(db, remove);
}

task<user_public> get_user(http::path<std::int64_t> id, query::unit_of_work uow)
{
    const user* found = co_await uow.get<user>(*id);
    if (!found)
        throw http::error(404, "User not found");
    co_return public_view(*found);
}

task<std::vector<user_public>> list_users(http::query<page> p, db::session& db)
{
    const auto listing = select<user_public>().from<user>().order_by(col<&user::id>).limit(p->limit).offset(p->offset);
    auto rows = co_await query::all(db, listing);
    co_return rows;
}

}  // namespace

task<current_user> current_user::resolve(security::bearer token, db::session& db)
{
    const auto by_subject = select<user_public>().from<user>().where(col<&user::token_subject> == token.claims.subject);
    auto found = co_await query::maybe(db, by_subject);
    if (!found)
        throw security::unauthorized("Could not validate credentials");
    co_return current_user{std::move(*found)};
}

void upgrade_schema(const db::pool& database)
{
    const auto revisions = keel::migrate::history::load(USERS_MIGRATIONS_DIR, database.kind());
    keel::migrate::migrator migrator(database, revisions);  // named: it outlives the coroutine it runs
    keel::block_on([&] { return migrator.upgrade("head"); });
}

void add_routes(http::router& api)
{
    api.post("/token", issue_token,
             {.summary = "Log in",
              .description = "OAuth2 password flow: a form with username and password gives a bearer token.",
              .tags = {"auth"},
              .responses = {{401, "Incorrect username or password"}}});
    api.get("/users/me", read_me, {.summary = "The logged-in user", .tags = {"users"}});
    api.patch("/users/me", update_me,
              {.summary = "Change the logged-in user",
               .description = "Only the fields sent change. A new password needs current_password, and ends every "
                              "token issued before it.",
               .tags = {"users"},
               .responses = {{400, "Incorrect password"}, {409, "Username already registered"}}});
    api.del("/users/me", delete_me, {.summary = "Delete the logged-in user", .tags = {"users"}});
    api.post("/users", create_user,
             {.summary = "Create a user", .tags = {"users"}, .responses = {{409, "Username already registered"}}});
    api.get("/users/{id}", get_user, {.summary = "Get a user", .tags = {"users"}, .responses = {{404, "User not found"}}});
    api.get("/users", list_users, {.summary = "List users", .description = "Ordered by id.", .tags = {"users"}});
    keel::ops::add_health_routes(api);
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

#include <keel/core/block_on.hpp>
#include <keel/core/log.hpp>
#include <keel/db/errors.hpp>
#include <keel/http/error.hpp>

#include "service.hpp"

namespace users {

using keel::task;
namespace http = keel::http;
namespace db = keel::db;

namespace {

task<http::created<user_public>> create_user(http::body<user_create> in, db::session& db,
                                             const keel::security::password_hasher& hasher)
{
    auto hashed = co_await hasher.hash(in->password.str());
    try {
        auto user = co_await db.one<user_public>(
            "INSERT INTO users (username, hashed_password) VALUES ($1, $2) RETURNING id, username, created_at",
            in->username, hashed);
        co_return http::created<user_public>{std::move(user)};
    } catch (const db::unique_violation&) {
        throw http::error(409, "Username already registered");
    }
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

void create_schema(const db::pool& database)
{
    const bool postgres = database.kind() == db::backend::postgresql;
    keel::block_on([&]() -> task<void> {
        auto s = database.make_session();
        co_await s.execute(postgres ? "CREATE TABLE IF NOT EXISTS users ("
                                      " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                                      " username TEXT NOT NULL,"
                                      " hashed_password TEXT NOT NULL,"
                                      " created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                                    : "CREATE TABLE IF NOT EXISTS users ("
                                      " id INTEGER PRIMARY KEY,"
                                      " username TEXT NOT NULL,"
                                      " hashed_password TEXT NOT NULL,"
                                      " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
        co_await s.execute("CREATE UNIQUE INDEX IF NOT EXISTS ix_users_username ON users (username)");
        co_await s.commit();
    });
}

std::unique_ptr<http::app> make_app(const settings& config, db::pool database)
{
    auto app = std::make_unique<http::app>(config);
    app->provide(std::make_shared<settings>(config));
    app->provide(std::make_shared<keel::security::password_hasher>(
        static_cast<const keel::security::password_settings&>(config)));
    app->provide(std::move(database));
    app->post("/users", create_user);
    app->get("/users/{id}", get_user);
    app->get("/users", list_users);
    app->get("/healthz", healthz);
    app->get("/readyz", readyz);
    return app;
}

}  // namespace users

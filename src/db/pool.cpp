#include <keel/db/pool.hpp>

#include <keel/core/settings.hpp>

#include "db/driver.hpp"
#include "db/postgres/pool.hpp"
#include "db/sqlite/pool.hpp"

namespace keel::db {

namespace {

// Every settings field can also come from a DATABASE_URL query parameter of the same name.
database_settings with_url_overrides(database_settings settings)
{
    const auto& params = settings.database_url.params();
    std::vector<std::string> problems;
    using members = boost::describe::describe_members<database_settings, boost::describe::mod_public>;
    boost::mp11::mp_for_each<members>([&](auto member) {
        auto& field = settings.*member.pointer;
        using field_type = std::remove_cvref_t<decltype(field)>;
        if constexpr (!std::is_same_v<field_type, url>) {
            auto it = params.find(member.name);
            if (it == params.end())
                return;
            try {
                using keel::parse_setting;  // db::parse_setting(url) would hide the general ones
                field = parse_setting(it->second, std::type_identity<field_type>{});
            } catch (const std::exception& e) {
                problems.push_back(std::string("DATABASE_URL parameter ") + member.name + ": " + e.what());
            }
        }
    });
    if (!problems.empty())
        throw settings_error(std::move(problems));
    return settings;
}

}  // namespace

namespace {
constexpr setting_names<budget_check, 3> budget_check_names{
    {{"error", budget_check::error}, {"warn", budget_check::warn}, {"off", budget_check::off}}};
}

budget_check parse_setting(std::string_view text, std::type_identity<budget_check>)
{
    return parse_named_setting(text, budget_check_names);
}

std::string format_setting(budget_check value) { return format_named_setting(value, budget_check_names); }

pool pool::open(const database_settings& requested, std::size_t io_threads)
{
    const auto settings = with_url_overrides(requested);
    if (settings.database_url.kind() == backend::postgresql)
        return pool(postgres::open_pool(settings, io_threads));
    return pool(sqlite::open_pool(settings));
}

std::size_t pool::most_connections(const database_settings& requested, std::size_t io_threads)
{
    const auto settings = with_url_overrides(requested);
    if (settings.database_url.kind() == backend::postgresql)
        return postgres::most_connections(settings, io_threads);
    return settings.pool_size;
}

session pool::make_session() const { return session(impl_->make_session()); }

task<void> pool::ping() const
{
    auto probe = make_session();
    co_await probe.execute(impl_->ping_sql());
    co_await probe.rollback();
}

void pool::close() { impl_->close(); }
backend pool::kind() const noexcept { return impl_->database_url().kind(); }
std::string pool::describe() const { return impl_->database_url().redacted(); }

}  // namespace keel::db

// docs/settings.md: a service's own settings beside keel's, and a type of its own in them.
#include <keel/keel.hpp>

#include "examples.hpp"

namespace docs::settings {

/// A setting's type of your own: parse_setting reads it, format_setting shows it (check, --help).
enum class region_code { eu, us };

region_code parse_setting(std::string_view text, std::type_identity<region_code>)
{
    if (text == "eu")
        return region_code::eu;
    if (text == "us")
        return region_code::us;
    throw std::invalid_argument("must be eu or us");
}

std::string format_setting(region_code value) { return value == region_code::eu ? "eu" : "us"; }

/// HOST, PORT, … (http::server_settings), DATABASE_URL, POOL_SIZE, … (db::database_settings),
/// then the service's own: SHOP_NAME, REGION, ORDER_LIMIT, PAYMENT_API_KEY (or PAYMENT_API_KEY_FILE).
struct shop_settings : keel::http::server_settings, keel::db::database_settings {
    std::string shop_name = "keel shop";
    region_code region = region_code::eu;
    std::int64_t order_limit = 100;
    keel::secret<std::string> payment_api_key;   // printed as *** by check and in errors

    shop_settings() { database_url = keel::db::url::parse("sqlite:///./shop.db"); }
};
BOOST_DESCRIBE_STRUCT(shop_settings, (keel::http::server_settings, keel::db::database_settings),
                      (shop_name, region, order_limit, payment_api_key))

/// Limits on the service's own fields, checked with keel's as they load (main: `.rules = shop_rules()`).
keel::setting_rules<shop_settings> shop_rules()
{
    keel::setting_rules<shop_settings> rules;
    rules.between(&shop_settings::order_limit, 1, 10'000);
    return rules;
}

/// What one field's rule cannot say (main: `.problems = shop_problems`).
std::vector<std::string> shop_problems(const shop_settings& s)
{
    if (s.region == region_code::us && s.payment_api_key.reveal().empty())
        return {"PAYMENT_API_KEY: required with REGION=us"};
    return {};
}

std::vector<keel::setting_value> loaded(const keel::environment& env)
{
    // What keel::cli::main does first: read them all, then check every value; a bad one throws
    // keel::settings_error naming each bad variable, and the service does not start.
    const auto settings = keel::cli::load_service_settings<shop_settings>(env, shop_rules());
    keel::cli::require_usable_settings<shop_settings>(settings, shop_problems);
    return keel::setting_values(settings);   // what `check` prints: VARIABLE=value, secrets as ***
}

}  // namespace docs::settings

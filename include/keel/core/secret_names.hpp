#pragma once
#include <string_view>

namespace keel {

/// Whether a URL query parameter holds a secret, and is shown as *** (db::url::redacted(), check).
/// Case aside, a name is secret when it contains "password", "passwd", "secret", "token" or
/// "credential" anywhere (sslpassword, client_secret, access_token), or when one of its words
/// (split at `_`, `-`, `.` and other non-alphanumerics) is "pass" or "pwd" or ends in "key"
/// (key, api_key, apikey, sslkey). Not secret: keepalives, keyword, passfile, sslmode.
bool is_secret_parameter(std::string_view name);

}  // namespace keel

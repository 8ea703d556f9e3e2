// Fuzz target: DATABASE_URL parsing (keel::db::url). Invariants: a parse failure is
// std::invalid_argument and its message never shows the password; a parsed URL's redacted()
// form shows neither the password nor a secret query parameter (?password=, ?sslpassword=, …,
// keel::db::is_secret_parameter) and parses back to the same URL but for those.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/url/parse.hpp>

#include <keel/db/url.hpp>

#include "check.hpp"

namespace {

using keel::fuzz::check;

// What the input's own userinfo says the password is, by Boost.URL (not by keel).
std::string password_in(std::string_view text)
{
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed || !parsed->has_password())
        return {};
    return std::string(parsed->encoded_password());
}

// The scheme as an "unsupported scheme" error shows it: lower case, cut at '+', in quotes.
std::string shown(std::string_view scheme)
{
    std::string lower(scheme.substr(0, scheme.find('+')));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return "'" + lower + "'";
}

// A password this short or this common also occurs by chance in the fixed parts of a message
// ("invalid database URL: ... postgresql://user:password@host"), or in the scheme the message
// shows ("unsupported scheme 'pos3ct'" for poS3ct://app:s3ct@…, "'pks3ct'" for
// pkS3ct://app:s3ct'@…); it proves nothing.
bool telling(std::string_view password, std::string_view text)
{
    const std::string_view scheme = text.substr(0, text.find("://"));
    return password.size() >= 4 && scheme.find(password) == std::string_view::npos &&
           shown(scheme).find(password) == std::string::npos &&
           std::string_view("invalid database URL expected sqlite:///relative.db, sqlite:////absolute/path.db, "
                            "sqlite:///:memory: or postgresql://user:password@host:5432/database no scheme "
                            "malformed query string PostgreSQL URL a SQLite URL has three slashes before a "
                            "relative path and four before an absolute one the port must be a number from 1 to "
                            "65535 unsupported scheme the scheme before '://' holds only letters, digits, '+', "
                            "'-' and '.' '#' starts a fragment, which a PostgreSQL URL has no use for; "
                            "percent-encode a '#' in the password or a parameter as %23")
                   .find(password) == std::string_view::npos;
}

std::size_t occurrences(std::string_view haystack, std::string_view needle)
{
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1))
        ++n;
    return n;
}

// The parameters redacted() leaves as they are (it masks the secret ones, ?password= included).
std::map<std::string, std::string> without_secrets(std::map<std::string, std::string> params)
{
    std::erase_if(params, [](const auto& p) { return keel::db::is_secret_parameter(p.first); });
    return params;
}

// The query's parameters as keel reads them (after the first '?'), keys decoded, values as written.
std::vector<std::pair<std::string, std::string>> written_params(std::string_view text)
{
    std::vector<std::pair<std::string, std::string>> out;
    const auto q = text.find('?');
    if (q == std::string_view::npos)
        return out;
    const std::string as_uri = "x://x/?" + std::string(text.substr(q + 1));  // the view below points into it
    auto parsed = boost::urls::parse_uri(as_uri);
    if (!parsed || parsed->encoded_query().empty())  // empty: Boost.URL 1.81 cannot iterate it
        return out;
    for (auto param : parsed->encoded_params())
        out.emplace_back(param.key.decode(), std::string(param.value));
    return out;
}

void check_parsed(const keel::db::url& u, std::string_view text)
{
    const std::string shown = u.redacted();
    check(u.text() == text, "text() is not the URL as given");
    // Each secret parameter's value as written (percent-encoded) must be masked: compare counts
    // of that written form, since its decoded form may also stand verbatim elsewhere in the URL.
    for (const auto& [key, written] : written_params(text))
        // A value with '*' may be made of the mask itself ("rd=***" inside "password=***").
        if (keel::db::is_secret_parameter(key) && telling(written, text) && written.find('*') == std::string::npos)
            check(occurrences(shown, written) < occurrences(text, written), "redacted() shows a secret query parameter",
                  shown);
    if (u.kind() == keel::db::backend::sqlite) {
        check(u.in_memory() == (u.path() == ":memory:"), "in_memory() disagrees with path()");
        return;
    }
    if (!u.password().empty()) {
        const std::string encoded = password_in(text);
        // The password may also be, say, the database's name; the userinfo's copy must be gone.
        if (telling(encoded, text) && encoded.find('*') == std::string::npos)
            check(occurrences(shown, encoded) < occurrences(text, encoded), "redacted() shows the password", shown);
        const auto again = keel::db::url::parse(shown);
        check(again.password() == "***", "redacted() does not parse back with *** as the password", shown);
        check(again.host() == u.host() && again.port() == u.port() && again.user() == u.user() &&
                  again.database() == u.database() && without_secrets(again.params()) == without_secrets(u.params()),
              "redacted() changed more than the password", shown);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        check_parsed(keel::db::url::parse(text), text);
    } catch (const std::invalid_argument& e) {
        const std::string password = password_in(text);
        if (telling(password, text))
            check(std::string_view(e.what()).find(password) == std::string_view::npos,
                  "a parse error shows the password", e.what());
    }
    return 0;
}

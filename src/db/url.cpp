#include <keel/db/url.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/ascii.hpp"
#include "core/redact.hpp"

namespace keel::db {

namespace {

constexpr const char* expected_forms =
    "expected sqlite:///relative.db, sqlite:////absolute/path.db, sqlite:///:memory: or "
    "postgresql://user:password@host:5432/database";

[[noreturn]] void bad_url(const std::string& why)
{
    throw std::invalid_argument("invalid database URL: " + why + " (" + expected_forms + ")");
}

// Boost.URL 1.81 reads past the end iterating the params of an empty query before a fragment
// ("db?#"): an empty query has none, so it is not iterated (found by tests/fuzz/database_url).
void read_params(const boost::urls::url_view& u, std::map<std::string, std::string>& out)
{
    if (u.encoded_query().empty())
        return;
    for (auto param : u.params())
        out[param.key] = param.has_value ? param.value : std::string();
}

// A SQLite URL's path is a file name, not URI syntax: Boost.URL reads its query alone, behind a
// stand-in authority (the url_view points into the string, so the caller keeps it).
std::string sqlite_query_as_uri(std::string_view query)
{
    return "sqlite://x/?" + std::string(query);
}

}  // namespace

url url::parse(std::string_view text)
{
    url out;
    out.text_ = std::string(text);
    const auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0)
        bad_url("no scheme");
    std::string scheme = keel::detail::ascii_lowered(text.substr(0, sep));
    // Anything else ("sqlite+///a.db?x&sqlite://") is a mistyped URL. Not echoed: it may hold the password.
    if (!keel::detail::is_uri_scheme(scheme))
        bad_url("the scheme before '://' holds only letters, digits, '+', '-' and '.'");
    if (auto plus = scheme.find('+'); plus != std::string::npos)
        scheme.resize(plus);  // postgresql+asyncpg: the Python driver name means nothing here

    if (scheme == "sqlite") {
        std::string_view rest = text.substr(sep + 3);
        if (auto q = rest.find('?'); q != std::string_view::npos) {
            const std::string query_only = sqlite_query_as_uri(rest.substr(q + 1));
            auto parsed = boost::urls::parse_uri(query_only);
            if (!parsed)
                bad_url("malformed query string");
            read_params(*parsed, out.params_);
            rest = rest.substr(0, q);
        }
        if (rest.empty() || rest == "/:memory:") {
            out.in_memory_ = true;
            out.path_ = ":memory:";
        } else if (rest.front() != '/' || rest.size() == 1) {
            bad_url("a SQLite URL has three slashes before a relative path and four before an absolute one");
        } else {
            out.path_ = std::string(rest.substr(1));
        }
        out.kind_ = backend::sqlite;
        return out;
    }
    if (scheme == "postgresql" || scheme == "postgres") {
        auto parsed = boost::urls::parse_uri(text);
        if (!parsed)
            bad_url("malformed PostgreSQL URL");
        const auto& u = *parsed;
        // Nothing in a connection URL follows '#': one there is almost always an unencoded '#' in
        // the password, which would silently become part of a "fragment".
        if (u.has_fragment())
            bad_url("'#' starts a fragment, which a PostgreSQL URL has no use for; percent-encode a '#' in the "
                    "password or a parameter as %23");
        out.kind_ = backend::postgresql;
        out.host_ = u.host();
        out.user_ = u.user();
        out.password_ = u.password();
        if (u.has_port()) {
            std::uint16_t port = 0;
            auto p = u.port();
            auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
            if (ec != std::errc{} || end != p.data() + p.size() || port == 0)
                bad_url("the port must be a number from 1 to 65535");
            out.port_ = port;
        }
        std::string path = u.path();
        out.database_ = path.empty() ? std::string() : path.substr(path.front() == '/' ? 1 : 0);
        read_params(u, out.params_);
        return out;
    }
    bad_url("unsupported scheme '" + scheme + "'");
}

std::string url::redacted() const
{
    if (kind_ == backend::postgresql) {
        boost::urls::url u(*boost::urls::parse_uri(text_));  // parse() accepted it
        if (!password_.empty())
            u.set_encoded_password("***");
        keel::detail::redact_secret_parameters(u.params());
        return std::string(u.buffer());
    }
    const auto q = text_.find('?', text_.find("://"));  // where parse() found the query
    if (q == std::string::npos)
        return text_;
    boost::urls::url query(*boost::urls::parse_uri(sqlite_query_as_uri(std::string_view(text_).substr(q + 1))));
    keel::detail::redact_secret_parameters(query.params());
    return text_.substr(0, q + 1) + std::string(query.encoded_query());
}

url parse_setting(std::string_view text, std::type_identity<url>)
{
    return url::parse(text);
}

}  // namespace keel::db

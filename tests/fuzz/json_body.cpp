// Fuzz target: a JSON request body bound to described structs with constraints, as
// http::body<T> does it (boost::json parse, then keel::model::from_json). Checks that a bound
// value satisfies its constraints, that failures always carry issues under "body", and that a
// bound value written back as JSON binds again to the same value; the same for a PATCH body
// (keel::partial), whose members marked sent must be the body's keys.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <keel/model/json.hpp>

#include "check.hpp"

namespace {

struct address {
    keel::text<1, 64> city;
    std::optional<keel::text<2, 2, "^[A-Z]{2}$">> country;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, country))

struct tag {
    keel::text<1, 16, "^[a-z0-9-]+$"> name;
    keel::integer<0, 10> weight;
};
BOOST_DESCRIBE_STRUCT(tag, (), (name, weight))

struct profile {
    keel::text<3, 32, "^[A-Za-z0-9_.-]+$"> username;
    keel::text<8, 128> password;
    keel::integer<13, 130> age;
    std::optional<std::string> bio;
    std::vector<tag> tags;
    address home;
    std::optional<std::vector<address>> others;
    bool active = false;
    double score = 0;
    std::optional<keel::timestamp> seen;
    std::int32_t small = 0;
    std::uint8_t tiny = 0;
    std::optional<keel::text<0, 1000000, "^[^<>]*$">> comment;  // a long text with a pattern
};
BOOST_DESCRIBE_STRUCT(profile, (), (username, password, age, bio, tags, home, others, active, score, seen, small, tiny,
                                    comment))
constexpr auto keel_defaults(profile*) { return keel::model::defaults(&profile::tags, &profile::active, &profile::score); }

using keel::fuzz::check;

std::size_t code_points(std::string_view s)
{
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

bool only(std::string_view s, std::string_view allowed) { return s.find_first_not_of(allowed) == std::string_view::npos; }

void check_constraints(const profile& p)
{
    const auto u = p.username.str();
    check(u.size() >= 3 && u.size() <= 32 && only(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"),
          "username bound against its constraints", u);
    check(code_points(p.password.str()) >= 8 && code_points(p.password.str()) <= 128, "password length");
    check(p.age >= 13 && p.age <= 130, "age outside 13..130");
    for (const auto& t : p.tags) {
        check(!t.name.str().empty() && t.name.str().size() <= 16 && only(t.name.str(), "abcdefghijklmnopqrstuvwxyz0123456789-"),
              "tag name bound against its constraints", t.name.str());
        check(t.weight >= 0 && t.weight <= 10, "tag weight outside 0..10");
    }
    check(code_points(p.home.city.str()) >= 1 && code_points(p.home.city.str()) <= 64, "city length");
    if (p.comment)
        check(p.comment->str().find_first_of("<>") == std::string::npos, "comment bound against its pattern");
    if (p.home.country)
        check(p.home.country->str().size() == 2 && only(p.home.country->str(), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
              "country bound against its pattern", p.home.country->str());
}

void check_issues(const keel::model::issue_list& issues)
{
    for (const auto& issue : issues) {
        check(!issue.loc.empty() && issue.loc[0] == "body", "an issue whose loc does not start with body",
              boost::json::serialize(issue.loc));
        check(!issue.msg.empty() && !issue.type.empty(), "an issue without msg or type");
    }
    // The 422 body is built from the issues; it must serialise.
    (void)boost::json::serialize(keel::model::validation_error(issues).to_json());
}

// A PATCH body: what binds says which members were sent, and writes back (exclude_unset) to a
// body that binds to the same members.
void check_partial(const boost::json::value& json)
{
    keel::model::issue_list issues;
    const auto changes = keel::model::from_json<keel::partial<profile>>(json, boost::json::array{"body"}, issues);
    check(changes.has_value() == issues.empty(), "from_json<partial> returned a value and issues, or neither");
    check_issues(issues);
    if (!changes)
        return;
    changes->for_each_sent([&](auto member) {
        check(json.as_object().contains(member.name), "a member marked sent that the body did not have", member.name);
    });
    const std::string written = keel::model::to_json_text(*changes);
    keel::model::issue_list again_issues;
    const auto again = keel::model::from_json<keel::partial<profile>>(boost::json::parse(written), boost::json::array{"body"},
                                                                       again_issues);
    // A non-finite score is written as null, which does not bind back; a finite one may come back one ulp off (above).
    if (changes->has<&profile::score>())
        return;
    check(again.has_value() && again->sent() == changes->sent(), "a partial written as JSON does not bind to the same members",
          written);
    check(keel::model::to_json_text(*again) == written, "write(bind(write(partial))) != write(partial)", written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    boost::system::error_code ec;
    const auto json = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec)
        return 0;
    check_partial(json);
    keel::model::issue_list issues;
    const auto bound = keel::model::from_json<profile>(json, boost::json::array{"body"}, issues);
    check(bound.has_value() == issues.empty(), "from_json returned a value and issues, or neither");
    check_issues(issues);
    if (!bound)
        return 0;
    check_constraints(*bound);
    // A non-finite score is written as null (pydantic does the same), which does not bind back.
    if (!std::isfinite(bound->score))
        return 0;
    const std::string written = keel::model::to_json_text(*bound);
    keel::model::issue_list again_issues;
    const auto again = keel::model::from_json<profile>(boost::json::parse(written), boost::json::array{"body"}, again_issues);
    check(again.has_value(), "a bound value written as JSON does not bind again", written);
    // Boost.JSON 1.81 does not always round correctly ("3e+68" parses 1 ulp below the nearest
    // double; 1.83 added precise parsing), so the score may come back one ulp off. Everything
    // else must come back exactly.
    auto same = *again;
    check(same.score == bound->score || std::nextafter(same.score, bound->score) == bound->score,
          "the score came back more than one ulp off", written);
    same.score = bound->score;
    check(keel::model::to_json_text(same) == written, "write(bind(write(x))) != write(x)", written);
    return 0;
}

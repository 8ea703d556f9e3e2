#include <keel/core/time.hpp>

#include <charconv>

#include <fmt/format.h>

namespace keel {

namespace chr = std::chrono;

std::string format_iso8601(timestamp t)
{
    const auto day = chr::floor<chr::days>(t);
    const chr::year_month_day ymd(day);
    const chr::hh_mm_ss hms(t - day);
    const auto micros = hms.subseconds().count();
    std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", int(ymd.year()), unsigned(ymd.month()),
                                  unsigned(ymd.day()), hms.hours().count(), hms.minutes().count(),
                                  hms.seconds().count());
    if (micros != 0)
        out += fmt::format(".{:06}", micros);
    out += 'Z';
    return out;
}

namespace {

bool read_int(std::string_view& s, std::size_t digits, int& out)
{
    if (s.size() < digits)
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + digits, out);
    if (ec != std::errc{} || end != s.data() + digits)
        return false;
    s.remove_prefix(digits);
    return true;
}

bool expect(std::string_view& s, char c)
{
    if (s.empty() || s.front() != c)
        return false;
    s.remove_prefix(1);
    return true;
}

}  // namespace

std::optional<timestamp> parse_iso8601(std::string_view s)
{
    int y, mo, d, h, mi, sec;
    if (!read_int(s, 4, y) || !expect(s, '-') || !read_int(s, 2, mo) || !expect(s, '-') || !read_int(s, 2, d))
        return std::nullopt;
    if (s.empty() || (s.front() != 'T' && s.front() != 't' && s.front() != ' '))
        return std::nullopt;
    s.remove_prefix(1);
    if (!read_int(s, 2, h) || !expect(s, ':') || !read_int(s, 2, mi) || !expect(s, ':') || !read_int(s, 2, sec))
        return std::nullopt;
    std::int64_t micros = 0;
    if (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        int digits = 0;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
            if (digits < 6) {
                micros = micros * 10 + (s.front() - '0');
                ++digits;
            }
            s.remove_prefix(1);
        }
        if (digits == 0)
            return std::nullopt;
        for (; digits < 6; ++digits)
            micros *= 10;
    }
    int offset_minutes = 0;
    if (!s.empty() && (s.front() == 'Z' || s.front() == 'z')) {
        s.remove_prefix(1);
    } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        const int sign = s.front() == '-' ? -1 : 1;
        s.remove_prefix(1);
        int oh = 0, om = 0;
        if (!read_int(s, 2, oh))
            return std::nullopt;
        if (!s.empty() && s.front() == ':')
            s.remove_prefix(1);
        if (!s.empty() && !read_int(s, 2, om))
            return std::nullopt;
        offset_minutes = sign * (oh * 60 + om);
    }
    if (!s.empty())
        return std::nullopt;
    const chr::year_month_day ymd{chr::year(y), chr::month(unsigned(mo)), chr::day(unsigned(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    return timestamp(chr::sys_days(ymd)) + chr::hours(h) + chr::minutes(mi) + chr::seconds(sec) +
           chr::microseconds(micros) - chr::minutes(offset_minutes);
}

}  // namespace keel

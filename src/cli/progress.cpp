#include "cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include <keel/migrate/revision.hpp>

#include "core/ascii.hpp"
#include "migrate/statement_progress.hpp"

namespace keel::cli {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t bar_cells = 20;

std::string duration_text(clock::duration elapsed)
{
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    if (ms < 10'000)
        return fmt::format("{:.1f}s", double(ms) / 1000);
    const auto s = ms / 1000;
    return s < 60 ? fmt::format("{}s", s) : fmt::format("{}m{:02}s", s / 60, s % 60);
}

std::string bytes_text(std::uintmax_t bytes)
{
    if (bytes < 1024 * 1024)
        return fmt::format("{} KiB", bytes / 1024);
    return fmt::format("{:.1f} MiB", double(bytes) / (1024 * 1024));
}

std::size_t cells_done(std::uint64_t done, std::uint64_t total)
{
    return total == 0 ? 0 : static_cast<std::size_t>(bar_cells * std::min(done, total) / total);
}

/// "3.0 MiB of 8.0 MiB", "1200 of 5000 blocks".
std::string measure_text(std::uint64_t done, std::uint64_t total, const std::string& unit)
{
    if (unit == "bytes")
        return fmt::format("{} of {}", bytes_text(done), bytes_text(total));
    return fmt::format("{} of {} {}", done, total, unit);
}

/// Whether the bar has anything to show yet.
bool started(const progress_state& state) { return state.revisions != 0 || state.total != 0 || state.growing_file; }

/// `text` cut to `columns` terminal columns (UTF-8 continuation bytes take none), "…" at the cut.
std::string fit(const std::string& text, std::size_t columns)
{
    std::size_t used = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80)
            continue;
        if (++used == columns && i + 1 < text.size()) {
            std::size_t next = i + 1;
            while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80)
                ++next;
            if (next < text.size())
                return text.substr(0, i) + "…";
        }
    }
    return text;
}

std::optional<std::uintmax_t> size_of(const std::optional<std::filesystem::path>& file)
{
    std::error_code ec;
    if (!file)
        return std::nullopt;
    const auto bytes = std::filesystem::file_size(*file, ec);
    return ec ? std::nullopt : std::optional(bytes);
}

/// A statement the lines mode announces: one run outside the revision's transaction (an index
/// built concurrently, a validation) or a rebuilt table's rows being copied.
bool long_running(const std::string& sql)
{
    return migrate::detail::rebuild_copy_source(sql).has_value() || migrate::outside_transaction(sql);
}

}  // namespace

progress_style parse_progress_style(std::string_view text)
{
    if (text == "auto")
        return progress_style::automatic;
    if (text == "bar")
        return progress_style::bar;
    if (text == "lines")
        return progress_style::lines;
    throw std::invalid_argument("--progress must be auto, bar or lines");
}

std::string statement_summary(const std::string& sql)
{
    const auto code = migrate::statement_code(sql);
    const auto line = keel::detail::trim(code.substr(0, code.find('\n')), " \t\r");
    return line.size() > 100 ? std::string(line.substr(0, 100)) + "…" : std::string(line);
}

std::string render_bar(const progress_state& state, clock::time_point now, std::size_t width,
                       std::optional<std::uintmax_t> file_bytes)
{
    const bool measured = state.revisions == 0;
    const std::size_t done = measured ? cells_done(state.done, state.total) : cells_done(state.revision - 1, state.revisions);
    std::string line = fmt::format("{} [{}{}] ", state.verb, std::string(done, '#'), std::string(bar_cells - done, '-'));
    if (measured)
        line += fmt::format("{}% {}", state.total == 0 ? 0 : 100 * state.done / state.total, state.revision_label);
    else
        line += fmt::format("{}/{} {}", state.revision, state.revisions, state.revision_label);
    if (!state.activity.empty())
        line += " · " + state.activity;
    line += " · " + duration_text(now - state.activity_started);
    if (file_bytes)
        line += " · " + bytes_text(*file_bytes);
    if (!state.phase.empty())
        line += " · " + state.phase;
    if (state.total != 0)
        line += " · " + measure_text(state.done, state.total, state.unit);
    return fit(line, width);
}

progress_display::progress_display(std::FILE* out, progress_style style) : out_(out)
{
    const char* term = std::getenv("TERM");
    const bool terminal = ::isatty(::fileno(out)) && !(term && std::string_view(term) == "dumb");
    bar_ = style == progress_style::bar || (style == progress_style::automatic && terminal);
    if (!bar_)
        return;
    if (winsize size{}; terminal && ::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 20)
        width_ = size.ws_col - 1;  // the last column would wrap on some terminals
    else if (const char* columns = std::getenv("COLUMNS"); columns && std::atoi(columns) > 20)
        width_ = std::size_t(std::atoi(columns)) - 1;
    ticker_ = std::thread([this] { tick(); });
}

progress_display::~progress_display()
{
    if (!bar_)
        return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    ticker_.join();
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
}

void progress_display::tick()
{
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; }))
        if (started(state_))
            draw_locked();
}

void progress_display::draw_locked()
{
    const auto line = render_bar(state_, clock::now(), width_, size_of(state_.growing_file));
    std::fprintf(out_, "\r%s\033[K", line.c_str());
    std::fflush(out_);
}

void progress_display::revision(std::size_t number, std::size_t total, std::string verb, std::string label)
{
    std::lock_guard lock(mutex_);
    const auto line = fmt::format("[{}/{}] {} {}", number, total, verb, label);
    state_ = progress_state{std::move(verb), number, total, std::move(label), {}, clock::now(), {}};
    std::fprintf(out_, bar_ ? "\r%s\033[K\n" : "%s\n", line.c_str());
    if (bar_)
        draw_locked();
    std::fflush(out_);
}

void progress_display::statement(std::size_t number, std::size_t total, const std::string& sql)
{
    const auto code = statement_summary(sql);
    std::lock_guard lock(mutex_);
    state_.phase.clear();
    state_.done = state_.total = 0;
    if (code.empty())
        return;
    const auto activity = fmt::format("statement {} of {}: {}", number, total, code);
    if (bar_) {
        state_.activity = activity;
        state_.activity_started = clock::now();
        draw_locked();
    } else if (long_running(sql)) {
        std::fprintf(out_, "      %s\n", activity.c_str());
        std::fflush(out_);
    }
}

void progress_display::backup_started(const std::filesystem::path& file)
{
    std::lock_guard lock(mutex_);
    state_.activity = "backup " + file.string();
    state_.activity_started = clock::now();
    state_.growing_file = file;
    if (bar_) {
        if (started(state_))
            draw_locked();
        return;
    }
    std::fprintf(out_, "backup: writing %s\n", file.string().c_str());
    std::fflush(out_);
}

void progress_display::backup_done()
{
    std::lock_guard lock(mutex_);
    const auto bytes = size_of(state_.growing_file);
    const auto line = fmt::format("backup: {}, {} in {}", state_.growing_file ? state_.growing_file->string() : "",
                                  bytes ? bytes_text(*bytes) : "?", duration_text(clock::now() - state_.activity_started));
    state_.growing_file.reset();
    state_.activity.clear();
    std::fprintf(out_, bar_ ? "\r%s\033[K\n" : "%s\n", line.c_str());
    std::fflush(out_);
}

void progress_display::note(const std::string& text)
{
    std::lock_guard lock(mutex_);
    std::fprintf(out_, bar_ ? "\r%s\033[K\n" : "%s\n", text.c_str());
    if (bar_ && started(state_))
        draw_locked();
    std::fflush(out_);
}

void progress_display::work(std::string verb, std::string label, std::string unit)
{
    std::lock_guard lock(mutex_);
    std::fprintf(out_, bar_ ? "\r%s: %s\033[K\n" : "%s: %s\n", verb.c_str(), label.c_str());
    std::fflush(out_);
    state_ = progress_state{};
    state_.verb = std::move(verb);
    state_.revision_label = std::move(label);
    state_.unit = std::move(unit);
    state_.activity_started = clock::now();
}

void progress_display::advance(std::uint64_t done, std::uint64_t total)
{
    std::lock_guard lock(mutex_);
    measure_locked(state_.phase, done, total, state_.unit, state_.verb + ": ");
}

void progress_display::statement_progress(std::string phase, std::uint64_t done, std::uint64_t total, std::string unit)
{
    std::lock_guard lock(mutex_);
    measure_locked(std::move(phase), done, total, std::move(unit), "      ");
}

void progress_display::measure_locked(std::string phase, std::uint64_t done, std::uint64_t total, std::string unit,
                                      std::string_view indent)
{
    const bool new_phase = phase != state_.phase;
    const auto tenths_before = state_.total == 0 ? 0 : 10 * state_.done / state_.total;
    state_.phase = std::move(phase);
    state_.unit = std::move(unit);
    state_.done = std::min(done, total);
    state_.total = total;
    const bool new_tenth = total != 0 && 10 * state_.done / total != tenths_before;
    if (bar_ || !(new_phase || new_tenth))
        return;  // the bar is redrawn by the ticker: a report every few KiB would flood the terminal
    std::string line(indent);
    if (!state_.phase.empty())
        line += state_.phase + (total != 0 ? ": " : "");
    if (total != 0)
        line += measure_text(state_.done, total, state_.unit);
    std::fprintf(out_, "%s (%s)\n", line.c_str(), duration_text(clock::now() - state_.activity_started).c_str());
    std::fflush(out_);
}

}  // namespace keel::cli

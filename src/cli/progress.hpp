#pragma once
// What `migrate upgrade`, `downgrade` and `restore` show while they work: a bar redrawn in place on
// a terminal (the revision, the statement, the time it has run, the bytes a backup has written, the
// part of a restore done), plain lines otherwise (CI logs, pipes), as Docker's --progress=tty|plain.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace keel::cli {

enum class progress_style { automatic, bar, lines };
/// "auto", "bar" or "lines"; throws std::invalid_argument for anything else.
progress_style parse_progress_style(std::string_view text);

/// What the bar shows.
struct progress_state {
    std::string verb;  // "upgrade", "downgrade"
    std::size_t revision = 0, revisions = 0;
    std::string revision_label;  // "3f2a9c1b7d04 add email"
    std::string activity;        // "statement 3 of 7: CREATE INDEX …", "backup backups/app-….db"
    std::chrono::steady_clock::time_point activity_started{};
    std::optional<std::filesystem::path> growing_file;  // its size is shown (a backup being written)
    /// Measured work: a restore's (when there are no revisions) or a long statement's, `done` of
    /// `total` `unit`s in `phase`.
    std::uint64_t done = 0, total = 0;
    std::string unit;   // "pages", "bytes", "rows", "blocks"
    std::string phase;  // "copying rows", "building index: scanning table"
};

/// The bar's line for `state` at `now`, at most `width` columns; `file_bytes` is the size of
/// state.growing_file. Pure: what the display draws, and what the tests check.
std::string render_bar(const progress_state& state, std::chrono::steady_clock::time_point now, std::size_t width,
                       std::optional<std::uintmax_t> file_bytes);

/// The first line of `sql` that is not a comment, at most 100 characters ("…" after).
std::string statement_summary(const std::string& sql);

class progress_display {
public:
    /// automatic: a bar when `out` is a terminal and TERM is not "dumb", else lines.
    progress_display(std::FILE* out, progress_style style);
    ~progress_display();  // ends the bar's line
    progress_display(const progress_display&) = delete;
    progress_display& operator=(const progress_display&) = delete;

    void revision(std::size_t number, std::size_t total, std::string verb, std::string label);
    /// Lines mode prints only the statements that take long (an index built concurrently, a
    /// rebuilt table's rows copied), so that the revision's line alone does not look like a hang.
    void statement(std::size_t number, std::size_t total, const std::string& sql);
    /// A backup is being written to `file`; backup_done when it is complete.
    void backup_started(const std::filesystem::path& file);
    void backup_done();
    /// A line of its own, above the bar (a lock wait, a retry).
    void note(const std::string& text);
    /// Measured work begins (`verb` "restore", `label` its file), counted in `unit`s ("pages", "bytes").
    void work(std::string verb, std::string label, std::string unit);
    /// `done` of `total` units: the bar follows it; lines mode prints each tenth done.
    void advance(std::uint64_t done, std::uint64_t total);
    /// How far the running statement has got (migrate::statement_progress), shown as advance.
    void statement_progress(std::string phase, std::uint64_t done, std::uint64_t total, std::string unit);

private:
    void draw_locked();
    void tick();
    /// Lines mode prints the measure when its phase or tenth changes, after `indent`.
    void measure_locked(std::string phase, std::uint64_t done, std::uint64_t total, std::string unit, std::string_view indent);

    std::FILE* out_;
    bool bar_;
    std::size_t width_ = 80;
    std::mutex mutex_;
    progress_state state_;
    bool stopping_ = false;
    std::condition_variable wake_;
    std::thread ticker_;  // bar only: redraws four times a second, so the time and the bytes move
};

}  // namespace keel::cli

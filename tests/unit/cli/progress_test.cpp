// What migrate's progress bar says, from its state alone (src/cli/progress.hpp).
#include <algorithm>
#include <cstdio>

#include <gtest/gtest.h>

#include "cli/progress.hpp"

namespace {

using namespace keel::cli;
using namespace std::chrono_literals;

progress_state upgrading(std::chrono::steady_clock::time_point started)
{
    return progress_state{"upgrade", 2, 4, "3f2a9c1b7d04 add email", "statement 1 of 3: CREATE INDEX CONCURRENTLY ix ON t (c)",
                          started, std::nullopt};
}

TEST(progress, the_bar_shows_the_revisions_done_the_statement_and_its_time)
{
    const auto now = std::chrono::steady_clock::now();
    EXPECT_EQ(render_bar(upgrading(now - 12300ms), now, 200, std::nullopt),
              "upgrade [#####---------------] 2/4 3f2a9c1b7d04 add email · statement 1 of 3: CREATE INDEX CONCURRENTLY ix ON t (c)"
              " · 12s");
    EXPECT_TRUE(render_bar(upgrading(now - 2500ms), now, 200, std::nullopt).ends_with("(c) · 2.5s"));
    EXPECT_TRUE(render_bar(upgrading(now - 185s), now, 200, std::nullopt).ends_with(" · 3m05s"));
}

TEST(progress, a_backup_shows_the_bytes_written)
{
    const auto now = std::chrono::steady_clock::now();
    auto state = upgrading(now);
    state.activity = "backup backups/app-before-3f2a9c1b7d04.db";
    EXPECT_TRUE(render_bar(state, now, 200, 14'900'000).ends_with(" · backup backups/app-before-3f2a9c1b7d04.db · 0.0s · 14.2 MiB"));
    EXPECT_TRUE(render_bar(state, now, 200, 3'000).ends_with(" · 2 KiB"));
}

TEST(progress, the_bar_fits_the_terminal_in_columns_not_bytes)
{
    const auto now = std::chrono::steady_clock::now();
    const auto cut = render_bar(upgrading(now), now, 40, std::nullopt);
    EXPECT_EQ(cut, "upgrade [#####---------------] 2/4 3f2a…");
    const auto unicode = render_bar(upgrading(now), now, 116, std::nullopt);  // "·" is two bytes, one column
    EXPECT_TRUE(unicode.ends_with("(c)…")) << unicode;
}

TEST(progress, a_restore_shows_the_part_done_in_its_unit)
{
    const auto now = std::chrono::steady_clock::now();
    progress_state state;
    state.verb = "restore";
    state.revision_label = "app-20261203T101500Z-42-before-3f2a.dump";
    state.activity_started = now - 3s;
    state.unit = "bytes";
    EXPECT_EQ(render_bar(state, now, 200, std::nullopt), "restore [--------------------] 0% app-20261203T101500Z-42-before-3f2a.dump · 3.0s");
    state.done = 3 * 1024 * 1024, state.total = 8 * 1024 * 1024;
    EXPECT_EQ(render_bar(state, now, 200, std::nullopt),
              "restore [#######-------------] 37% app-20261203T101500Z-42-before-3f2a.dump · 3.0s · 3.0 MiB of 8.0 MiB");
    state.unit = "pages", state.done = 40, state.total = 40;
    EXPECT_TRUE(render_bar(state, now, 200, std::nullopt).starts_with("restore [####################] 100% "));
    EXPECT_TRUE(render_bar(state, now, 200, std::nullopt).ends_with(" · 40 of 40 pages"));
}

TEST(progress, a_long_statement_shows_its_phase_and_how_far_it_got)
{
    const auto now = std::chrono::steady_clock::now();
    auto state = upgrading(now - 4s);
    state.phase = "building index: scanning table", state.done = 1200, state.total = 5000, state.unit = "blocks";
    EXPECT_TRUE(render_bar(state, now, 300, std::nullopt)
                    .ends_with("CREATE INDEX CONCURRENTLY ix ON t (c) · 4.0s · building index: scanning table · 1200 of 5000 blocks"));
    state.done = state.total = 0;  // a phase with nothing to count
    EXPECT_TRUE(render_bar(state, now, 300, std::nullopt).ends_with(" · 4.0s · building index: scanning table"));
}

TEST(progress, lines_report_a_restore_by_tenths)
{
    std::FILE* out = std::tmpfile();
    {
        progress_display display(out, progress_style::lines);
        display.work("restore", "app.db", "pages");
        for (std::uint64_t page = 1; page <= 100; ++page)
            display.advance(page, 100);
    }
    std::rewind(out);
    std::string text(4096, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), out));
    std::fclose(out);
    EXPECT_TRUE(text.starts_with("restore: app.db\nrestore: 10 of 100 pages (")) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 11) << text;
}

TEST(progress, a_statement_is_summed_up_by_its_first_line_of_code)
{
    EXPECT_EQ(statement_summary("-- why\n-- keel: no-transaction\nCREATE INDEX CONCURRENTLY ix\n  ON t (c)"), "CREATE INDEX CONCURRENTLY ix");
    EXPECT_EQ(statement_summary("-- only a comment"), "");
    EXPECT_EQ(statement_summary(std::string(150, 'x')), std::string(100, 'x') + "…");
}

TEST(progress, the_style_is_auto_bar_or_lines)
{
    EXPECT_EQ(parse_progress_style("auto"), progress_style::automatic);
    EXPECT_EQ(parse_progress_style("bar"), progress_style::bar);
    EXPECT_EQ(parse_progress_style("lines"), progress_style::lines);
    EXPECT_THROW(parse_progress_style("tty"), std::invalid_argument);
}

}  // namespace

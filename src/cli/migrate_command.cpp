// `migrate …`: the migrations commands of every keel application and of the keel tool, thin over
// keel::migrate. upgrade, downgrade, current and stamp use the database; the others only the folder.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <keel/cli/service.hpp>
#include <keel/db/pool.hpp>
#include <keel/migrate/autogenerate.hpp>
#include <keel/migrate/backup.hpp>
#include <keel/migrate/folder.hpp>
#include <keel/migrate/lint.hpp>
#include <keel/migrate/migrator.hpp>
#include <keel/migrate/schema.hpp>

#include "cli/backups.hpp"
#include "cli/progress.hpp"

namespace keel::cli {

namespace {

using std::chrono::milliseconds;

const setting_rules<migrate::migrate_settings>& migrate_setting_rules()
{
    using s = migrate::migrate_settings;
    static const auto rules = setting_rules<s>()
                                  .require(&s::migrations_dir, [](const std::string& v) { return !v.empty(); }, "a folder")
                                  .require(&s::migrate_backup_dir, [](const std::string& v) { return !v.empty(); }, "a folder")
                                  .at_least(&s::migrate_lock_timeout, milliseconds(1))
                                  .at_least(&s::migrate_ddl_lock_timeout, milliseconds(1))
                                  .at_least(&s::migrate_ddl_lock_retries, std::int64_t(0))
                                  .at_least(&s::migrate_statement_timeout, milliseconds(1))
                                  .at_least(&s::migrate_big_table_rows, std::int64_t(1));
    return rules;
}

/// What a migrate verb works with: its settings, the folder, the dialects it writes or reads, and
/// the application's models (none in the keel tool).
struct migrate_context {
    const command_line& args;
    const db::database_settings& database;
    const migrate::metadata* models;
    migrate::migrate_settings settings;
    std::filesystem::path folder;

    std::vector<db::backend> dialects() const
    {
        std::vector<db::backend> out;
        for (const auto& name : args.dialects)
            out.push_back(migrate::parse_dialect(name));
        return out;
    }
    /// The dialect the folder is read in: --dialect's first, else the database's.
    db::backend dialect() const { return args.dialects.empty() ? database.database_url.kind() : dialects().front(); }
    migrate::history revisions() const { return migrate::history::load(folder, dialect()); }
};

std::string summary(const migrate::revision& r) { return fmt::format("{} {}", r.id, r.message); }

int write_new(const migrate_context& c, std::vector<std::string> parents)
{
    auto dialects = c.dialects();
    if (dialects.empty())
        dialects = {db::backend::sqlite, db::backend::postgresql};
    for (const auto& path : migrate::write_revision(c.folder, migrate::new_revision(c.args.message, std::move(parents), dialects)))
        fmt::print("wrote {}\n", path.string());
    return 0;
}

/// A section's statements with what a person must confirm written above the first.
std::vector<std::string> with_review(std::vector<std::string> statements, const std::vector<std::string>& review)
{
    std::string notes;
    for (const auto& line : review)
        notes += "-- REVIEW: " + line + "\n";
    if (!statements.empty())
        statements.front() = notes + statements.front();
    return statements;
}

/// Like Alembic, autogenerate compares with a database at head: otherwise the revision would
/// repeat what the unapplied ones do.
task<void> require_at_head(const db::pool& pool, const migrate::history& history)
{
    const migrate::migrator reader(pool, history);
    const auto applied = co_await reader.applied();
    history.verify(applied);
    auto at = history.heads_of(applied), heads = history.heads();
    std::sort(at.begin(), at.end());
    std::sort(heads.begin(), heads.end());
    if (at != heads)
        throw migrate::error("the database is not at the head revision: run `migrate upgrade` first, so that the new "
                             "revision holds only what the models add");
}

int autogenerate(const migrate_context& c, const std::vector<std::string>& heads)
{
    if (!c.models || c.models->empty())
        throw migrate::error("--autogenerate compares an application's models with its database: run it as `APP migrate "
                             "revision --autogenerate` (this program declares no models)");
    const auto dialect = c.database.database_url.kind();
    if (!c.args.dialects.empty() && c.dialects() != std::vector{dialect})
        throw migrate::error(fmt::format("--autogenerate writes the dialect of the database it compares with ({})",
                                         migrate::dialect_name(dialect)));
    const auto history = c.revisions();
    migrate::generated_changes changes;
    migrate::run_on_migration_pool(c.database, c.settings, [&](const db::pool& pool) -> task<void> {
        co_await require_at_head(pool, history);
        auto session = pool.make_session();
        changes = co_await migrate::autogenerate(session, *c.models);
    });
    if (changes.empty()) {
        fmt::print("no changes: the database ({}) matches the models; no revision written\n", c.database.database_url.redacted());
        return 0;
    }
    auto files = migrate::new_revision(c.args.message, heads, {dialect});
    files.front().upgrade = with_review(std::move(changes.upgrade), changes.review);
    files.front().downgrade = with_review(std::move(changes.downgrade), changes.downgrade_review);
    for (const auto& line : changes.differences)
        fmt::print("  {}\n", line);
    for (const auto& line : changes.review)
        fmt::print("review: {}\n", line);
    for (const auto& path : migrate::write_revision(c.folder, files))
        fmt::print("wrote {}\n", path.string());
    return 0;
}

int revision(const migrate_context& c)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(c.folder, ec))
        throw migrate::error(fmt::format("there is no migrations folder at {}: create it with `migrate init`", c.folder.string()));
    const auto heads = c.revisions().heads();
    if (heads.size() > 1)
        throw migrate::error(fmt::format("the folder has {} heads ({}): join them with `migrate merge` first", heads.size(),
                                         fmt::join(heads, ", ")));
    return c.args.autogenerate ? autogenerate(c, heads) : write_new(c, heads);
}

int merge(const migrate_context& c)
{
    const auto history = c.revisions();
    std::vector<std::string> parents;
    for (const auto& r : c.args.revisions)
        parents.push_back(history.find(r).id);
    if (parents.empty())
        parents = history.heads();
    if (parents.size() < 2)
        throw migrate::error(fmt::format("merge joins two or more heads; the folder has {}", parents.size()));
    return write_new(c, std::move(parents));
}

int print_history(const migrate_context& c, bool heads_only)
{
    const auto history = c.revisions();
    const auto heads = history.heads();
    const auto& ordered = history.ordered();
    for (auto r = ordered.rbegin(); r != ordered.rend(); ++r) {
        const bool head = std::find(heads.begin(), heads.end(), r->id) != heads.end();
        if (heads_only && !head)
            continue;
        const std::string parents = r->parents.empty() ? "<base>" : fmt::format("{}", fmt::join(r->parents, ", "));
        fmt::print("{} -> {}{}, {}\n", parents, r->id, head ? " (head)" : "", r->message);
    }
    return 0;
}

int current(const migrate_context& c)
{
    const auto history = c.revisions();
    migrate::applied_revisions applied;
    migrate::run_on_migration_pool(c.database, c.settings, [&](const db::pool& pool) -> task<void> {
        const migrate::migrator reader(pool, history);
        applied = co_await reader.applied();
    });
    if (applied.empty())
        fmt::print("<base>: no revision applied\n");
    const auto heads = history.heads();
    for (const auto& id : history.heads_of(applied))
        fmt::print("{}{}\n", summary(history.find(id)),
                   std::find(heads.begin(), heads.end(), id) != heads.end() ? " (head)" : "");
    history.verify(applied);  // reported as an error: the database and the folder disagree
    return 0;
}

/// lint's findings in `plan`, with the live tables' sizes.
task<std::vector<migrate::finding>> findings_of(const db::pool& pool, const std::vector<migrate::step>& plan,
                                                const migrate::migrate_settings& settings, const migrate::metadata* models)
{
    auto session = pool.make_session();
    const auto rows = co_await migrate::live_table_rows(session);
    co_await session.rollback();
    co_return migrate::lint(plan, rows, {pool.kind(), settings.migrate_big_table_rows, models});
}

/// Before an upgrade changes anything: lint (a high-risk finding not accepted stops it), then the backup.
task<void> before_upgrade(const db::pool& pool, const db::database_settings& database, const migrate::migrate_settings& settings,
                          const migrate::metadata* models, const std::vector<migrate::step>& plan, progress_display* display)
{
    const auto findings = co_await findings_of(pool, plan, settings, models);
    for (const auto& f : findings)
        if (f.level == migrate::risk::medium || f.accepted)
            log::warn("migrate: lint: {}", migrate::describe(f));
    migrate::refuse_unaccepted(findings);
    co_await backup_before_change(pool, database, settings, "before-" + plan.front().target->id, display);
}

int lint(const migrate_context& c)
{
    const auto history = c.revisions();
    std::vector<migrate::finding> findings;
    std::size_t pending = 0;
    migrate::run_on_migration_pool(c.database, c.settings, [&](const db::pool& pool) -> task<void> {
        const migrate::migrator reader(pool, history);
        const auto applied = co_await reader.applied();
        history.verify(applied);
        const auto plan = history.upgrade_plan(applied, "head");
        pending = plan.size();
        findings = co_await findings_of(pool, plan, c.settings, c.models);
    });
    bool refused = false;
    for (const auto& f : findings) {
        fmt::print("{}\n", migrate::describe(f));
        refused = refused || (f.level == migrate::risk::high && !f.accepted);
    }
    fmt::print("{} finding(s) in {} revision(s) to apply{}\n", findings.size(), pending,
               refused ? "; upgrade refuses the high-risk ones the revisions do not accept" : "");
    return refused ? 1 : 0;
}

/// What a migration shows on `display` as it goes: each revision, each statement, lock waits.
void show_progress(migrate::migrator& m, progress_display& display, const migrate::migrate_settings& settings)
{
    m.on_step = [&display](const migrate::progress& p) {
        display.revision(p.number, p.total, p.what.upgrade ? "upgrade" : "downgrade", summary(*p.what.target));
    };
    m.on_lock_wait = [&display, wait = settings.migrate_lock_timeout] {
        display.note(fmt::format("another migration holds the migration lock: waiting for it (at most MIGRATE_LOCK_TIMEOUT, {} ms)",
                                 wait.count()));
    };
    m.on_statement = [&display](std::size_t number, std::size_t total, const std::string& sql) {
        display.statement(number, total, sql);
    };
    m.on_statement_progress = [&display](const migrate::statement_progress& p) {
        display.statement_progress(p.phase, p.done, p.total, p.unit);
    };
}

/// PostgreSQL: a pool of one connection of its own that reads an index build's progress while the
/// migration's connection builds it; none when it cannot be opened (the migration goes on without).
std::optional<db::pool> progress_reader(const db::database_settings& database, const migrate::migrate_settings& settings)
{
    if (database.database_url.kind() != db::backend::postgresql)
        return std::nullopt;
    auto reader = migrate::migration_pool_settings(database, settings);
    reader.statement_timeout = milliseconds(5'000);  // a progress query, awaited before the next statement
    try {
        return db::pool::open(reader, 1);
    } catch (const std::exception& e) {
        log::warn("migrate: no index build progress: a second connection cannot be opened: {}", e.what());
        return std::nullopt;
    }
}

int move(const migrate_context& c, bool upgrade)
{
    const std::string target = c.args.migrate_target.empty() ? "head" : c.args.migrate_target;
    if (!c.args.sql && !c.args.dialects.empty())
        throw migrate::error("--dialect goes with --sql: a migration runs in the dialect of DATABASE_URL");
    const auto history = c.revisions();
    if (c.args.sql) {
        if (!upgrade && target.find(':') == std::string::npos)
            throw migrate::error("downgrade --sql needs FROM:TO (there is no database to ask where it is)");
        fmt::print("{}", migrate::offline_sql(history, target, upgrade, c.dialect(), c.settings));
        return 0;
    }
    std::size_t done = 0;
    {  // the bar is gone before the summary
        progress_display display(stdout, parse_progress_style(c.args.progress));
        auto reader = progress_reader(c.database, c.settings);
        migrate::run_on_migration_pool(c.database, c.settings, [&](const db::pool& pool) -> task<void> {
            migrate::migrator m(pool, history, c.settings);
            show_progress(m, display, c.settings);
            m.progress_reader = reader ? &*reader : nullptr;
            m.before_changes = [&](const std::vector<migrate::step>& plan) {
                return upgrade ? before_upgrade(pool, c.database, c.settings, c.models, plan, &display)
                               : backup_before_change(pool, c.database, c.settings, "before-" + plan.front().target->id, &display);
            };
            std::exception_ptr failure;
            try {
                if (upgrade)  // not `co_await (upgrade ? a : b)`: GCC 12 and ?:
                    done = co_await m.upgrade(target);
                else
                    done = co_await m.downgrade(target);
            } catch (...) {
                failure = std::current_exception();
            }
            if (reader)
                reader->close();  // here, on the io_context its connection lives on
            if (failure)
                std::rethrow_exception(failure);
        });
    }
    fmt::print("{} {} revision(s)\n", upgrade ? "applied" : "undid", done);
    return 0;
}

int stamp(const migrate_context& c)
{
    const auto history = c.revisions();
    migrate::run_on_migration_pool(c.database, c.settings, [&](const db::pool& pool) -> task<void> {
        migrate::migrator m(pool, history, c.settings);
        co_await m.stamp(c.args.migrate_target);
    });
    fmt::print("stamped {}\n", c.args.migrate_target);
    return 0;
}

/// The models against the database: each difference on a line, exit 1 when there is any (for CI).
int check(const migrate_context& c)
{
    if (!c.models || c.models->empty())
        throw migrate::error("check compares an application's models with its database: run it as `APP migrate check` "
                             "(this program declares no models)");
    std::vector<std::string> differences;
    migrate::run_on_migration_pool(c.database, c.settings, [&](const db::pool& pool) -> task<void> {
        auto session = pool.make_session();
        differences = co_await migrate::differences(session, *c.models);
    });
    for (const auto& line : differences)
        fmt::print("{}\n", line);
    if (differences.empty())
        fmt::print("no differences: the database ({}) matches the models\n", c.database.database_url.redacted());
    else
        fmt::print("{} difference(s) between the models and the database\n", differences.size());
    return differences.empty() ? 0 : 1;
}

int run_verb(const migrate_context& c)
{
    const std::string verb = c.args.command.substr(std::string_view("migrate ").size());
    if (verb == "init") {
        migrate::init_folder(c.folder);
        fmt::print("created {}; next: migrate revision -m MESSAGE\n", c.folder.string());
        return 0;
    }
    if (verb == "revision")
        return revision(c);
    if (verb == "merge")
        return merge(c);
    if (verb == "history" || verb == "heads")
        return print_history(c, verb == "heads");
    if (verb == "current")
        return current(c);
    if (verb == "stamp")
        return stamp(c);
    if (verb == "check")
        return check(c);
    if (verb == "lint")
        return lint(c);
    if (verb == "restore")
        return restore(c.args, c.database, c.settings);
    return move(c, verb == "upgrade");
}

}  // namespace

void add_migrate_commands(CLI::App& cli, command_line& out)
{
    auto* migrate = cli.add_subcommand("migrate", "Database migrations: revisions in a folder (MIGRATIONS_DIR), applied in order");
    migrate->require_subcommand(1);
    const auto verb = [&](const std::string& name, const std::string& help) {
        auto* sub = migrate->add_subcommand(name, help);
        sub->callback([&out, name] { out.command = "migrate " + name; });
        sub->add_option_function<std::string>("--dir", [&](const std::string& v) { out.migrations_dir = v; },
                                              "The migrations folder (overrides MIGRATIONS_DIR; default migrations)");
        add_env_file_option(*sub, out);
        return sub;
    };
    const auto add_progress_option = [&](CLI::App& sub) {
        sub.add_option("--progress", out.progress, "auto (a bar on a terminal, else lines), bar or lines")
            ->check(CLI::IsMember({"auto", "bar", "lines"}));
    };
    verb("init", "Create the migrations folder")->add_option("folder", out.migrate_target, "The folder (default: MIGRATIONS_DIR)");
    auto* revision = verb("revision", "Write a new revision after the head: empty, one file per dialect, or --autogenerate");
    revision->add_option("-m,--message", out.message, "What the revision does")->required();
    revision->add_option("--dialect", out.dialects, "sqlite or postgresql (repeatable; default both)");
    revision->add_flag("--autogenerate", out.autogenerate,
                       "Write the statements that bring the database (at head) to the models, and back, in its dialect");
    auto* merge = verb("merge", "Write a revision joining two or more heads (default: all of them)");
    merge->add_option("-m,--message", out.message, "What the merge joins")->required();
    merge->add_option("revisions", out.revisions, "The heads to join");
    merge->add_option("--dialect", out.dialects, "sqlite or postgresql (repeatable; default both)");
    for (const auto* name : {"upgrade", "downgrade"}) {
        const bool up = std::string_view(name) == "upgrade";
        auto* sub = verb(name, up ? "Apply revisions: head (default), heads, +N or REV" : "Undo revisions: -N, REV or base");
        auto* target = sub->add_option("target", out.migrate_target, up ? "head (default), heads, +N or a revision" : "-N, a revision or base");
        if (!up)  // upgrade's default, head, is filled in when it runs: a default_val here would be every verb's
            target->required();
        sub->add_flag("--sql", out.sql, "Print the SQL instead of running it (TARGET may be FROM:TO; no database)");
        sub->add_option("--dialect", out.dialects, "With --sql: the dialect to print (default: DATABASE_URL's)")->expected(1);
        add_progress_option(*sub);
    }
    verb("current", "Print the revisions the database has");
    verb("history", "List the revisions, newest first");
    verb("heads", "List the revisions nothing follows");
    verb("check", "Compare the application's models with the database; exit 1 and list the differences when they differ");
    verb("lint", "Check the revisions upgrade would apply for statements that lock big tables, break running code or lose data");
    auto* restore = verb("restore", "Replace the database's contents with a backup's (MIGRATE_BACKUP_DIR), after checking it "
                                    "and backing up what it replaces");
    restore->add_option("backup", out.migrate_target, "The backup: a .db file (SQLite) or a .dump (PostgreSQL)")->required();
    restore->add_flag("--yes", out.yes, "Do not ask: needed when stdin is not a terminal");
    add_progress_option(*restore);
    verb("stamp", "Record a revision (and its ancestors) as applied without running it; base clears")
        ->add_option("target", out.migrate_target, "A revision, head, heads or base")
        ->required();
}

namespace {
/// check and lint answer with exit 1 (a difference, a refusal): their own failures exit 2.
bool reports_by_exit_code(const command_line& args) { return args.command == "migrate check" || args.command == "migrate lint"; }
}  // namespace

int run_migrate_command(std::string_view name, const command_line& args, const environment& env,
                        const db::database_settings& database, const migrate::metadata* models)
{
    try {
        migrate_context c{args, database, models, load_migrate_settings(env), {}};
        c.folder = args.migrations_dir.value_or(c.settings.migrations_dir);
        if (args.command == "migrate init" && !args.migrate_target.empty())
            c.folder = args.migrate_target;
        return run_verb(c);
    } catch (const migrate::error& e) {
        std::fprintf(stderr, "%.*s: %s: %s\n", int(name.size()), name.data(), args.command.c_str(), e.what());
        return reports_by_exit_code(args) ? 2 : 1;  // check: 1 means "they differ"; lint: "refused"
    } catch (...) {
        const int code = report_startup_failure(name, std::current_exception());
        return reports_by_exit_code(args) ? 2 : code;
    }
}

void migrate_on_start(const environment& env, const db::database_settings& database, const migrate::metadata* models)
{
    const auto settings = load_migrate_settings(env);
    if (!settings.migrate_on_start)
        return;
    const auto history = migrate::history::load(settings.migrations_dir, database.database_url.kind());
    std::size_t done = 0;
    migrate::run_on_migration_pool(database, settings, [&](const db::pool& pool) -> task<void> {
        migrate::migrator m(pool, history, settings);
        m.on_step = [](const migrate::progress& p) {
            log::info("migrate: upgrade {} of {}: {} {}", p.number, p.total, p.what.target->id, p.what.target->message);
        };
        m.on_lock_wait = [] { log::info("migrate: another migration holds the migration lock; waiting for it"); };
        m.before_changes = [&](const std::vector<migrate::step>& plan) {
            return before_upgrade(pool, database, settings, models, plan, nullptr);
        };
        done = co_await m.upgrade("head");
    });
    log::info("migrate: {} revision(s) applied; the database is at head", done);
}

migrate::migrate_settings load_migrate_settings(const environment& env)
{
    return load_settings<migrate::migrate_settings>(env, migrate_setting_rules());
}

}  // namespace keel::cli

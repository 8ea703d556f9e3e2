// The revision graph: loading a folder, ordering, heads, lineage and the plans of upgrade and downgrade.
#include <keel/migrate/history.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

namespace keel::migrate {

namespace {

namespace fs = std::filesystem;

std::string describe(const revision& r)
{
    return r.file.empty() ? r.id : fmt::format("{} ({})", r.id, r.file.filename().string());
}

/// Kahn's algorithm; among the revisions whose parents are all placed, the oldest goes first.
std::vector<revision> topological(std::vector<revision> revisions)
{
    std::map<std::string, std::size_t, std::less<>> index;
    for (std::size_t i = 0; i < revisions.size(); ++i)
        if (!index.emplace(revisions[i].id, i).second)
            throw error(fmt::format("two revisions have the id {}: {} and {}", revisions[i].id,
                                    revisions[index[revisions[i].id]].file.string(), revisions[i].file.string()));
    std::vector<std::size_t> waiting(revisions.size());
    std::vector<std::vector<std::size_t>> children(revisions.size());
    for (std::size_t i = 0; i < revisions.size(); ++i)
        for (const auto& parent : revisions[i].parents) {
            const auto found = index.find(parent);
            if (found == index.end())
                throw error(fmt::format("revision {} names parent {}, which is not in the folder", describe(revisions[i]), parent));
            children[found->second].push_back(i);
            ++waiting[i];
        }
    const auto older = [&](std::size_t a, std::size_t b) {
        return std::tie(revisions[a].created, revisions[a].id) > std::tie(revisions[b].created, revisions[b].id);
    };
    std::vector<std::size_t> ready;  // a heap, oldest on top
    for (std::size_t i = 0; i < revisions.size(); ++i)
        if (waiting[i] == 0)
            ready.push_back(i);
    std::make_heap(ready.begin(), ready.end(), older);
    std::vector<revision> out;
    while (!ready.empty()) {
        std::pop_heap(ready.begin(), ready.end(), older);
        const std::size_t next = ready.back();
        ready.pop_back();
        for (std::size_t child : children[next])
            if (--waiting[child] == 0) {
                ready.push_back(child);
                std::push_heap(ready.begin(), ready.end(), older);
            }
        out.push_back(std::move(revisions[next]));
    }
    if (out.size() != revisions.size())
        throw error("the revisions' parents form a cycle: check the 'parents' lines of the revisions not yet applied");
    return out;
}

std::size_t parse_count(std::string_view text, std::string_view verb)
{
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n == 0)
        throw error(fmt::format("'{}' is not a step count: {} takes a positive number", text, verb));
    return n;
}

std::string read_file(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw error(fmt::format("cannot read {}", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

history::history(std::vector<revision> revisions) : ordered_(topological(std::move(revisions))) {}

history history::load(const fs::path& folder, db::backend dialect)
{
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw error(fmt::format("there is no migrations folder at {}: create it with `migrate init`", folder.string()));
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder))
        if (entry.is_regular_file() && entry.path().extension() == ".sql")
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::vector<revision> mine;
    std::map<std::string, revision, std::less<>> others;  // the same revisions in other dialects
    for (const auto& file : files) {
        revision r = parse_revision(read_file(file), file);
        if (r.dialect == dialect)
            mine.push_back(std::move(r));
        else
            others.emplace(r.id, std::move(r));
    }
    for (const auto& r : mine) {
        const auto twin = others.find(r.id);
        if (twin != others.end() && twin->second.parents != r.parents)
            throw error(fmt::format("{} and {} are one revision with different parents", r.file.string(), twin->second.file.string()));
        if (twin != others.end())
            others.erase(twin);
    }
    if (!others.empty()) {
        const revision& lone = others.begin()->second;
        throw error(fmt::format("revision {} has no {} file beside {}: write one (an empty section is allowed)",
                                lone.id, dialect_name(dialect), lone.file.string()));
    }
    return history(std::move(mine));
}

const revision& history::find(std::string_view id_or_prefix) const
{
    for (const auto& r : ordered_)
        if (r.id == id_or_prefix)
            return r;
    const revision* found = nullptr;
    if (id_or_prefix.size() >= 4)  // a shorter prefix is more likely a typo ("downgrade 1" for -1)
        for (const auto& r : ordered_)
            if (r.id.starts_with(id_or_prefix)) {
                if (found)
                    throw error(fmt::format("'{}' is ambiguous: it starts both {} and {}", id_or_prefix, found->id, r.id));
                found = &r;
            }
    if (!found) {
        const bool number = !id_or_prefix.empty() && id_or_prefix.find_first_not_of("0123456789") == std::string_view::npos;
        throw error(fmt::format("unknown revision '{}': `migrate history` lists them (an id, or its first 4 or more "
                                "characters){}", id_or_prefix, number ? "; to step, write +N or -N" : ""));
    }
    return *found;
}

std::vector<std::string> history::heads() const
{
    std::set<std::string_view> parents;
    for (const auto& r : ordered_)
        parents.insert(r.parents.begin(), r.parents.end());
    std::vector<std::string> out;
    for (const auto& r : ordered_)
        if (!parents.contains(r.id))
            out.push_back(r.id);
    return out;
}

std::set<std::string, std::less<>> history::lineage(std::string_view id) const
{
    std::set<std::string, std::less<>> out;
    std::vector<std::string> to_visit{std::string(id)};
    while (!to_visit.empty()) {
        std::string next = std::move(to_visit.back());
        to_visit.pop_back();
        if (out.contains(next))
            continue;
        const revision& r = find(next);
        to_visit.insert(to_visit.end(), r.parents.begin(), r.parents.end());
        out.insert(std::move(next));
    }
    return out;
}

std::vector<std::string> history::heads_of(const applied_revisions& applied) const
{
    std::set<std::string_view> parents;
    for (const auto& r : ordered_)
        if (applied.contains(r.id))
            parents.insert(r.parents.begin(), r.parents.end());
    std::vector<std::string> out;
    for (const auto& r : ordered_)
        if (applied.contains(r.id) && !parents.contains(r.id))
            out.push_back(r.id);
    return out;
}

std::vector<std::string> history::targets(std::string_view target) const
{
    if (target != "head" && target != "heads")
        return {find(target).id};
    auto out = heads();
    if (target == "head" && out.size() > 1)
        throw error(fmt::format("the folder has {} heads ({}): join them with `migrate merge`, or name one of them or "
                                "'heads'", out.size(), fmt::join(out, ", ")));
    return out;
}

std::vector<step> history::upgrade_plan(const applied_revisions& applied, std::string_view target) const
{
    std::vector<step> plan;
    if (target.starts_with('+')) {
        const std::size_t n = parse_count(target.substr(1), "upgrade +N");
        for (const auto& r : ordered_)
            if (!applied.contains(r.id) && plan.size() < n)
                plan.push_back({&r, true});
        if (plan.size() < n)
            throw error(fmt::format("upgrade {}: only {} revision(s) are left to apply", target, plan.size()));
        return plan;
    }
    std::set<std::string, std::less<>> wanted;
    for (const auto& t : targets(target))
        wanted.merge(lineage(t));
    for (const auto& r : ordered_)
        if (wanted.contains(r.id) && !applied.contains(r.id))
            plan.push_back({&r, true});
    return plan;
}

std::vector<step> history::downgrade_plan(const applied_revisions& applied, std::string_view target) const
{
    std::vector<step> plan;
    std::set<std::string, std::less<>> keep;
    std::size_t steps = applied.size();
    if (target.starts_with('-')) {
        steps = parse_count(target.substr(1), "downgrade -N");
        if (steps > applied.size())
            throw error(fmt::format("downgrade {}: the database has only {} revision(s) applied", target, applied.size()));
    } else if (target != "base") {
        const revision& r = find(target);
        if (!applied.contains(r.id))
            throw error(fmt::format("revision {} is not applied, so there is nothing to go back to: downgrade goes to a revision "
                                    "the database has (`migrate current`)", r.id));
        keep = lineage(r.id);
    }
    for (auto r = ordered_.rbegin(); r != ordered_.rend() && plan.size() < steps; ++r)
        if (applied.contains(r->id) && !keep.contains(r->id))
            plan.push_back({&*r, false});
    return plan;
}

void history::verify(const applied_revisions& applied) const
{
    std::vector<std::string> problems;
    for (const auto& [id, checksum] : applied) {
        const auto r = std::find_if(ordered_.begin(), ordered_.end(), [&](const revision& x) { return x.id == id; });
        if (r == ordered_.end())
            problems.push_back(fmt::format("the database has revision {}, which is not in the migrations folder: restore its "
                                           "file (or `migrate stamp` a revision the folder has)", id));
        else if (r->checksum != checksum)
            problems.push_back(fmt::format("revision {} was edited after it was applied (checksum {} then, {} now): restore "
                                           "the applied text and put the change in a new revision", describe(*r),
                                           checksum.substr(0, 12), r->checksum.substr(0, 12)));
    }
    if (!problems.empty())
        throw error(fmt::format("{}", fmt::join(problems, "\n")));
}

}  // namespace keel::migrate

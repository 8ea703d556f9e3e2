#pragma once
// The revisions of a migrations folder as a graph (each names its parents), and the plans that
// take a database from the revisions it has to the ones asked for.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <keel/migrate/revision.hpp>

namespace keel::migrate {

/// The revisions a database has, by id, with the checksum each had when it was applied.
using applied_revisions = std::map<std::string, std::string, std::less<>>;

/// One revision to run, up or down.
struct step {
    const revision* target = nullptr;
    bool upgrade = true;
};

class history {
public:
    /// Checks the graph: ids unique, parents known, no cycle. Throws migrate::error.
    explicit history(std::vector<revision> revisions);
    /// The revisions of `folder` in `dialect` (its `*.DIALECT.sql` files). Every revision of the
    /// folder must have a file in this dialect; throws migrate::error naming the files at fault.
    static history load(const std::filesystem::path& folder, db::backend dialect);

    /// Parents before children; among revisions free to go next, the older (created, then id) first.
    const std::vector<revision>& ordered() const noexcept { return ordered_; }
    bool empty() const noexcept { return ordered_.empty(); }
    /// The revision with this id, or the one whose id starts with it; throws migrate::error for
    /// an unknown or ambiguous one.
    const revision& find(std::string_view id_or_prefix) const;
    /// Revisions no other revision names as a parent, in order.
    std::vector<std::string> heads() const;
    /// `id` and every revision it descends from.
    std::set<std::string, std::less<>> lineage(std::string_view id) const;
    /// The revisions `target` names: "head" (the only head; two heads must be merged first),
    /// "heads", or a revision (id or prefix). Throws migrate::error.
    std::vector<std::string> targets(std::string_view target) const;
    /// The heads of `applied`: applied revisions no applied revision descends from.
    std::vector<std::string> heads_of(const applied_revisions& applied) const;

    /// What `upgrade TARGET` runs: TARGET is "head" (the only head; two heads must be merged
    /// first), "heads", "+N" (the next N) or a revision; each with every parent it needs.
    std::vector<step> upgrade_plan(const applied_revisions& applied, std::string_view target) const;
    /// What `downgrade TARGET` runs, children first: "base" (everything), "-N" (the last N
    /// applied) or a revision (every applied revision that is not it or one of its ancestors).
    std::vector<step> downgrade_plan(const applied_revisions& applied, std::string_view target) const;
    /// Refuses `applied` when a revision it holds has no file or a file edited since it was applied.
    void verify(const applied_revisions& applied) const;

private:
    std::vector<revision> ordered_;
};

}  // namespace keel::migrate

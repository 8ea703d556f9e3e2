#pragma once
#include <keel/keel.hpp>

/// The revisions of the migrations folder, in `database`'s dialect.
inline keel::migrate::history revisions_for(const keel::db::pool& database)
{
    return keel::migrate::history::load(MIGRATIONS_DIR, database.kind());
}

/// Brings `database` to the head of the migrations folder, as `{{name}} migrate upgrade` does.
inline void upgrade_to_head(const keel::db::pool& database)
{
    const auto revisions = revisions_for(database);
    keel::migrate::migrator migrator(database, revisions);  // named: it outlives the coroutine it runs
    keel::block_on([&] { return migrator.upgrade("head"); });
}

#pragma once
// FOR TESTS ONLY: test isolation by transactional rollback (SQLAlchemy's "joining a Session into
// an external transaction" recipe, Django's TestCase). Nothing a test does through it survives.
#include <memory>

#include <keel/db/pool.hpp>

namespace keel::db::testing {

namespace detail {
class outer_state;
}

/// FOR TESTS ONLY — everything written through pool() is thrown away. Opens one transaction on
/// one connection of `database` and hands out, through pool(), a db::pool whose sessions all run
/// inside it: a session's BEGIN becomes SAVEPOINT, its COMMIT becomes RELEASE SAVEPOINT and its
/// ROLLBACK becomes ROLLBACK TO SAVEPOINT, so the code under test commits and rolls back as it
/// does in production, later sessions of the same test see what earlier ones committed, and the
/// destructor rolls the whole transaction back: the next test starts from the same data.
///
/// - Sessions take turns on the one connection: a session holds it from its first statement to
///   its commit or rollback; another waits up to `database`'s pool_timeout (then db::pool_timeout,
///   → 503), never forever.
/// - An error inside a session (which aborts its transaction, on every backend) is undone with that
///   session's savepoint: the outer transaction stays usable. savepoint() blocks nest inside it.
/// - Autocommit sessions, and batches run outside a transaction, put each statement (or, for
///   batch_commit::all_or_nothing, the whole batch) in a savepoint of its own, released at once.
///   Batches run one statement after another (no pipeline).
/// - Isolation levels and read_only are not applied: every session runs at the outer
///   transaction's level (READ COMMITTED, or SQLite's serializable), read-write.
/// - Sessions may come from any thread; the connection itself is driven from a thread this
///   object owns. pool().close() (a stopping server does it) refuses new sessions and leaves
///   `database` open. Do not use `database` directly while this object lives: on SQLite it holds
///   the write lock.
class outer_transaction {
public:
    /// Starts the helper thread; the transaction begins with the first statement. Blocking: call
    /// it from test code, not from an I/O thread. `database` must outlive this object.
    explicit outer_transaction(const db::pool& database);
    /// Waits (up to pool_timeout) for a session still running, then rolls everything back.
    /// Blocking, never throws (a failed rollback is logged).
    ~outer_transaction();
    outer_transaction(const outer_transaction&) = delete;
    outer_transaction& operator=(const outer_transaction&) = delete;

    /// The pool to give the code under test (a copy; all copies share it). They stop working when
    /// this object is destroyed.
    db::pool pool() const { return pool_; }

private:
    std::shared_ptr<detail::outer_state> state_;
    db::pool pool_;
};

}  // namespace keel::db::testing

#pragma once
// Server-side cancellation of what an abandoned connection was running.

struct pg_cancel;

namespace keel::db::postgres {

/// Sends PQcancel for `cancel` (from PQgetCancel; taken over and freed) on a thread of its own:
/// PQcancel opens a new connection and blocks until the server answers, so it never runs on an
/// I/O thread. At most 64 requests wait; past that one is dropped with a warning, since the
/// server also ends the statement once it notices the closed connection.
void cancel_in_background(pg_cancel* cancel);

}  // namespace keel::db::postgres

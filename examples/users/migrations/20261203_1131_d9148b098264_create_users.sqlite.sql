-- keel revision d9148b098264
-- parents:
-- message: create users
-- created: 2026-12-03T11:31:33Z
-- dialect: sqlite
--
-- Each section runs in one transaction, but for a statement after a line `-- keel: no-transaction`,
-- which runs on its own. `-- keel: accept RULE` before a statement accepts a lint finding. keel
-- records a checksum of this file when it is applied and refuses it edited afterwards.

-- upgrade
CREATE TABLE "users" (
    "id" INTEGER PRIMARY KEY NOT NULL,
    "username" TEXT NOT NULL,
    "hashed_password" TEXT NOT NULL,
    "token_subject" TEXT NOT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE ("token_subject")
);
CREATE UNIQUE INDEX "ix_users_username" ON "users" ("username");

-- downgrade
-- drops the table's rows
DROP TABLE "users";

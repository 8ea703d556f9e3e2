-- keel revision d9148b098264
-- parents:
-- message: create users
-- created: 2026-12-03T11:31:33Z
-- dialect: postgresql
--
-- Each section runs in one transaction, but for a statement after a line `-- keel: no-transaction`,
-- which runs on its own. `-- keel: accept RULE` before a statement accepts a lint finding. keel
-- records a checksum of this file when it is applied and refuses it edited afterwards.

-- upgrade
CREATE TABLE "users" (
    "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    "username" text NOT NULL,
    "hashed_password" text NOT NULL,
    "token_subject" text NOT NULL,
    "created_at" timestamp with time zone NOT NULL DEFAULT (now()),
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_token_subject_key" UNIQUE ("token_subject")
);
CREATE UNIQUE INDEX "ix_users_username" ON "users" USING btree (username);

-- downgrade
-- drops the table's rows
DROP TABLE "users";

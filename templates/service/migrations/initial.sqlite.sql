-- keel revision 000000000000
-- parents:
-- message: create items
-- created: 2026-12-03T00:00:00Z
-- dialect: sqlite
--
-- The first revision of a project `keel new` makes: it writes these sections into a revision of
-- the project's own (a fresh id, the time it is made). src/models.hpp's item, as
-- `migrate revision --autogenerate` writes it; the project's tests check that they agree.

-- upgrade
CREATE TABLE "items" (
    "id" INTEGER PRIMARY KEY NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "quantity" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX "ix_items_name" ON "items" ("name");

-- downgrade
-- drops the table's rows
DROP TABLE "items";

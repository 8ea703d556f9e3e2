-- keel revision 000000000000
-- parents:
-- message: create items
-- created: 2026-12-03T00:00:00Z
-- dialect: postgresql
--
-- The first revision of a project `keel new` makes: it writes these sections into a revision of
-- the project's own (a fresh id, the time it is made). src/models.hpp's item, as
-- `migrate revision --autogenerate` writes it; the project's tests check that they agree.

-- upgrade
CREATE TABLE "items" (
    "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    "name" text NOT NULL,
    "description" text,
    "quantity" bigint NOT NULL,
    "created_at" timestamp with time zone NOT NULL DEFAULT (now()),
    CONSTRAINT "items_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "ix_items_name" ON "items" USING btree (name);

-- downgrade
-- drops the table's rows
DROP TABLE "items";

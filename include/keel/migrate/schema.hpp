#pragma once
// What `migrate check` compares: the tables the application's models declare and the tables the
// live database has, both described as shapes, in the dialect's own spelling, normalised so that
// an unchanged schema compares equal.
#include <string>
#include <vector>

#include <keel/core/task.hpp>
#include <keel/db/url.hpp>
#include <keel/model/table.hpp>

namespace keel::db {
class session;
}

namespace keel::migrate {

/// The tables of an application's models (SQLAlchemy's MetaData): `metadata::of<user, item>()`.
class metadata {
public:
    metadata() = default;
    explicit metadata(std::vector<const model::table_info*> tables) : tables_(std::move(tables)) {}
    template <model::table_model... T>
    static metadata of()
    {
        return metadata({&model::table_of<T>()...});
    }
    const std::vector<const model::table_info*>& tables() const noexcept { return tables_; }
    bool empty() const noexcept { return tables_.empty(); }

private:
    std::vector<const model::table_info*> tables_;
};

struct column_shape {
    std::string name;
    std::string type;           // as the database reports it: "character varying(32)", "INTEGER"
    bool nullable = true;
    std::string default_value;  // normalised SQL, "" for none: compared
    bool identity = false;
    std::string default_sql;    // as the database spells it (casts kept): written into DDL
    bool operator==(const column_shape& o) const
    {
        return name == o.name && type == o.type && nullable == o.nullable && default_value == o.default_value && identity == o.identity;
    }
};

struct index_shape {
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
    std::string where;  // normalised SQL, "" for a full index
    /// PostgreSQL: "USING btree (code, size DESC) WHERE …" as the server prints it (method,
    /// orderings, operator classes, INCLUDE); "" on SQLite.
    std::string definition;
    bool operator==(const index_shape&) const = default;
};

// A constraint's name in the database (`constraint`) is kept to alter or drop it by, but never
// compared: PostgreSQL names what keel's DDL leaves unnamed, and a renamed table keeps the names.

struct unique_shape {
    std::vector<std::string> columns;
    std::string constraint;
    bool operator==(const unique_shape& other) const { return columns == other.columns; }
};

struct foreign_key_shape {
    std::vector<std::string> columns;
    std::string table;
    std::vector<std::string> referenced;
    std::string on_delete = "NO ACTION", on_update = "NO ACTION";
    std::string constraint;
    bool operator==(const foreign_key_shape& other) const
    {
        return columns == other.columns && table == other.table && referenced == other.referenced &&
               on_delete == other.on_delete && on_update == other.on_update;
    }
};

/// A CHECK constraint: a named one by its name and condition, a column's enumeration by its values.
struct check_shape {
    std::string name;                      // "" for an enumeration's
    std::string column;                    // the enumeration's column
    std::vector<std::string> enum_values;  // in order
    std::string condition;                 // a named check's, normalised SQL: compared
    std::string constraint;
    std::string condition_sql;             // as the database spells it: written into DDL
    bool operator==(const check_shape& other) const
    {
        return name == other.name && column == other.column && enum_values == other.enum_values && condition == other.condition;
    }
};

struct table_shape {
    std::string name;
    std::vector<column_shape> columns;
    std::vector<std::string> primary_key;
    std::string primary_key_constraint;
    std::vector<index_shape> indexes;  // named indexes (CREATE INDEX)
    std::vector<unique_shape> uniques;
    std::vector<foreign_key_shape> foreign_keys;
    std::vector<check_shape> checks;
};

/// Tables by name, sorted; each part sorted so that order never counts as a difference (but a
/// primary key's and an index's column order does).
using schema_shape = std::vector<table_shape>;

/// The shape the models' DDL (query::create_table) gives on `session`'s database. On PostgreSQL
/// the tables are made as temporary tables in a transaction that is rolled back, and read back
/// from the catalog: the server spells their types, defaults and conditions as it spells the live
/// ones (the owner role needs the TEMPORARY privilege, which `db roles` grants it). SQLite keeps
/// the text keel writes, so there they come from the models directly. Throws migrate::error when
/// the database refuses the models' DDL.
task<schema_shape> model_shape(db::session& session, const metadata& models);

/// The shape of the database `session` is connected to: every table of the current schema
/// (PostgreSQL: the first of search_path) but keel_revisions. Reads inside the session's
/// transaction and leaves it open.
task<schema_shape> introspect(db::session& session);

/// "table users: missing in the database", "column users.email: type text in the models,
/// character varying(20) in the database", … — empty when both agree.
std::vector<std::string> compare(const schema_shape& models, const schema_shape& database);

/// `migrate check`: compare(model_shape(…), introspect(…)) on `session`, rolled back after.
task<std::vector<std::string>> differences(db::session& session, const metadata& models);

}  // namespace keel::migrate

#pragma once
// DDL from table shapes, in either dialect: what autogenerate writes to move a database from one
// shape to another (and back). Shapes carry the database's own spelling of types and defaults, so
// the statements are valid in the dialect the shapes were read from.
#include <string>
#include <string_view>
#include <vector>

#include <keel/migrate/schema.hpp>

namespace keel::migrate::detail {

class shape_ddl {
public:
    explicit shape_ddl(db::backend dialect) : dialect_(dialect) {}
    db::backend dialect() const noexcept { return dialect_; }

    std::string quote(std::string_view identifier) const;
    std::string quoted_list(const std::vector<std::string>& names) const;

    /// `"name" type [GENERATED …] [NOT NULL] [DEFAULT …]` (SQLite: a lone INTEGER key inline, as the rowid).
    std::string column(const column_shape& c, const table_shape& t) const;
    /// CREATE TABLE `as_name` (default t.name) with its key, uniques, foreign keys and checks.
    std::string create_table(const table_shape& t, std::string_view as_name = {}) const;
    std::string create_index(std::string_view table, const index_shape& i, bool concurrently = false) const;
    std::string drop_index(const index_shape& i, bool concurrently = false) const;

    /// Table-level clauses, `CONSTRAINT "name"` first when the shape has a name (PostgreSQL's
    /// shapes do: read back from the catalog, so a later revision can drop them by it).
    std::string unique(const unique_shape& u) const;
    std::string foreign_key(const foreign_key_shape& fk) const;
    std::string check(const check_shape& c) const;

private:
    db::backend dialect_;
};

}  // namespace keel::migrate::detail

#include <keel/model/table.hpp>

#include <algorithm>
#include <stdexcept>

namespace keel::model {

namespace detail {
std::string_view require_name(std::string_view name)
{
    if (name.empty())
        throw std::logic_error("keel::model: a table declaration names a member its BOOST_DESCRIBE_STRUCT does not list");
    return name;
}
}  // namespace detail

const column_info* table_info::find(std::string_view column) const noexcept
{
    auto it = std::find_if(columns.begin(), columns.end(), [&](const column_info& c) { return c.name == column; });
    return it == columns.end() ? nullptr : &*it;
}

const column_info* table_info::by_member(std::string_view member) const noexcept
{
    auto it = std::find_if(columns.begin(), columns.end(), [&](const column_info& c) { return c.member == member; });
    return it == columns.end() ? nullptr : &*it;
}

namespace {
// A declared entry keeps what its C++ type said (nullability) and adds the rest.
void overlay(column_info& column, const column_info& declared)
{
    const bool nullable = column.nullable;
    column = declared;
    column.nullable = nullable;
}

column_info& require_member(table_info& table, std::string_view member)
{
    auto it = std::find_if(table.columns.begin(), table.columns.end(), [&](const column_info& c) { return c.member == member; });
    if (it == table.columns.end())
        throw std::logic_error("keel::model: table " + table.name + " has no column for member " + std::string(member));
    return *it;
}

// Index and key entries were declared by member; the database knows them by column name.
void name_columns(table_info& table, std::vector<std::string>& members)
{
    for (auto& member : members)
        member = require_member(table, member).name;
}
}  // namespace

table_info table_def::build(std::vector<column_info> columns) const
{
    table_info out{name_, std::move(columns), primary_key_, indexes_, checks_, renamed_from_};
    for (const auto& declared : columns_) {
        overlay(require_member(out, declared.info().member), declared.info());
        if (declared.info().primary_key && out.primary_key.empty())
            out.primary_key.emplace_back(declared.info().member);
    }
    for (const auto& key : out.primary_key)  // by member, before name_columns renames the list
        require_member(out, key).primary_key = out.primary_key.size() == 1;
    for (auto& index : out.indexes)
        name_columns(out, index.columns);
    name_columns(out, out.primary_key);
    for (const auto& column : out.columns)
        if (column.type.kind == sql_kind::unspecified)
            throw std::logic_error("keel::model: " + out.name + "." + column.name +
                                   " has a C++ type with no SQL type; give one with column(&T::m).type(...)");
    return out;
}

}  // namespace keel::model

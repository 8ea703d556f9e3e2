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

namespace {
// A declared entry keeps what its C++ type said (name, nullability) and adds the rest.
void overlay(column_info& column, const column_info& declared)
{
    const bool nullable = column.nullable;
    column = declared;
    column.nullable = nullable;
}

column_info& require_known(table_info& table, std::string_view column)
{
    auto it = std::find_if(table.columns.begin(), table.columns.end(), [&](const column_info& c) { return c.name == column; });
    if (it == table.columns.end())
        throw std::logic_error("keel::model: table " + table.name + " has no column " + std::string(column));
    return *it;
}
}  // namespace

table_info table_def::build(std::vector<column_info> columns) const
{
    table_info out{name_, std::move(columns), primary_key_, indexes_, checks_, renamed_from_};
    for (const auto& declared : columns_) {
        overlay(require_known(out, declared.info().name), declared.info());
        if (declared.info().primary_key && out.primary_key.empty())
            out.primary_key.push_back(declared.info().name);
    }
    for (const auto& index : out.indexes)
        for (auto column : index.columns)
            require_known(out, column);
    for (auto column : out.primary_key)
        require_known(out, column).primary_key = out.primary_key.size() == 1;
    for (const auto& column : out.columns)
        if (column.type.kind == sql_kind::unspecified)
            throw std::logic_error("keel::model: " + out.name + "." + std::string(column.name) +
                                   " has a C++ type with no SQL type; give one with column(&T::m).type(...)");
    return out;
}

}  // namespace keel::model

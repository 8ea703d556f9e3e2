// The unit of work's flush, identity map and detaching, compiled once for every table model.
#include <keel/query/unit_of_work.hpp>

#include <algorithm>
#include <cstring>
#include <deque>

#include <keel/core/log.hpp>

namespace keel::query {

namespace detail {

namespace {

template <class Scalar>
void append_bytes(std::string& out, const Scalar& scalar)
{
    char bytes[sizeof(Scalar)];
    std::memcpy(bytes, &scalar, sizeof(Scalar));
    out.append(bytes, sizeof(Scalar));
}

}  // namespace

// A type tag, then the value; text and bytes carry their length so that composite keys cannot run
// into each other. Every integer binds as int64, so `int` and `std::int64_t` keys agree.
void append_key(std::string& out, const db::value& v)
{
    if (const auto* integer = std::get_if<std::int64_t>(&v))
        return append_integer_key(out, *integer);
    out += static_cast<char>('0' + v.index());
    std::visit(
        [&](const auto& x) {
            using X = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<X, std::string> || std::is_same_v<X, db::blob>) {
                append_bytes(out, x.size());
                out.append(reinterpret_cast<const char*>(x.data()), x.size());
            } else if constexpr (std::is_same_v<X, timestamp>) {
                append_bytes(out, x.time_since_epoch().count());
            } else if constexpr (!std::is_same_v<X, std::nullptr_t>) {
                append_bytes(out, x);
            }
        },
        v);
}

namespace {

bool is_key_column(const model::table_info& table, const model::column_info& column)
{
    return std::find(table.primary_key.begin(), table.primary_key.end(), column.name) != table.primary_key.end();
}

// AND of `primary key column = value` for every key column, the values taken from `values`.
node_ptr key_condition(const model::table_info& table, const column_list& columns, const std::vector<db::value>& values)
{
    node_ptr condition;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (!is_key_column(table, *columns[i]))
            continue;
        auto equal = binary_node("=", column_node(table.name, columns[i]->name), param_node(values[i]));
        condition = condition ? binary_node("AND", condition, equal) : equal;
    }
    if (!condition)
        throw std::logic_error("keel::query::unit_of_work: table " + table.name + " has no primary key");
    return condition;
}

// Every column, read back under its member's name.
std::vector<node_ptr> all_columns(const model::table_info& table, const column_list& columns)
{
    std::vector<node_ptr> items;
    for (const auto* c : columns)
        items.push_back(column_node(table.name, c->name, c->name == c->member ? std::string_view() : c->member));
    return items;
}

db::statement select_matching(const model::table_info& table, const column_list& columns, node_ptr where, db::backend dialect)
{
    select_ast ast;
    ast.items = all_columns(table, columns);
    ast.from = table.name;
    ast.where = std::move(where);
    return render(ast, dialect);
}

}  // namespace

std::string identity_key(const db::value& primary_key)
{
    std::string key;
    append_key(key, primary_key);
    return key;
}

const model::column_info& single_primary_key(const model::table_info& table)
{
    if (table.primary_key.size() != 1)
        throw std::logic_error("keel::query::unit_of_work: get() needs a single-column primary key; " + table.name +
                               " has " + std::to_string(table.primary_key.size()) + " (select it with execute())");
    return *table.find(table.primary_key.front());
}

const std::string& select_by_key_sql(const model::table_info& table, const column_list& columns, db::backend dialect)
{
    // Rendered once per thread, table and dialect: get() is the hottest read, and its SQL never changes.
    struct cache_key {
        const model::table_info* table;
        const column_list* columns;
        db::backend dialect;
        bool operator==(const cache_key&) const = default;
    };
    thread_local std::deque<std::pair<cache_key, std::string>> cache;  // a deque: what it returned stays put
    const cache_key wanted{&table, &columns, dialect};
    for (const auto& [key, sql] : cache)
        if (key == wanted)
            return sql;
    auto statement = select_where(table, columns, single_primary_key(table).name, {db::value(nullptr)}, dialect);
    return cache.emplace_back(wanted, std::move(statement.sql)).second;
}

db::statement select_where(const model::table_info& table, const column_list& columns, std::string_view column,
                           const std::vector<db::value>& values, db::backend dialect)
{
    auto target = column_node(table.name, column);
    if (values.size() == 1)
        return select_matching(table, columns, binary_node("=", target, param_node(values.front())), dialect);
    std::vector<node_ptr> args;
    args.reserve(values.size());
    for (const auto& v : values)
        args.push_back(param_node(v));
    return select_matching(table, columns, in_list_node(std::move(target), std::move(args)), dialect);
}

}  // namespace detail

/// One statement of a flush and what it writes.
struct unit_of_work::write {
    enum class kind { insert, update, remove } what;
    detail::tracked* entry;
};

namespace {

using detail::tracked;
using state = tracked::state;

db::statement insert_statement(const tracked& entry, db::backend dialect)
{
    const auto& table = *entry.table;
    const auto values = entry.values();
    const auto& initial = entry.initial_values();
    detail::insert_ast ast;
    ast.table = table.name;
    ast.rows.emplace_back();
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto& column = *(*entry.columns)[i];
        const bool server_fills = column.server_default.what != model::server_default_info::kind::none && values[i] == initial[i];
        if (column.identity || server_fills)
            continue;
        ast.columns.push_back(column.name);
        ast.rows.front().push_back(values[i]);
    }
    ast.returning = detail::all_columns(table, *entry.columns);
    return render(ast, dialect);
}

db::statement update_statement(const tracked& entry, db::backend dialect)
{
    const auto& table = *entry.table;
    const auto values = entry.values(), snapshot = entry.snapshot_values();
    detail::update_ast ast;
    ast.table = table.name;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] == snapshot[i])
            continue;
        const auto& column = *(*entry.columns)[i];
        if (detail::is_key_column(table, column))
            throw std::logic_error("keel::query::unit_of_work: the primary key of a tracked " + table.name +
                                   " row changed; remove() it and add() a new one");
        ast.set.push_back({column.name, detail::param_node(values[i])});
    }
    ast.where = detail::key_condition(table, *entry.columns, snapshot);
    return render(ast, dialect);
}

db::statement delete_statement(const tracked& entry, db::backend dialect)
{
    detail::delete_ast ast;
    ast.table = entry.table->name;
    ast.where = detail::key_condition(*entry.table, *entry.columns, entry.snapshot_values());
    return render(ast, dialect);
}

// A transaction opens with a statement of its own (a batch outside one would commit by itself);
// the rest go in one batch: one round trip on PostgreSQL's pipeline.
task<std::vector<db::batch_entry>> run_in_transaction(db::session& session, std::vector<db::statement> statements)
{
    std::vector<db::batch_entry> entries;
    if (!session.in_transaction()) {
        auto first = std::move(statements.front());
        statements.erase(statements.begin());
        auto rows = co_await session.run(std::move(first.sql), std::move(first.params));
        entries.push_back({std::move(rows), nullptr});
    }
    if (!statements.empty()) {
        auto rest = co_await session.run_batch(std::move(statements), db::batch_commit::all_or_nothing);
        std::move(rest.begin(), rest.end(), std::back_inserter(entries));
    }
    co_return entries;
}

void require_one_row(const tracked& entry, const db::result& rows)
{
    if (rows.affected_rows() == 0)
        throw db::no_result("keel::query::unit_of_work: a row of " + entry.table->name +
                            " was gone when its change was flushed (deleted by another transaction?)");
}

}  // namespace

// Keys are short (an integer key is 9 bytes): 8-byte words folded with a multiply, cheaper than
// a general string hash; the flat map applies its own mixing after it.
std::size_t unit_of_work::identity_hash::operator()(const identity& i) const noexcept
{
    std::uint64_t h = reinterpret_cast<std::uintptr_t>(i.table) ^ i.key.size();
    const auto fold = [&h](std::uint64_t word) {
        h = (h ^ word) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 32;
    };
    const char* p = i.key.data();
    std::size_t n = i.key.size();
    for (; n >= sizeof(std::uint64_t); p += sizeof(std::uint64_t), n -= sizeof(std::uint64_t)) {
        std::uint64_t word;
        std::memcpy(&word, p, sizeof word);  // a fixed size: one load, not a call
        fold(word);
    }
    std::uint64_t tail = 0;  // the last bytes one by one: a memcpy of a variable size is a call
    for (std::size_t b = 0; b < n; ++b)
        tail |= std::uint64_t(static_cast<unsigned char>(p[b])) << (8 * b);
    fold(tail);
    return static_cast<std::size_t>(h);
}

unit_of_work::unit_of_work(unit_of_work&&) noexcept = default;

unit_of_work::~unit_of_work()
{
    if (!flush_failed_ && has_changes())
        log::warn("a unit of work was destroyed with unflushed changes, which are lost; call flush() or commit()");
}

task<void> unit_of_work::flush()
{
    std::vector<write> writes;
    std::vector<db::statement> statements;
    const auto dialect = session_->kind();
    for (tracked* entry : objects_)
        if (entry->status == state::pending) {
            statements.push_back(insert_statement(*entry, dialect));
            writes.push_back({write::kind::insert, entry});
        }
    for (tracked* entry : objects_)
        if (entry->status == state::persistent && entry->changed()) {
            statements.push_back(update_statement(*entry, dialect));
            writes.push_back({write::kind::update, entry});
        }
    for (tracked* entry : removed_) {
        statements.push_back(delete_statement(*entry, dialect));
        writes.push_back({write::kind::remove, entry});
    }
    if (writes.empty())
        co_return;
    ++flushes_;
    removed_.clear();
    flush_failed_ = true;  // until every write is applied
    auto entries = co_await run_in_transaction(*session_, std::move(statements));
    for (std::size_t i = 0; i < writes.size(); ++i)
        apply(writes[i], entries[i].get());
    flush_failed_ = false;
}

void unit_of_work::apply(write& w, const db::result& rows)
{
    tracked& entry = *w.entry;
    entry.flushed_in = flushes_;
    switch (w.what) {
    case write::kind::insert:
        entry.load(rows, 0);
        entry.mark_clean();
        entry.make_key();
        remember(entry);
        break;
    case write::kind::update:
        require_one_row(entry, rows);
        entry.mark_clean();
        break;
    case write::kind::remove:
        require_one_row(entry, rows);
        forget(entry);
        break;
    }
}

task<void> unit_of_work::commit()
{
    co_await flush();
    co_await session_->commit();
}

task<void> unit_of_work::rollback()
{
    co_await session_->rollback();
    for (tracked* entry : objects_)
        entry->status = state::detached;
    identity_.clear();
    indexed_ = objects_.size();
    removed_.clear();
    flush_failed_ = false;
}

task<db::result> unit_of_work::run(db::statement statement)
{
    if (has_changes())
        co_await flush();
    auto rows = co_await session_->run(std::move(statement.sql), std::move(statement.params));
    co_return rows;
}

void unit_of_work::reserve(std::size_t more, bool unindexed)
{
    objects_.reserve(objects_.size() + more);
    if (unindexed)
        return;
    index();
    identity_.reserve(identity_.size() + more);
}

void unit_of_work::adopt_pending(tracked& entry) { objects_.push_back(&entry); }

// An object without a key that is persistent (or removed, its DELETE not yet flushed) was
// adopted unindexed; pending and detached ones are not in the map, remembered ones already are.
void unit_of_work::index()
{
    if (indexed_ == objects_.size())
        return;
    identity_.reserve(identity_.size() + (objects_.size() - indexed_));
    for (; indexed_ < objects_.size(); ++indexed_) {
        tracked& entry = *objects_[indexed_];
        if (entry.key.empty() && (entry.status == state::persistent || entry.status == state::deleted)) {
            entry.make_key();
            identity_.try_emplace({entry.table, entry.key.view()}, &entry);
        }
    }
}

tracked& unit_of_work::adopt_loaded(tracked& entry)
{
    auto [known, inserted] = identity_.try_emplace({entry.table, entry.key.view()}, &entry);
    if (!inserted)
        return *known->second;
    entry.status = state::persistent;
    adopt_pending(entry);
    return entry;
}

tracked* unit_of_work::find(const model::table_info& table, std::string_view key)
{
    index();
    const auto found = identity_.find({&table, key});
    return found == identity_.end() ? nullptr : found->second;
}

// The identity map finds a persistent object at once; others (pending, detached, or with a
// changed key) are looked for among all of them.
tracked& unit_of_work::entry_of(const model::table_info& table, std::string_view key, const void* address)
{
    if (auto* known = find(table, key); known && known->address() == address)
        return *known;
    const auto found = std::find_if(objects_.begin(), objects_.end(), [&](const tracked* entry) { return entry->address() == address; });
    if (found == objects_.end())
        throw std::invalid_argument("keel::query::unit_of_work: this object is not one the unit of work handed out "
                                    "(use the reference add() returns, or the object get() or execute() gave)");
    return **found;
}

void unit_of_work::remove_entry(tracked& entry)
{
    if (entry.status == state::detached)
        throw std::invalid_argument("keel::query::unit_of_work: remove() of a detached " + entry.table->name + " object");
    if (entry.status == state::pending)
        entry.status = state::detached;
    else if (entry.status == state::persistent) {
        entry.status = state::deleted;
        removed_.push_back(&entry);
    }
}

task<void> unit_of_work::refresh_entry(tracked& entry)
{
    if (entry.status != state::persistent)
        throw std::invalid_argument("keel::query::unit_of_work: refresh() needs a persistent " + entry.table->name +
                                    " object (flush it first; a removed or detached one has no row to read)");
    auto statement = detail::select_matching(*entry.table, *entry.columns,
                                             detail::key_condition(*entry.table, *entry.columns, entry.snapshot_values()),
                                             session_->kind());
    auto rows = co_await session_->run(std::move(statement.sql), std::move(statement.params));
    if (rows.empty())
        throw db::no_result("keel::query::unit_of_work: refresh() found no " + entry.table->name + " row any more");
    entry.load(rows, 0);
    entry.mark_clean();
}

bool unit_of_work::has_changes() const
{
    return !removed_.empty() ||
           std::any_of(storage_.begin(), storage_.end(), [](const auto& storage) { return storage->has_changes(); });
}

void unit_of_work::remember(tracked& entry)
{
    index();
    identity_.erase({entry.table, entry.key.view()});  // its key may view another entry's string
    identity_.emplace(identity{entry.table, entry.key.view()}, &entry);
    entry.status = state::persistent;
}

void unit_of_work::forget(tracked& entry)
{
    index();
    if (!entry.key.empty())
        if (const auto known = identity_.find({entry.table, entry.key.view()}); known != identity_.end() && known->second == &entry)
            identity_.erase(known);
    entry.status = state::detached;
}

void unit_of_work::detach_since(block_mark before)
{
    for (std::size_t i = 0; i < objects_.size(); ++i) {
        tracked& entry = *objects_[i];
        const bool touched = i >= before.objects || entry.flushed_in > before.flushes || entry.status == state::deleted ||
                             entry.status == state::pending ||
                             (entry.status == state::persistent && entry.changed());
        if (entry.status != state::detached && touched)
            forget(entry);
    }
    removed_.clear();
    flush_failed_ = false;
}

}  // namespace keel::query

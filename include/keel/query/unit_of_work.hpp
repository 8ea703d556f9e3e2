#pragma once
// The unit of work: SQLAlchemy's (Async)Session over a db::session, without implicit I/O.
//
//   task<user_public> rename(http::path<std::int64_t> id, http::body<user_rename> in, query::unit_of_work uow)
//   {
//       user* u = co_await uow.get<user>(*id);              // the identity map first, then one SELECT
//       if (!u) throw http::error(404, "User not found");
//       u->username = in->username;                          // tracked: UPDATE users SET username = $1 …
//       co_await uow.commit();                               // flush + COMMIT: nothing happens by itself
//       co_return user_public{u->id, u->username};
//   }
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include <keel/query/detail/tracked.hpp>
#include <keel/query/query.hpp>

namespace keel::query {

template <auto From, auto To>
class related;

/// Objects of table models, tracked on one db::session: an identity map keyed by (table,
/// primary key), changes written by flush() in one batch, and nothing else that touches the
/// database. Every call that does I/O is a coroutine you await; there are no lazy attributes
/// (load related rows with load<From, To>()).
///
/// Lifetimes: the unit of work owns the objects it hands out (`T&`, `T*`). They stay valid, at
/// the same address, until the unit of work is destroyed — also after rollback(), remove() or
/// a failed savepoint, which only stop tracking them (they are then *detached*: changing them
/// writes nothing). A unit of work is used by one coroutine at a time, like its session.
///
/// Flushing: flush() writes, in this order, the INSERTs of added objects (in the order of
/// add(); with RETURNING, which fills identity keys and server defaults), an UPDATE of the
/// changed columns of each changed object (compared with the row as last read or written), and
/// the DELETEs (in the order of remove()). It also runs before every query (autoflush), so that
/// queries see the changes. Changes are never written on destruction: a handler calls commit()
/// (or flush(), and the server commits the session after the handler returns). A unit of work
/// destroyed with unwritten changes logs a warning (unless a flush failed: then the transaction
/// is rolled back anyway). After a failed flush, roll back (a savepoint block does it for you).
///
/// As a handler parameter it is resolved from the request's db::session (the server still
/// commits that session after the handler, or rolls it back if the handler throws).
class unit_of_work {
public:
    explicit unit_of_work(db::session& session) noexcept : session_(&session) {}
    unit_of_work(unit_of_work&&) noexcept;
    unit_of_work& operator=(unit_of_work&&) = delete;
    ~unit_of_work();
    /// keel's dependency injection: a handler parameter `query::unit_of_work uow`.
    static task<unit_of_work> resolve(db::session& session) { co_return unit_of_work(session); }

    db::session& session() const noexcept { return *session_; }

    /// Tracks a new object, inserted by the next flush. Its identity column (if any) and the
    /// columns with a server default that it leaves at their initial value are the database's
    /// to fill; flush reads them back into it.
    template <model::table_model T>
    T& add(T object)
    {
        auto owned = std::make_unique<detail::tracked_object<T>>(std::move(object));
        auto& entry = *owned;
        storage_.push_back(std::move(owned));
        adopt_pending(entry);
        return entry.object;
    }

    /// The object of T with this primary key: from the identity map without I/O when it is
    /// there, else one SELECT (after autoflush). nullptr when there is no such row or it was
    /// removed. Throws std::logic_error for a table with a composite primary key.
    template <model::table_model T, class Key>
    task<T*> get(const Key& primary_key)
    {
        return get_by_key<T>(detail::bind(primary_key));  // bound now: the key may be a temporary
    }

    /// Marks a tracked object for deletion (DELETE at the next flush); an object added and not
    /// yet inserted is simply forgotten. Throws std::invalid_argument for an object this unit
    /// of work does not track.
    template <model::table_model T>
    void remove(T& object) { remove_entry(entry_of(model::table_of<T>(), detail::key_of(object), &object)); }

    /// Reads the object's row again, discarding its unflushed changes. Throws db::no_result
    /// when the row is gone, std::invalid_argument for an object that is not persistent here.
    template <model::table_model T>
    task<void> refresh(T& object) { return refresh_entry(entry_of(model::table_of<T>(), detail::key_of(object), &object)); }

    /// Runs a built query after autoflush. `select<T>().from<T>()` of a table model T gives
    /// tracked objects (std::vector<T*>: a row already in the identity map is that object, as
    /// it is); any other query gives its rows as values (std::vector<Row>), and a statement
    /// without RETURNING its db::result. An UPDATE or DELETE run here does not change tracked
    /// objects: refresh() them.
    template <class Query>
    auto execute(const Query& query)
    {
        auto statement = query.to_statement(session_->kind());  // rendered now: the query may be a temporary
        if constexpr (tracks<Query>::value)
            return tracked_rows<typename Query::row_type>(std::move(statement));
        else if constexpr (std::is_void_v<typename Query::row_type>)
            return run(std::move(statement));
        else
            return detail::all_rows<typename Query::row_type>(run(std::move(statement)));
    }

    /// select_in loading: the rows of To's table whose To is the From of one of `objects`, in
    /// one SELECT … WHERE to IN (…) for the whole batch (none when there is nothing to look for).
    /// One-to-many: load<&author::id, &book::author_id>(authors), then related.of(author).
    /// Many-to-one: load<&book::author_id, &author::id>(books), then related.one_of(book).
    template <auto From, auto To, class Source>
    task<related<From, To>> load(std::vector<Source*> objects);

    /// Writes every pending change (see the class comment); the transaction stays open.
    task<void> flush();
    /// flush(), then COMMIT. Tracked objects keep their values (nothing is expired: there is
    /// no lazy reload to expire them for).
    task<void> commit();
    /// ROLLBACK, and every object is detached (what it holds may not be in the database).
    task<void> rollback();

    /// Runs `work()` (a coroutine) and commits; if it throws, rolls back and rethrows.
    template <class F>
    std::invoke_result_t<F&> transaction(F work);
    /// Runs `work()` inside a SAVEPOINT, flushing before and after it. If it throws, the
    /// savepoint is rolled back, the objects added, read, changed or written inside it are detached
    /// (get() them again), and the exception propagates; the transaction stays usable.
    /// Savepoints nest.
    template <class F>
    std::invoke_result_t<F&> savepoint(F work);

private:
    template <class Query> struct tracks : std::false_type {};
    template <class T, class Cols>
        requires model::table_model<T>
    struct tracks<select_query<T, mp::mp_list<T>, Cols>> : std::true_type {};

    struct block_mark {
        std::size_t objects, flushes;
    };
    // The identity map's key views the `key` of the tracked entry it maps to, which does not
    // change while the entry is mapped (remember() and forget() keep them together).
    struct identity {
        const model::table_info* table;
        std::string_view key;
        bool operator==(const identity&) const = default;
    };
    struct identity_hash {
        std::size_t operator()(const identity& i) const noexcept;  // unordered_flat_map mixes it further
    };

    template <model::table_model T>
    task<T*> get_by_key(db::value key);
    template <model::table_model T>
    task<std::vector<T*>> tracked_rows(db::statement statement);
    template <model::table_model T>
    std::vector<T*> track(db::result rows);

    /// Autoflush, then the statement.
    task<db::result> run(db::statement statement);
    /// Room for `more` objects, so that tracking a result does not grow the maps row by row.
    /// Unless they are adopted unindexed, the identity map is completed first (index()).
    void reserve(std::size_t more, bool unindexed);
    void adopt_pending(detail::tracked& entry);
    /// Tracks a row just read (made with detail::loaded_row, its key made; the map complete),
    /// or returns the object the identity map already has for it (and `entry`, which its
    /// storage still owns, stays unused).
    detail::tracked& adopt_loaded(detail::tracked& entry);
    /// Tracks a row just read, left out of the identity map until index() (nothing tracked
    /// could have its key). Inline: called for each of the first rows read.
    void adopt_unindexed(detail::tracked& entry)
    {
        entry.status = detail::tracked::state::persistent;
        objects_.push_back(&entry);
    }
    /// Puts the rows adopted unindexed into the identity map. Whatever looks in the map (or
    /// changes it) calls this first.
    void index();
    detail::tracked* find(const model::table_info& table, std::string_view key);
    /// The entry of the object at `address` (its identity `key` tried first); throws
    /// std::invalid_argument for an object this unit of work did not hand out.
    detail::tracked& entry_of(const model::table_info& table, std::string_view key, const void* address);
    void remove_entry(detail::tracked& entry);
    task<void> refresh_entry(detail::tracked& entry);
    bool has_changes() const;
    block_mark mark() const noexcept { return {objects_.size(), flushes_}; }
    void detach_since(block_mark before);
    struct write;  // one statement of a flush
    void apply(write& w, const db::result& rows);
    /// Into the identity map under its key (now persistent), in place of any other entry there.
    void remember(detail::tracked& entry);
    /// Out of the identity map: changing the object writes nothing any more.
    void forget(detail::tracked& entry);

    db::session* session_;
    std::vector<detail::tracked*> objects_;  // every object handed out, in order
    std::vector<std::unique_ptr<detail::tracked_storage>> storage_;  // what owns them
    boost::unordered_flat_map<identity, detail::tracked*, identity_hash> identity_;
    std::vector<detail::tracked*> removed_;
    std::size_t indexed_ = 0;  // objects_ from here on may hold rows adopted unindexed
    std::size_t flushes_ = 0;
    bool flush_failed_ = false;  // its changes are the rollback's to discard: no warning about them
};

/// What load<From, To>() found: the rows of To's table, grouped by the value of To.
template <auto From, auto To>
class related {
public:
    using source = typename detail::member_pointer<decltype(From)>::table;
    using target = typename detail::member_pointer<decltype(To)>::table;

    /// The rows whose To equals object.*From, in the order the database returned them.
    const std::vector<target*>& of(const source& object) const
    {
        static const std::vector<target*> none;
        const auto found = groups_.find(detail::identity_key(detail::bind(object.*From)));
        return found == groups_.end() ? none : found->second;
    }
    /// The first of them (a many-to-one's parent), or nullptr.
    target* one_of(const source& object) const
    {
        const auto& rows = of(object);
        return rows.empty() ? nullptr : rows.front();
    }
    void add(target* row) { groups_[detail::identity_key(detail::bind(row->*To))].push_back(row); }

private:
    std::unordered_map<std::string, std::vector<target*>> groups_;
};

template <model::table_model T>
task<T*> unit_of_work::get_by_key(db::value key)
{
    const auto& table = model::table_of<T>();
    if (auto* hit = find(table, detail::identity_key(key)))
        co_return hit->status == detail::tracked::state::persistent ? &static_cast<detail::tracked_object<T>*>(hit)->object
                                                                     : nullptr;
    db::statement statement(detail::select_by_key_sql(table, detail::columns_of<T>(), session_->kind()));
    statement.params.push_back(std::move(key));
    auto rows = co_await tracked_rows<T>(std::move(statement));
    co_return rows.empty() ? nullptr : rows.front();
}

// run()'s work spelled out, not awaited: one coroutine frame less on every tracked read.
template <model::table_model T>
task<std::vector<T*>> unit_of_work::tracked_rows(db::statement statement)
{
    if (has_changes())
        co_await flush();
    auto rows = co_await session_->run(std::move(statement.sql), std::move(statement.params));
    co_return track<T>(std::move(rows));
}

template <model::table_model T>
std::vector<T*> unit_of_work::track(db::result rows)
{
    std::vector<T*> out;
    if (rows.empty())
        return out;
    // The first rows of a unit of work cannot meet an object it has: they skip the identity
    // map, which is built when something first looks in it (most requests never do).
    const bool first_rows = objects_.empty();
    out.reserve(rows.size());
    reserve(rows.size(), first_rows);
    auto owned = std::make_unique<detail::tracked_batch<T>>();
    auto& batch = owned->objects;
    batch.reserve(rows.size());
    storage_.push_back(std::move(owned));  // first: objects_ may point into it before the loop ends
    const auto& table = model::table_of<T>();
    const auto& columns = detail::columns_of<T>();
    std::move(rows).template each_as<T>([&](T&& row) {
        auto& entry = batch.emplace_back(detail::loaded_row{}, std::move(row), table, columns);
        if (first_rows) {
            adopt_unindexed(entry);
            out.push_back(&entry.object);
            return;
        }
        entry.make_key();
        auto& tracked = static_cast<detail::tracked_object<T>&>(adopt_loaded(entry));
        if (&tracked != &entry)  // a row the identity map had: its copy is not kept (the last one: nothing points at it)
            batch.pop_back();
        out.push_back(&tracked.object);
    });
    return out;
}

template <auto From, auto To, class Source>
task<related<From, To>> unit_of_work::load(std::vector<Source*> objects)
{
    using result = related<From, To>;
    static_assert(std::is_same_v<std::remove_const_t<Source>, typename result::source>,
                  "keel::query: load<From, To>() takes objects of From's table (Source, above)");
    using target = typename result::target;
    std::vector<db::value> keys;
    std::unordered_map<std::string, bool> seen;
    for (const Source* object : objects)
        if (auto value = detail::bind(object->*From); !std::holds_alternative<std::nullptr_t>(value))
            if (seen.emplace(detail::identity_key(value), true).second)
                keys.push_back(std::move(value));
    result out;
    if (keys.empty())
        co_return out;
    const auto& table = model::table_of<target>();
    auto statement = detail::select_where(table, detail::columns_of<target>(), column_ref<To>::name(), keys, session_->kind());
    auto rows = co_await tracked_rows<target>(std::move(statement));
    for (target* row : rows)
        out.add(row);
    co_return out;
}

template <class F>
std::invoke_result_t<F&> unit_of_work::transaction(F work)
{
    using R = task_value_t<std::invoke_result_t<F&>>;
    std::exception_ptr failure;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await work();
            co_await commit();
            co_return;
        } else {
            R out = co_await work();
            co_await commit();
            co_return out;
        }
    } catch (...) {
        failure = std::current_exception();  // no co_await inside a handler
    }
    co_await rollback();
    std::rethrow_exception(failure);
}

template <class F>
std::invoke_result_t<F&> unit_of_work::savepoint(F work)
{
    using R = task_value_t<std::invoke_result_t<F&>>;
    co_await flush();
    const block_mark before = mark();
    auto flushed_work = [&]() -> task<R> {
        if constexpr (std::is_void_v<R>) {
            co_await work();
            co_await flush();
        } else {
            R out = co_await work();
            co_await flush();
            co_return out;
        }
    };
    try {
        if constexpr (std::is_void_v<R>) {
            co_await session_->savepoint(flushed_work);
            co_return;
        } else {
            R out = co_await session_->savepoint(flushed_work);
            co_return out;
        }
    } catch (...) {
        detach_since(before);
        throw;
    }
}

}  // namespace keel::query

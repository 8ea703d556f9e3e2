#include <keel/testing/rollback.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace keel::testing {

const shared_database& database_for(backend b, const std::string& name,
                                    const std::function<void(const db::pool&)>& prepare)
{
    static std::mutex mutex;
    // Left open until exit, on purpose: no static destructor runs after the PostgreSQL server's.
    static auto& opened = *new std::map<std::pair<backend, std::string>, std::unique_ptr<shared_database>>;
    std::lock_guard lock(mutex);
    auto& slot = opened[{b, name}];
    if (!slot) {
        auto settings = fresh_database(b);
        auto made = std::make_unique<shared_database>(shared_database{settings, db::pool::open(settings)});
        prepare(made->pool);
        slot = std::move(made);
    }
    return *slot;
}

}  // namespace keel::testing

// GCRA (the generic cell rate algorithm, ITU-T I.371; as in redis-cell and throttled) and the
// in-process store. A key holds one number, its theoretical arrival time (TAT): requests are due
// one `interval` apart, and one is allowed while the TAT lies less than a `period` ahead of now.
#include "security/rate_store.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace keel::security::detail {

namespace {
std::chrono::milliseconds ceil_ms(std::int64_t us) { return std::chrono::milliseconds((std::max<std::int64_t>(us, 0) + 999) / 1000); }
}  // namespace

spacing spacing_of(rate limit)
{
    if (limit.times == 0 || limit.period <= std::chrono::milliseconds(0))
        throw std::invalid_argument("a rate limit needs at least one request per period longer than zero");
    const std::int64_t interval =
        std::max<std::int64_t>(1, std::chrono::microseconds(limit.period).count() / limit.times);
    return {interval, interval * limit.times};
}

rate_decision make_decision(bool allowed, std::uint32_t limit, std::int64_t remaining, std::int64_t reset_us,
                            std::int64_t retry_us)
{
    return rate_decision{allowed, limit, static_cast<std::uint32_t>(std::clamp<std::int64_t>(remaining, 0, limit)),
                         ceil_ms(reset_us), allowed ? std::chrono::milliseconds(0) : ceil_ms(retry_us)};
}

gcra_step gcra(std::int64_t tat, std::int64_t now, rate limit)
{
    const auto [interval, period] = spacing_of(limit);
    tat = std::max(tat, now);
    const std::int64_t next_tat = tat + interval;
    const std::int64_t allow_at = next_tat - period;  // the earliest this request may come
    if (now < allow_at)
        return {make_decision(false, limit.times, 0, tat - now, allow_at - now), tat};
    return {make_decision(true, limit.times, (now - allow_at) / interval, next_tat - now, 0), next_tat};
}

namespace {

// Keys spread over shards, each with its own lock, so that I/O threads rarely wait for each other.
class memory_store final : public rate_store {
public:
    explicit memory_store(std::function<std::chrono::steady_clock::time_point()> now) : now_(std::move(now)) {}

    task<std::optional<rate_decision>> hit(std::string key, rate limit) override
    {
        const std::int64_t now =
            std::chrono::duration_cast<std::chrono::microseconds>(now_().time_since_epoch()).count();
        shard& s = shards_[std::hash<std::string>{}(key) % shards_.size()];
        std::lock_guard lock(s.mutex);
        auto [it, fresh] = s.tats.try_emplace(std::move(key), now);
        const gcra_step step = gcra(it->second, now, limit);
        it->second = step.tat;
        if (fresh && s.tats.size() >= s.sweep_at)
            sweep(s, now);
        co_return step.decision;
    }

private:
    struct shard {
        std::mutex mutex;
        std::unordered_map<std::string, std::int64_t> tats;
        std::size_t sweep_at = 1024;
    };

    // A key whose TAT has passed is as good as absent: dropping it loses nothing. Sweeping when
    // the map doubled keeps the cost per request constant and memory bounded by the active keys.
    static void sweep(shard& s, std::int64_t now)
    {
        std::erase_if(s.tats, [now](const auto& entry) { return entry.second <= now; });
        s.sweep_at = std::max<std::size_t>(1024, 2 * s.tats.size());
    }

    std::function<std::chrono::steady_clock::time_point()> now_;
    std::array<shard, 16> shards_;
};

}  // namespace

std::shared_ptr<rate_store> make_memory_store(std::function<std::chrono::steady_clock::time_point()> now)
{
    return std::make_shared<memory_store>(std::move(now));
}

}  // namespace keel::security::detail

// The password hasher's bounded queue, driven on an io_context the test runs by hand; the hashing
// thread is held at a gate (the before_each seam), so the queue fills deterministically.
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <keel/core/error.hpp>
#include <keel/security/password.hpp>

namespace {

namespace asio = boost::asio;
using keel::security::hash_cost;
using keel::security::password_hasher;
using keel::security::password_settings;

// Holds the hashing threads until opened.
class gate {
public:
    gate() : opened_(open_.get_future().share()) {}
    void open()
    {
        if (!is_open_) {
            is_open_ = true;
            open_.set_value();
        }
    }
    std::function<void()> wait_here()
    {
        return [f = opened_] { f.wait(); };
    }

private:
    std::promise<void> open_;
    std::shared_future<void> opened_;
    bool is_open_ = false;
};

struct outcome {
    std::optional<std::string> hash;
    std::exception_ptr failure;
};

class password_hasher_test : public ::testing::Test {
protected:
    const password_hasher& make_hasher(password_settings settings)
    {
        return hasher_.emplace(settings, held_.wait_here());
    }
    // Before the hasher's destructor joins its threads, even after a failed assertion.
    void TearDown() override { held_.open(); }

    // Starts hash(password) as its own coroutine and runs it as far as it goes without the hashing
    // thread: to its hand-off, or to the refusal.
    std::shared_ptr<outcome> start_hash(const password_hasher& hasher)
    {
        auto out = std::make_shared<outcome>();
        asio::co_spawn(io_, hasher.hash("correct horse"), [out](std::exception_ptr e, std::string h) {
            out->failure = e;
            if (!e)
                out->hash = std::move(h);
        });
        io_.restart();
        io_.poll();
        return out;
    }

    // Calls start_hash until one is refused; returns how many were admitted.
    std::size_t admitted_before_refusal(const password_hasher& hasher, std::vector<std::shared_ptr<outcome>>& admitted)
    {
        for (;;) {
            auto next = start_hash(hasher);
            if (next->failure)
                return admitted.size();
            admitted.push_back(next);
            if (admitted.size() > 1000)
                ADD_FAILURE() << "no bound";
        }
    }

    // In this order: the hasher joins its threads while the io_context they post to still exists.
    asio::io_context io_;
    gate held_;
    std::optional<password_hasher> hasher_;
};

TEST_F(password_hasher_test, refuses_past_threads_plus_queue_with_a_retry_after)
{
    const auto& hasher = make_hasher(password_settings{hash_cost::minimum, 2, 3});
    std::vector<std::shared_ptr<outcome>> admitted;
    EXPECT_EQ(admitted_before_refusal(hasher, admitted), 5u);  // 2 running + 3 waiting

    auto refused = start_hash(hasher);
    try {
        std::rethrow_exception(refused->failure);
    } catch (const keel::overloaded& e) {
        EXPECT_GE(e.retry_after(), std::chrono::seconds(1));
        EXPECT_NE(std::string(e.what()).find("password hasher"), std::string::npos) << e.what();
    }

    held_.open();
    io_.restart();
    io_.run();  // the admitted hashes finish and give their places back
    for (const auto& a : admitted)
        ASSERT_TRUE(a->hash.has_value() && a->hash->starts_with("$argon2id$"));
    auto after = start_hash(hasher);
    io_.restart();
    io_.run();
    EXPECT_FALSE(after->failure);
    EXPECT_TRUE(after->hash.has_value());
}

TEST_F(password_hasher_test, the_default_queue_is_four_calls_per_thread)
{
    const auto& hasher = make_hasher(password_settings{hash_cost::minimum, 1, std::nullopt});
    std::vector<std::shared_ptr<outcome>> admitted;
    EXPECT_EQ(admitted_before_refusal(hasher, admitted), 5u);  // 1 running + 4 waiting
}

TEST_F(password_hasher_test, verify_takes_a_place_in_the_same_queue)
{
    const auto& hasher = make_hasher(password_settings{hash_cost::minimum, 1, 0});
    auto running = start_hash(hasher);
    ASSERT_FALSE(running->failure);
    std::exception_ptr refused;
    asio::co_spawn(io_, hasher.verify("pw", "$argon2id$…"), [&](std::exception_ptr e, bool) { refused = e; });
    io_.poll();
    EXPECT_THROW(std::rethrow_exception(refused), keel::overloaded);

    held_.open();
    io_.restart();
    io_.run();
    std::optional<bool> matches;
    asio::co_spawn(io_, hasher.verify("correct horse", *running->hash), [&](std::exception_ptr e, bool ok) {
        if (!e)
            matches = ok;
    });
    io_.restart();
    io_.run();
    EXPECT_EQ(matches, true);
}

}  // namespace

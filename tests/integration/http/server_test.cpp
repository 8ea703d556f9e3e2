// The HTTP server and the request pipeline: limits, timeouts, keep-alive, shutdown, dependency
// injection and the session lifecycle, over real sockets.
#include <atomic>
#include <future>
#include <latch>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <keel/core/block_on.hpp>
#include <keel/db/errors.hpp>
#include <keel/security/password.hpp>
#include <keel/testing/app.hpp>
#include <keel/testing/databases.hpp>
#include <keel/testing/http_client.hpp>

#include "support/gate.hpp"

namespace {

namespace asio = boost::asio;
using keel::task;
using namespace keel::http;
using namespace keel::testing;

struct note {
    keel::text<1, 20> text;
};
BOOST_DESCRIBE_STRUCT(note, (), (text))

struct note_row {
    std::int64_t id = 0;
    std::string text;
};
BOOST_DESCRIBE_STRUCT(note_row, (), (id, text))

struct count_reply {
    std::int64_t count = 0;
};
BOOST_DESCRIBE_STRUCT(count_reply, (), (count))

// A dependency of the user's: resolved per request from another dependency.
struct caller_name {
    std::string value;
    static task<caller_name> resolve(const request& req)
    {
        auto header = req.header("X-Caller");
        if (!header)
            throw error(401, "Not authenticated", {{"WWW-Authenticate", "Bearer"}});
        co_return caller_name{std::string(*header)};
    }
};
struct greeting {
    std::string hello;
};
BOOST_DESCRIBE_STRUCT(greeting, (), (hello))

task<void> sleep_for(std::chrono::milliseconds d)
{
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

class server_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        quiet_logs();
        database_.emplace(keel::db::pool::open(fresh_database(backend::sqlite_memory)));
        keel::block_on([&]() -> task<void> {
            auto s = database_->make_session();
            co_await s.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
            co_await s.commit();
        });
    }
    std::unique_ptr<app> make(server_settings settings = test_server_settings())
    {
        auto a = std::make_unique<app>(settings);
        a->provide(*database_);
        a->post("/notes", [](body<note> in, keel::db::session& db) -> task<created<note_row>> {
            auto row = co_await db.one<note_row>("INSERT INTO notes (text) VALUES ($1) RETURNING id, text", in->text);
            co_return created<note_row>{std::move(row)};
        });
        a->post("/notes/fail", [](body<note> in, keel::db::session& db) -> task<note_row> {
            co_await db.execute("INSERT INTO notes (text) VALUES ($1)", in->text);
            throw std::runtime_error("secret internal detail");
        });
        a->get("/notes/count", [](keel::db::session& db) -> task<count_reply> {
            co_return count_reply{co_await db.one<std::int64_t>("SELECT count(*) FROM notes")};
        });
        a->get("/slow", [this]() -> task<greeting> {
            co_await slow_gate_.wait();  // until the test opens it
            co_return greeting{"slow"};
        });
        a->get("/hello", [](caller_name who) -> task<greeting> { co_return greeting{"hello " + who.value}; });
        a->del("/notes/{id}", [](path<std::int64_t>) -> task<void> { co_return; });
        a->get("/teapot", []() -> task<response> { co_return response::text(418, "short and stout"); });
        a->get("/peer", [](const request& req) -> task<response> {
            co_return response::text(200, std::string(req.peer_address()));
        });
        a->get("/headers", []() -> task<response> {
            auto out = response::text(200, "ok");
            out.headers = {{"X-Fine", "yes"}, {"X-Split", "a\r\nSet-Cookie: evil=1"}};
            co_return out;
        });
        return a;
    }
    std::int64_t count_notes(std::uint16_t port) { return get(port, "/notes/count").json().at("count").as_int64(); }

    std::optional<keel::db::pool> database_;
    gate slow_gate_;
};

TEST_F(server_test, session_commits_when_the_handler_returns)
{
    running_app server(make());
    auto r = post_json(server.port(), "/notes", R"({"text":"kept"})");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(count_notes(server.port()), 1);
}

TEST_F(server_test, session_rolls_back_when_the_handler_throws_and_500_hides_the_message)
{
    running_app server(make());
    auto r = post_json(server.port(), "/notes/fail", R"({"text":"gone"})");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, R"({"detail":"Internal Server Error"})");
    EXPECT_EQ(count_notes(server.port()), 0);
}

TEST_F(server_test, a_500_is_logged_with_method_route_exception_type_and_request_id)
{
    std::ostringstream captured;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.push_back(sink);
    {
        running_app server(make());
        EXPECT_EQ(post_json(server.port(), "/notes/fail", R"({"text":"gone"})").status, 500);
    }
    sinks.pop_back();
    const auto text = captured.str();
    EXPECT_NE(text.find("500 POST /notes/fail: unhandled std::runtime_error: secret internal detail"), std::string::npos)
        << text;
    EXPECT_NE(text.find("] 500 POST"), std::string::npos) << "no request id: " << text;
}

TEST_F(server_test, user_dependencies_resolve_per_request)
{
    running_app server(make());
    auto ok = send(server.port(), {"GET", "/hello", "", {{"X-Caller", "ann"}}});
    EXPECT_EQ(ok.body, R"({"hello":"hello ann"})");
    auto denied = get(server.port(), "/hello");
    EXPECT_EQ(denied.status, 401);
    EXPECT_EQ(denied.header("www-authenticate"), "Bearer");
}

TEST_F(server_test, result_kinds_map_to_statuses)
{
    running_app server(make());
    EXPECT_EQ(send(server.port(), {"DELETE", "/notes/3", "", {}}).status, 204);
    auto tea = get(server.port(), "/teapot");
    EXPECT_EQ(tea.status, 418);
    EXPECT_EQ(tea.header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(tea.body, "short and stout");
}

TEST_F(server_test, a_handler_sees_the_peer_address)
{
    running_app server(make());
    EXPECT_EQ(get(server.port(), "/peer").body, "127.0.0.1");
}

TEST_F(server_test, standard_headers_and_head)
{
    running_app server(make());
    auto r = get(server.port(), "/notes/count");
    EXPECT_EQ(r.header("server"), "keel");
    EXPECT_TRUE(r.header("date").ends_with(" GMT")) << r.header("date");
    auto head = send(server.port(), {"HEAD", "/notes/count", "", {}});
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
    EXPECT_EQ(head.header("content-length"), std::to_string(r.body.size()));
}

TEST_F(server_test, the_response_head_follows_the_request)
{
    running_app server(make());
    {
        raw_connection c(server.port());  // HTTP/1.0 without keep-alive: answered in 1.0, then closed
        c.write("GET /hello HTTP/1.0\r\nX-Caller: ann\r\n\r\n");
        auto [text, closed] = c.read_until_closed(10'000);
        EXPECT_TRUE(text.starts_with("HTTP/1.0 200 OK\r\n")) << text;
        EXPECT_EQ(text.find("Connection:"), std::string::npos) << text;
        EXPECT_TRUE(closed);
    }
    {
        raw_connection c(server.port());
        c.write("GET /hello HTTP/1.1\r\nHost: x\r\nX-Caller: ann\r\nConnection: close\r\n\r\n");
        auto [text, closed] = c.read_until_closed(10'000);
        EXPECT_NE(text.find("\r\nConnection: close\r\n"), std::string::npos) << text;
        EXPECT_NE(text.find("\r\nContent-Length: 21\r\n"), std::string::npos) << text;
        EXPECT_TRUE(text.ends_with("\r\n\r\n{\"hello\":\"hello ann\"}")) << text;
    }
    // A header value with CR/LF would split the response: it is dropped, the others stay.
    auto r = get(server.port(), "/headers");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-fine"), "yes");
    EXPECT_EQ(r.header("set-cookie"), "");
    EXPECT_EQ(r.header("x-split"), "");
}

TEST_F(server_test, oversize_body_is_413)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write("POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048577\r\n\r\n{");
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(text.starts_with("HTTP/1.1 413")) << text;
    EXPECT_NE(text.find(R"({"detail":"Request body too large"})"), std::string::npos);
    EXPECT_TRUE(closed);
}

TEST_F(server_test, body_limit_is_configurable)
{
    auto settings = test_server_settings();
    settings.max_body_size = 16;
    running_app server(make(settings));
    EXPECT_EQ(post_json(server.port(), "/notes", R"({"text":"this body is too long"})").status, 413);
    EXPECT_EQ(post_json(server.port(), "/notes", R"({"text":"ok"})").status, 201);
}

TEST_F(server_test, expect_100_continue_is_answered_before_the_body)
{
    running_app server(make());
    raw_connection c(server.port());
    const std::string body = R"({"text":"after continue"})";
    c.write("POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    auto [interim, closed_early] = c.read_until("\r\n\r\n", 10'000);
    EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    EXPECT_FALSE(closed_early);
    c.write(body);
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(text.starts_with("HTTP/1.1 201")) << text;
}

TEST_F(server_test, oversize_header_is_431)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write("GET /notes/count HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(text.starts_with("HTTP/1.1 431")) << text.substr(0, 80);
    EXPECT_TRUE(closed);
}

TEST_F(server_test, malformed_request_is_400)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write("GARBAGE\r\n\r\n");
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(text.starts_with("HTTP/1.1 400")) << text;
    EXPECT_TRUE(closed);
}

TEST_F(server_test, a_handler_past_request_timeout_is_interrupted_and_answered_504)
{
    auto settings = test_server_settings();
    settings.request_timeout = std::chrono::milliseconds(200);
    auto a = make(settings);
    a->post("/slow-note", [](body<note> in, keel::db::session& db) -> task<created<note_row>> {
        auto row = co_await db.one<note_row>("INSERT INTO notes (text) VALUES ($1) RETURNING id, text", in->text);
        co_await sleep_for(std::chrono::minutes(5));  // interrupted at the deadline
        co_return created<note_row>{std::move(row)};
    });
    running_app server(std::move(a));
    auto r = post_json(server.port(), "/slow-note", R"({"text":"late"})");
    EXPECT_EQ(r.status, 504);
    EXPECT_EQ(r.body, R"({"detail":"Request timed out"})");
    // Rolled back, and the connection serves the next request normally.
    EXPECT_EQ(post_json(server.port(), "/notes", R"({"text":"next"})").status, 201);
    EXPECT_EQ(get(server.port(), "/notes/count").json().at("count").as_int64(), 1);
}

TEST_F(server_test, a_client_that_stalls_mid_request_is_cut_off_after_read_timeout)
{
    running_app server(make());  // read_timeout 500 ms
    raw_connection c(server.port());
    const auto started = std::chrono::steady_clock::now();
    c.write("POST /notes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"te");
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(closed) << "the server kept a stalled connection open";
    EXPECT_TRUE(text.empty()) << text;
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500)) << "cut off before its deadline";
    EXPECT_EQ(count_notes(server.port()), 0);
}

TEST_F(server_test, a_request_trickling_in_is_cut_off_when_the_whole_of_it_exceeds_read_timeout)
{
    running_app server(make());  // read_timeout 500 ms, counted from the first byte, not per read
    raw_connection c(server.port());
    // A byte every 30 ms: an idle timeout per read would never fire. The whole head takes about
    // 2 s to send, so a whole-request deadline must cut it off before the last byte.
    const std::string head = "POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Padding: 0123456\r\n";
    const auto started = std::chrono::steady_clock::now();
    std::size_t sent = 0;
    try {
        for (; sent < head.size(); ++sent) {
            c.write(std::string(1, head[sent]));
            std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the client's pace, not a synchronisation
        }
    } catch (const std::runtime_error&) {
        // the server closed the connection
    }
    const auto cut_at = std::chrono::steady_clock::now() - started;
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_LT(sent, head.size()) << "the whole head was accepted: the deadline is per read, not per request";
    EXPECT_TRUE(closed);
    EXPECT_TRUE(text.empty()) << text;
    EXPECT_GE(cut_at, std::chrono::milliseconds(500)) << "cut off before its deadline";
}

TEST_F(server_test, a_request_in_pieces_and_a_chunked_body_are_read_whole)
{
    running_app server(make());
    {
        raw_connection c(server.port());
        const std::string body = R"({"text":"in pieces"})";
        const std::string request = "POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        for (std::size_t at = 0; at < request.size(); at += 7) {
            c.write(request.substr(at, 7));
            std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the client's pace: pieces arrive apart
        }
        auto [text, closed] = c.read_until_closed(10'000);
        EXPECT_TRUE(text.starts_with("HTTP/1.1 201")) << text;
        EXPECT_TRUE(text.ends_with(R"("text":"in pieces"})")) << text;
    }
    {
        raw_connection c(server.port());
        c.write("POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n8\r\n{\"text\":\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the client's pace: chunks arrive apart
        c.write("9\r\n\"chunked\"\r\n1\r\n}\r\n0\r\n\r\n");
        auto [text, closed] = c.read_until_closed(10'000);
        EXPECT_TRUE(text.starts_with("HTTP/1.1 201")) << text;
        EXPECT_TRUE(text.ends_with(R"("text":"chunked"})")) << text;
    }
    EXPECT_EQ(count_notes(server.port()), 2);
}

TEST_F(server_test, a_silent_connection_is_closed_after_keep_alive_timeout)
{
    running_app server(make());  // keep_alive_timeout 500 ms
    raw_connection c(server.port());
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(closed);
}

TEST_F(server_test, keep_alive_serves_several_requests_on_one_connection)
{
    running_app server(make());
    raw_connection c(server.port());
    c.write("GET /notes/count HTTP/1.1\r\nHost: x\r\n\r\nGET /notes/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto [text, closed] = c.read_until_closed(10'000);
    EXPECT_TRUE(closed);
    std::size_t responses = 0;
    for (auto at = text.find("HTTP/1.1 200"); at != std::string::npos; at = text.find("HTTP/1.1 200", at + 1))
        ++responses;
    EXPECT_EQ(responses, 2u) << text;
}

TEST_F(server_test, a_slow_handler_does_not_block_its_thread)
{
    auto settings = test_server_settings();
    settings.threads = 1;
    running_app server(make(settings));
    auto slow = std::async(std::launch::async, [&] { return get(server.port(), "/slow"); });
    slow_gate_.wait_for_waiters(1);
    // The only I/O thread answers while the slow handler waits (blocked, it would not: the
    // client's own deadline would fail this).
    EXPECT_EQ(get(server.port(), "/notes/count").status, 200);
    slow_gate_.open();
    EXPECT_EQ(slow.get().status, 200);
}

TEST_F(server_test, shutdown_finishes_in_flight_requests_then_refuses_new_ones)
{
    auto a = make();
    const auto port = a->start();
    auto slow = std::async(std::launch::async, [&] { return get(port, "/slow"); });
    slow_gate_.wait_for_waiters(1);
    auto stopping = std::async(std::launch::async, [&] { a->stop(); });  // returns once the slow request is answered
    EXPECT_EQ(stopping.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
    slow_gate_.open();
    stopping.get();
    auto r = slow.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"hello":"slow"})");
    EXPECT_THROW(get(port, "/notes/count"), std::exception);
}

// Past shutdown_timeout the server stops its threads with a request still in a blocking job (a
// hash here, a SQLite call alike). The job's completion is posted to that thread's io_context, so
// the app's destruction waits for it instead of freeing the io_context under the worker.
TEST_F(server_test, a_forced_stop_waits_for_a_blocking_job_before_freeing_its_thread)
{
    std::latch hashing(1), release(1);
    auto hasher = std::make_shared<keel::security::password_hasher>(
        keel::security::password_settings{.password_hash_cost = keel::security::hash_cost::minimum,
                                          .password_hash_threads = 1},
        [&] {
            hashing.count_down();
            release.wait();
        });
    auto settings = test_server_settings();
    settings.shutdown_timeout = std::chrono::milliseconds(1);
    auto a = make(settings);
    a->provide(hasher);
    a->get("/hash", [](const keel::security::password_hasher& h) -> task<greeting> {
        co_return greeting{co_await h.hash("correct horse")};
    });
    const auto port = a->start();
    auto waiting = std::async(std::launch::async, [&] { return get(port, "/hash"); });
    hashing.wait();
    a->stop();  // forced: the request is still in its job
    std::atomic<bool> released{false};
    bool destroyed_after_release = false;
    std::latch destroying(1);
    std::thread owner([&] {
        destroying.count_down();
        a.reset();
        destroyed_after_release = released;
    });
    destroying.wait();
    released = true;
    release.count_down();
    owner.join();
    EXPECT_TRUE(destroyed_after_release);
    EXPECT_THROW(waiting.get(), std::exception);  // its connection closed unanswered
}

TEST_F(server_test, listening_on_a_busy_port_or_a_bad_host_is_a_clear_error)
{
    running_app first(make());
    auto settings = test_server_settings();
    settings.port = first.port();
    try {
        make(settings)->start();
        FAIL() << "two servers shared port " << first.port();
    } catch (const keel::error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
            << e.what();
    }
    settings.host = "256.1.1.1";
    EXPECT_THROW(make(settings)->start(), keel::error);
}

}  // namespace

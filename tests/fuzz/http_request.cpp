// Fuzz target: the HTTP request path end to end. A real keel app (Beast's parser, the router,
// parameter binding, handlers, a SQLite session, error mapping) runs on a loopback port for the
// whole run; each input is sent as raw bytes on a fresh connection, which is then half-closed.
// Invariants: the server answers or closes within 10 s (a wedged or dead I/O thread shows as a
// timeout), whatever it sends is a sequence of well-formed HTTP responses, and none is a 500
// (these handlers only throw http::error, so a 500 is an exception keel did not expect).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <keel/core/block_on.hpp>
#include <keel/core/log.hpp>
#include <keel/db/pool.hpp>
#include <keel/db/session.hpp>
#include <keel/http/app.hpp>

#include "check.hpp"

namespace {

using keel::task;
using keel::fuzz::check;
namespace http = keel::http;

struct address {
    keel::text<1, 64> city;
    std::optional<keel::text<2, 2, "^[A-Z]{2}$">> country;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, country))

struct profile {
    keel::text<3, 32, "^[A-Za-z0-9_.-]+$"> username;
    keel::integer<13, 130> age;
    std::vector<address> addresses;
    std::optional<double> score;
};
BOOST_DESCRIBE_STRUCT(profile, (), (username, age, addresses, score))

struct page {
    keel::integer<1, 100> limit = 10;
    std::int64_t offset = 0;
    std::optional<keel::text<1, 20, "^[a-z]+$">> q;
    bool desc = false;
};
BOOST_DESCRIBE_STRUCT(page, (), (limit, offset, q, desc))

struct note {
    std::int64_t id = 0;
    std::string text;
};
BOOST_DESCRIBE_STRUCT(note, (), (id, text))

struct listing {
    std::int64_t limit = 0;
    std::int64_t offset = 0;
    std::string q;
};
BOOST_DESCRIBE_STRUCT(listing, (), (limit, offset, q))

// A dependency of the user's, from a header (401 when absent).
struct caller {
    std::string name;
    static task<caller> resolve(const http::request& req)
    {
        auto header = req.header("X-Caller");
        if (!header)
            throw http::error(401, "Not authenticated", {{"WWW-Authenticate", "Bearer"}});
        co_return caller{std::string(*header)};
    }
};

void add_routes(http::app& app)
{
    app.get("/notes/{id}", [](http::path<std::int64_t> id, keel::db::session& db) -> task<note> {
        auto found = co_await db.maybe<note>("SELECT id, text FROM notes WHERE id = $1", *id);
        if (!found)
            throw http::error(404, "Note not found");
        co_return std::move(*found);
    });
    app.get("/users/{name}/posts/{n}",
            [](http::path<keel::text<1, 16, "^[a-z]+$">> name, http::path<keel::integer<1, 1000>> n) -> task<note> {
                co_return note{*n, name->str()};
            });
    app.get("/search", [](http::query<page> p) -> task<listing> {
        co_return listing{p->limit, p->offset, p->q ? p->q->str() : std::string()};
    });
    app.post("/profiles", [](http::body<profile> in, caller who) -> task<http::created<profile>> {
        if (in->username.str() == who.name)
            throw http::error(409, "Username already registered");
        co_return http::created<profile>{*in};
    });
    app.put("/profiles/{id}", [](http::path<std::int64_t>, http::body<profile> in) -> task<profile> { co_return *in; });
    app.del("/profiles/{id}", [](http::path<std::int64_t>) -> task<void> { co_return; });
}

http::app* server = nullptr;
std::uint16_t port = 0;

void start_server()
{
    keel::log::configure("off");  // one access-log line per input would drown the fuzzer's output
    keel::db::database_settings database;
    database.database_url = keel::db::url::parse("sqlite:///:memory:");
    database.pool_size = 1;
    auto pool = keel::db::pool::open(database, 1);
    keel::block_on([&]() -> task<void> {
        auto s = pool.make_session();
        co_await s.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
        co_await s.execute("INSERT INTO notes (id, text) VALUES (1, 'one'), (2, 'two')");
        co_await s.commit();
    });
    http::server_settings settings;
    settings.port = 0;
    settings.threads = 1;
    settings.max_body_size = 16 * 1024;
    settings.max_header_size = 4 * 1024;
    settings.read_timeout = std::chrono::seconds(5);
    settings.keep_alive_timeout = std::chrono::seconds(5);
    settings.shutdown_timeout = std::chrono::seconds(5);
    server = new http::app(settings);  // lives until exit; stopped by the atexit handler below
    server->provide(std::move(pool));
    add_routes(*server);
    port = server->start();
    std::atexit([] { server->stop(); });
}

class connection {
public:
    connection()
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(fd_ >= 0, "socket() failed", std::strerror(errno));
        // Each connection closed by the server leaves its 4-tuple in TIME_WAIT for a minute: from
        // one source address the ~28k ephemeral ports run out after as many inputs. Rotating the
        // source through 127.0.0.2-254 (all loopback) gives room for millions.
        static unsigned next_source = 0;
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (next_source++ % 253));
        check(::bind(fd_, reinterpret_cast<const sockaddr*>(&from), sizeof from) == 0, "cannot bind a loopback source",
              std::strerror(errno));
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect_to(to);
    }
    ~connection() { ::close(fd_); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Sends what it can: the server may answer (413, 431, 400) and close before it read it all.
    void send_all(std::string_view bytes)
    {
        while (!bytes.empty()) {
            const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    void half_close() { ::shutdown(fd_, SHUT_WR); }

    // Everything until the server closes; a reset ends it too (after an early answer, the
    // kernel resets a connection whose unread input it discards).
    std::string read_until_closed()
    {
        std::string out;
        char chunk[16384];
        for (;;) {
            pollfd p{fd_, POLLIN, 0};
            const int ready = ::poll(&p, 1, 10'000);
            if (ready < 0 && errno == EINTR)
                continue;
            check(ready > 0, "the server neither answered nor closed within 10 s");
            const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return out;
            out.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    // libFuzzer's -timeout watchdog is a SIGALRM installed without SA_RESTART: a connect() it
    // interrupts fails with EINTR while the handshake goes on in the background, so that case
    // waits for the handshake's outcome instead of reporting a failure.
    void connect_to(const sockaddr_in& to)
    {
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0)
            return;
        check(errno == EINTR, "cannot connect to the server", std::strerror(errno));
        pollfd p{fd_, POLLOUT, 0};
        int ready;
        while ((ready = ::poll(&p, 1, 10'000)) < 0 && errno == EINTR) {
        }
        check(ready > 0, "the server did not accept the connection within 10 s");
        int error = 0;
        socklen_t size = sizeof error;
        check(::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0,
              "cannot connect to the server", std::strerror(error));
    }

    int fd_ = -1;
};

bool starts_with_status_line(std::string_view bytes)
{
    return (bytes.starts_with("HTTP/1.1 ") || bytes.starts_with("HTTP/1.0 ")) && bytes.size() > 13 &&
           std::isdigit(static_cast<unsigned char>(bytes[9])) && std::isdigit(static_cast<unsigned char>(bytes[10])) &&
           std::isdigit(static_cast<unsigned char>(bytes[11])) && bytes[12] == ' ';
}

// A HEAD response announces a body it does not carry, so a stream with one cannot be split
// into responses without the requests. Then: it starts with a status line, and no status line
// (at the start or after a CRLF; a JSON body cannot hold a raw CRLF) says 500.
void check_responses_after_head(std::string_view bytes)
{
    if (bytes.empty())
        return;  // closed without an answer: a request cut short by the half-close
    check(starts_with_status_line(bytes), "a response without a status line", bytes.substr(0, 80));
    for (std::string_view line : {"HTTP/1.1 500 ", "HTTP/1.0 500 "})
        check(!bytes.starts_with(line) && bytes.find("\r\n" + std::string(line)) == std::string_view::npos,
              "a 500: an exception keel did not map", bytes.substr(0, 200));
}

// Checks that `bytes` is a sequence of complete HTTP responses, none a 500.
void check_responses(std::string_view bytes, bool may_contain_head)
{
    namespace bhttp = boost::beast::http;
    if (may_contain_head)
        return check_responses_after_head(bytes);
    while (!bytes.empty()) {
        check(starts_with_status_line(bytes), "a response without a status line", bytes.substr(0, 80));
        bhttp::response_parser<bhttp::string_body> parser;
        parser.eager(true);
        boost::beast::error_code ec;
        const auto used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
        check(!ec && parser.is_done(), "a malformed or truncated response", bytes.substr(0, 200));
        const int status = static_cast<int>(parser.get().result_int());
        check(status >= 100 && status <= 599, "a status outside 100..599");
        check(status != 500, "a 500: an exception keel did not map", parser.get().body());
        bytes.remove_prefix(used);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    start_server();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    connection c;
    c.send_all(input);
    c.half_close();
    const std::string answer = c.read_until_closed();
    check_responses(answer, input.find("HEAD") != std::string_view::npos || input.find("head") != std::string_view::npos);
    return 0;
}

// A fixed amount of HTTP work for instruction counting: CONNECTIONS connections each send BATCHES
// batches of 16 pipelined `GET PATH` requests and read the 16 responses before the next batch.
//   pipelined_client PORT CONNECTIONS BATCHES [PATH]
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int depth = 16;

[[noreturn]] void fail(const char* what)
{
    std::perror(what);
    std::exit(1);
}

int connect_to(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        fail("pipelined_client: connect");
    return fd;
}

// Reads until `depth` responses (counted by their status lines) have arrived.
void read_responses(int fd)
{
    std::string seen;
    int responses = 0;
    char chunk[65536];
    while (responses < depth) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0)
            fail("pipelined_client: read (did the server close?)");
        seen.append(chunk, static_cast<std::size_t>(n));
        std::size_t at;
        while ((at = seen.find("HTTP/1.1 ")) != std::string::npos) {
            ++responses;
            seen.erase(0, at + 9);
        }
    }
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: pipelined_client PORT CONNECTIONS BATCHES [PATH]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]), connections = std::atoi(argv[2]), batches = std::atoi(argv[3]);
    const std::string path = argc > 4 ? argv[4] : "/plaintext";
    std::string batch;
    for (int i = 0; i < depth; ++i)
        batch += "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n";
    std::vector<int> sockets;
    for (int i = 0; i < connections; ++i)
        sockets.push_back(connect_to(port));
    for (int b = 0; b < batches; ++b) {
        for (int fd : sockets)
            if (::write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size()))
                fail("pipelined_client: write");
        for (int fd : sockets)
            read_responses(fd);
    }
    for (int fd : sockets)
        ::close(fd);
}

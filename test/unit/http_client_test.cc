// The HTTP client for FDW guests (src/services/http_client.*), against a
// small HTTP/1.1 server this file runs on 127.0.0.1: requests and their
// bounds, the host allowlists, redirects, timeouts and cancels.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "services/host_allowlist.h"
#include "services/http_client.h"

using namespace pgwasm::services;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A tiny HTTP/1.1 server: one request per connection, each connection on a
// thread of its own (the slow route must not hold up the others), every
// wait bounded and ended by stop.
class TestServer {
 public:
  TestServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || listen(fd_, 64) != 0)
      throw std::runtime_error("test server: bind/listen failed");
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
    for (std::thread &t : workers_) t.join();
    close(fd_);
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      connections_++;
      workers_.emplace_back([this, c] {
        serve(c);
        close(c);
      });
    }
  }

  static void send_all(int c, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(c, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  static void respond(int c, int status, const std::string &body,
                      const std::string &extra_headers = "", bool with_length = true) {
    std::string head =
        "HTTP/1.1 " + std::to_string(status) + " X\r\nConnection: close\r\n" + extra_headers;
    if (with_length) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    send_all(c, head + "\r\n" + body);
  }

  // Reads until `done` says the buffer is complete; false on EOF, timeout
  // or stop.
  bool read_until(int c, std::string &buf, const std::function<bool()> &done) {
    auto deadline = Clock::now() + 5s;
    char tmp[8192];
    while (!done()) {
      if (stop_ || Clock::now() > deadline || buf.size() > (4u << 20)) return false;
      pollfd p{c, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      ssize_t n = recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
      // Not HTTP (a TLS ClientHello, say): answer in plain HTTP at once.
      if (!(buf[0] >= 'A' && buf[0] <= 'Z')) {
        respond(c, 400, "not http");
        return false;
      }
    }
    return true;
  }

  void serve(int c) {
    std::string buf;
    if (!read_until(c, buf, [&] { return buf.find("\r\n\r\n") != std::string::npos; })) return;
    size_t head_end = buf.find("\r\n\r\n");
    std::string head = buf.substr(0, head_end);
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    std::string method = request_line.substr(0, request_line.find(' '));
    size_t t0 = request_line.find(' ') + 1;
    std::string target = request_line.substr(t0, request_line.find(' ', t0) - t0);
    std::string headers_text;
    size_t content_length = 0;
    for (size_t at = line_end; at != std::string::npos && at < head.size();) {
      size_t next = head.find("\r\n", at + 2);
      std::string line =
          head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      at = next;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char &ch : name) ch = static_cast<char>(tolower(ch));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      headers_text += name + ": " + value + "\n";
      if (name == "content-length") content_length = std::stoul(value);
    }
    std::string body = buf.substr(head_end + 4);
    if (!read_until(c, body, [&] { return body.size() >= content_length; })) return;

    auto number_after = [&](const std::string &prefix) {
      return std::stoul(target.substr(prefix.size()));
    };
    if (target == "/json") {
      respond(c, 200, "{\"ok\":true}", "Content-Type: application/json\r\n");
    } else if (target.starts_with("/echo")) {
      respond(c, 200, method + " " + target + "\n" + headers_text + "\n" + body,
              "Content-Type: text/plain\r\n");
    } else if (target == "/slow") {
      for (auto until = Clock::now() + 5s; Clock::now() < until && !stop_;)
        std::this_thread::sleep_for(10ms);
      respond(c, 200, "late");
    } else if (target.starts_with("/huge/")) {
      respond(c, 200, std::string(number_after("/huge/"), 'x'));
    } else if (target.starts_with("/stream/")) {
      // No Content-Length: the size shows only as the bytes come.
      respond(c, 200, std::string(number_after("/stream/"), 'x'), "", false);
    } else if (target.starts_with("/redirect/")) {
      size_t q = target.find('?');
      respond(c, std::stoi(target.substr(10, q - 10)), "",
              "Location: " + target.substr(q + 1) + "\r\n");
    } else if (target.starts_with("/chain/")) {
      size_t n = number_after("/chain/");
      if (n == 0)
        respond(c, 200, "done");
      else
        respond(c, 302, "", "Location: /chain/" + std::to_string(n - 1) + "\r\n");
    } else if (target == "/many-headers") {
      std::string h;
      for (int i = 0; i < 300; i++) h += "X-H" + std::to_string(i) + ": v\r\n";
      respond(c, 200, "", h);
    } else if (target == "/status/404") {
      respond(c, 404, "nope");
    } else {
      respond(c, 404, "no route");
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> workers_;  // touched by accept_loop only, until it is joined
};

// A port nothing listens on: bound, then closed.
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

class Http : public ::testing::Test {
 protected:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  TestServer server;
  std::vector<HostAllowlist> lists{HostAllowlist::parse("127.0.0.1")};
  HttpLimits limits;
  std::function<bool()> never = [] { return false; };

  HttpResponse run(const std::string &method, const std::string &url, std::string body = "",
                   Headers headers = {}) {
    return perform(HttpRequest{method, url, std::move(headers), std::move(body)}, lists, limits,
                   never);
  }
  // The error a request ends in.
  HttpError fails(const HttpRequest &request, std::span<const HostAllowlist> with,
                  const std::function<bool()> &stop) {
    try {
      perform(request, with, limits, stop);
    } catch (const HttpError &e) {
      return e;
    }
    ADD_FAILURE() << "no error for " << request.method << " " << request.url;
    return HttpError(HttpError::Kind::Other, "", "none");
  }
  HttpError fails(const std::string &method, const std::string &url, std::string body = "",
                  Headers headers = {}) {
    return fails(HttpRequest{method, url, std::move(headers), std::move(body)}, lists, never);
  }
  HttpError fails_with(std::span<const HostAllowlist> with, const std::string &url) {
    return fails(HttpRequest{"GET", url, {}, {}}, with, never);
  }
};

TEST_F(Http, GetJson) {
  HttpResponse r = run("GET", server.url("/json"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"ok\":true}");
  bool found = false;
  for (const auto &[name, value] : r.headers)
    if (name == "content-type") found = value == "application/json";
  EXPECT_TRUE(found);
  EXPECT_EQ(r.final_url, server.url("/json"));
  EXPECT_EQ(r.redirects, 0);
  EXPECT_GT(r.bytes_sent, 0u);
  EXPECT_GT(r.bytes_received, r.body.size());
}

TEST_F(Http, ProxyEnvironmentIsIgnored) {
  std::string proxy = "http://127.0.0.1:" + std::to_string(closed_port());
  struct Env {
    std::vector<std::string> names{"http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"};
    explicit Env(const std::string &value) {
      for (const auto &n : names) setenv(n.c_str(), value.c_str(), 1);
    }
    ~Env() {
      for (const auto &n : names) unsetenv(n.c_str());
    }
  } env(proxy);
  // Without CURLOPT_PROXY "" this fails to connect (to the proxy).
  EXPECT_EQ(run("GET", server.url("/json")).status, 200);
}

TEST_F(Http, HugeLimitsAreClamped) {
  limits.timeout = std::chrono::milliseconds::max();
  limits.max_response_bytes = SIZE_MAX;
  EXPECT_EQ(run("GET", server.url("/json")).status, 200);
}

TEST_F(Http, CancelBeforeStartingConnectsNowhere) {
  EXPECT_EQ(
      fails(HttpRequest{"GET", server.url("/json"), {}, {}}, lists, [] { return true; }).kind(),
      HttpError::Kind::Cancelled);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, ErrorStatusIsAResponse) {
  HttpResponse r = run("GET", server.url("/status/404"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "nope");
}

TEST_F(Http, EchoesMethodHeadersAndBody) {
  HttpResponse r =
      run("post", server.url("/echo?a=1"), "hello", {{"X-Test", "one two"}, {"X-Empty", ""}});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("POST /echo?a=1\n")) << r.body;
  EXPECT_NE(r.body.find("x-test: one two\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("x-empty: \n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("content-length: 5\n"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("expect:"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("x-www-form-urlencoded"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("accept-encoding"), std::string::npos) << r.body;
  EXPECT_TRUE(r.body.ends_with("\n\nhello")) << r.body;

  for (std::string method : {"PUT", "PATCH", "DELETE", "GET"}) {
    HttpResponse m = run(method, server.url("/echo"), method == "GET" ? "" : "b");
    EXPECT_TRUE(m.body.starts_with(method + " /echo\n")) << m.body;
  }
  HttpResponse head = run("HEAD", server.url("/json"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST_F(Http, OnlyTheSixMethods) {
  for (std::string method : {"TRACE", "CONNECT", "OPTIONS", "", "GET ", "G\nET"})
    EXPECT_EQ(fails(method, server.url("/json")).kind(), HttpError::Kind::BadRequest) << method;
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, OnlyHttpAndHttps) {
  for (std::string url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/",
                          "127.0.0.1/json", "not a url", "http://"})
    EXPECT_EQ(fails("GET", url).kind(), HttpError::Kind::BadRequest) << url;
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, HeaderInjectionIsRefused) {
  for (const Headers &h :
       {Headers{{"X-A", "1\r\nX-Evil: 1"}}, Headers{{"X-A", "1\nX-Evil: 1"}},
        Headers{{"X-A", "1\rX"}}, Headers{{"X-A\r\nX-Evil", "1"}}, Headers{{"X A", "1"}},
        Headers{{"X-A:", "1"}}, Headers{{"", "1"}}, Headers{{"Content-Length", "0"}},
        Headers{{"Transfer-Encoding", "chunked"}}})
    EXPECT_EQ(fails("GET", server.url("/echo"), "", h).kind(), HttpError::Kind::BadRequest)
        << h[0].first;
  EXPECT_EQ(fails("GET", server.url("/echo"), "", {{"X-A", std::string("a\0b", 3)}}).kind(),
            HttpError::Kind::BadRequest);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, RequestBoundsAreNamed) {
  HttpError url = fails("GET", server.url("/json?" + std::string(9000, 'a')));
  EXPECT_EQ(url.kind(), HttpError::Kind::BadRequest);
  EXPECT_NE(std::string(url.what()).find("8192"), std::string::npos) << url.what();

  Headers many(101, {"X-A", "1"});
  HttpError headers = fails("GET", server.url("/json"), "", many);
  EXPECT_EQ(headers.kind(), HttpError::Kind::BadRequest);
  EXPECT_NE(std::string(headers.what()).find("100"), std::string::npos) << headers.what();

  HttpError body = fails("POST", server.url("/echo"), std::string((16u << 20) + 1, 'b'));
  EXPECT_EQ(body.kind(), HttpError::Kind::BadRequest);
  EXPECT_NE(std::string(body.what()).find("16777216"), std::string::npos) << body.what();
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, DisallowedHostIsRefusedWithoutConnecting) {
  std::vector<HostAllowlist> other{HostAllowlist::parse("localhost, 127.0.0.1:1")};
  HttpError e = fails_with(other, server.url("/json"));
  EXPECT_EQ(e.kind(), HttpError::Kind::NotAllowed);
  EXPECT_EQ(e.host(), "127.0.0.1");
  EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos);
  std::this_thread::sleep_for(100ms);  // a connection would have been accepted by now
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, UserInfoDoesNotDisguiseTheHost) {
  // The host is what follows the "@", as libcurl connects to it.
  HttpError e =
      fails("GET", "http://127.0.0.1:80@localhost:" + std::to_string(server.port()) + "/json");
  EXPECT_EQ(e.kind(), HttpError::Kind::NotAllowed) << e.what();
  EXPECT_EQ(e.host(), "localhost");
  EXPECT_EQ(std::string(e.what()).find("127.0.0.1:80@"), std::string::npos) << e.what();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, EmptyAllowlistsAllowNothing) {
  EXPECT_EQ(fails_with({}, server.url("/json")).kind(), HttpError::Kind::NotAllowed);
  std::vector<HostAllowlist> empty{HostAllowlist::parse("")};
  EXPECT_EQ(fails_with(empty, server.url("/json")).kind(), HttpError::Kind::NotAllowed);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(Http, EveryAllowlistMustAllow) {
  std::vector<HostAllowlist> narrowed{
      HostAllowlist::parse("*"),
      HostAllowlist::parse("127.0.0.1:" + std::to_string(server.port()))};
  EXPECT_EQ(perform({"GET", server.url("/json"), {}, {}}, narrowed, limits, never).status, 200);
  std::vector<HostAllowlist> disjoint{HostAllowlist::parse("127.0.0.1"),
                                      HostAllowlist::parse("localhost")};
  EXPECT_EQ(fails_with(disjoint, server.url("/json")).kind(), HttpError::Kind::NotAllowed);
  std::vector<HostAllowlist> wrong_port{HostAllowlist::parse("*"),
                                        HostAllowlist::parse("127.0.0.1:1")};
  EXPECT_EQ(fails_with(wrong_port, server.url("/json")).kind(), HttpError::Kind::NotAllowed);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(Http, DefaultPortsAreTheEffectivePort) {
  std::vector<HostAllowlist> port80{HostAllowlist::parse("nothing.invalid:80")};
  // Allowed (80 is http's port), so it gets as far as resolving the name.
  EXPECT_EQ(fails_with(port80, "http://nothing.invalid/x").kind(), HttpError::Kind::Connect);
  EXPECT_EQ(fails_with(port80, "https://nothing.invalid/x").kind(), HttpError::Kind::NotAllowed);
  EXPECT_EQ(fails_with(port80, "http://nothing.invalid:8080/x").kind(),
            HttpError::Kind::NotAllowed);
}

TEST_F(Http, MessagesNeverQuoteTheQuery) {
  HttpError refused = fails("GET", "http://evil.example/x?token=SECRET123");
  EXPECT_EQ(refused.kind(), HttpError::Kind::NotAllowed);
  EXPECT_NE(std::string(refused.what()).find("evil.example"), std::string::npos);
  EXPECT_EQ(std::string(refused.what()).find("SECRET123"), std::string::npos) << refused.what();

  HttpError connect = fails(
      "GET", "http://127.0.0.1:" + std::to_string(closed_port()) + "/x?token=SECRET123#SECRET123");
  EXPECT_EQ(connect.kind(), HttpError::Kind::Connect);
  EXPECT_EQ(std::string(connect.what()).find("SECRET123"), std::string::npos) << connect.what();
  EXPECT_EQ(connect.host(), "127.0.0.1");
}

TEST_F(Http, ConnectionRefusedIsConnect) {
  HttpError e = fails("GET", "http://127.0.0.1:" + std::to_string(closed_port()) + "/");
  EXPECT_EQ(e.kind(), HttpError::Kind::Connect);
  EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
}

TEST_F(Http, HttpsToAPlainPortFails) {
  HttpError e = fails("GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/json");
  EXPECT_TRUE(e.kind() == HttpError::Kind::Tls || e.kind() == HttpError::Kind::Connect)
      << to_string(e.kind()) << ": " << e.what();
}

TEST_F(Http, TimeoutCoversTheWholeRequest) {
  limits.timeout = 300ms;
  auto start = Clock::now();
  HttpError e = fails("GET", server.url("/slow"));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(e.kind(), HttpError::Kind::Timeout) << e.what();
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 2s);
}

TEST_F(Http, CancelLandsPromptly) {
  auto stop_at = Clock::now() + 300ms;
  std::function<bool()> stop = [&] { return Clock::now() >= stop_at; };
  HttpError e = fails(HttpRequest{"GET", server.url("/slow"), {}, {}}, lists, stop);
  auto after_stop = Clock::now() - stop_at;
  EXPECT_EQ(e.kind(), HttpError::Kind::Cancelled) << e.what();
  EXPECT_LT(after_stop, 200ms);  // the loop polls every 50 ms
}

TEST_F(Http, ResponseSizeIsCapped) {
  limits.max_response_bytes = 1000;
  EXPECT_EQ(run("GET", server.url("/huge/1000")).body.size(), 1000u);
  EXPECT_EQ(run("GET", server.url("/stream/1000")).body.size(), 1000u);
  for (std::string path : {"/huge/100000", "/stream/100000", "/huge/1001", "/stream/1001"}) {
    HttpError e = fails("GET", server.url(path));
    EXPECT_EQ(e.kind(), HttpError::Kind::TooLarge) << path << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fails("GET", server.url("/many-headers")).kind(), HttpError::Kind::TooLarge);
}

TEST_F(Http, RedirectsAreFollowedAndRechecked) {
  HttpResponse relative = run("GET", server.url("/redirect/302?/json"));
  EXPECT_EQ(relative.status, 200);
  EXPECT_EQ(relative.body, "{\"ok\":true}");
  EXPECT_EQ(relative.redirects, 1);
  EXPECT_EQ(relative.final_url, server.url("/json"));

  HttpResponse absolute = run("GET", server.url("/redirect/301?" + server.url("/json")));
  EXPECT_EQ(absolute.status, 200);
  EXPECT_EQ(absolute.redirects, 1);

  HttpResponse chain = run("GET", server.url("/chain/3"));
  EXPECT_EQ(chain.body, "done");
  EXPECT_EQ(chain.redirects, 3);
  EXPECT_EQ(chain.final_url, server.url("/chain/0"));
}

TEST_F(Http, RedirectToADisallowedHostIsRefused) {
  std::string port = std::to_string(server.port());
  for (std::string host : {"localhost", "127.0.0.2"}) {
    int before = server.connections();
    HttpError e = fails("GET", server.url("/redirect/302?http://" + host + ":" + port + "/json"));
    EXPECT_EQ(e.kind(), HttpError::Kind::NotAllowed) << e.what();
    EXPECT_EQ(e.host(), host);
    EXPECT_NE(std::string(e.what()).find(host), std::string::npos) << e.what();
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(server.connections(), before + 1);  // only the first hop
  }
  HttpError scheme = fails("GET", server.url("/redirect/302?ftp://127.0.0.1/x"));
  EXPECT_EQ(scheme.kind(), HttpError::Kind::Redirect) << scheme.what();
}

TEST_F(Http, TooManyRedirects) {
  EXPECT_EQ(run("GET", server.url("/chain/5")).redirects, 5);
  HttpError e = fails("GET", server.url("/chain/6"));
  EXPECT_EQ(e.kind(), HttpError::Kind::Redirect);
  EXPECT_NE(std::string(e.what()).find("5"), std::string::npos) << e.what();
  limits.max_redirects = 0;
  EXPECT_EQ(fails("GET", server.url("/chain/1")).kind(), HttpError::Kind::Redirect);
}

TEST_F(Http, RedirectMethodRules) {
  Headers json{{"Content-Type", "application/json"}};
  HttpResponse see_other = run("POST", server.url("/redirect/303?/echo"), "data", json);
  EXPECT_TRUE(see_other.body.starts_with("GET /echo\n")) << see_other.body;
  EXPECT_TRUE(see_other.body.ends_with("\n\n")) << see_other.body;  // no body
  EXPECT_EQ(see_other.body.find("content-type"), std::string::npos) << see_other.body;

  HttpResponse found = run("POST", server.url("/redirect/302?/echo"), "data");
  EXPECT_TRUE(found.body.starts_with("GET /echo\n")) << found.body;

  HttpResponse temporary = run("POST", server.url("/redirect/307?/echo"), "data", json);
  EXPECT_TRUE(temporary.body.starts_with("POST /echo\n")) << temporary.body;
  EXPECT_TRUE(temporary.body.ends_with("\n\ndata")) << temporary.body;

  HttpResponse permanent = run("PUT", server.url("/redirect/308?/echo"), "data");
  EXPECT_TRUE(permanent.body.starts_with("PUT /echo\n")) << permanent.body;
  EXPECT_TRUE(permanent.body.ends_with("\n\ndata")) << permanent.body;
}

TEST_F(Http, CredentialsStayWithTheirOrigin) {
  lists = {HostAllowlist::parse("127.0.0.1, localhost")};
  Headers auth{{"Authorization", "Bearer tok"}, {"Cookie", "c=1"}};
  HttpResponse same = run("GET", server.url("/redirect/307?/echo"), "", auth);
  EXPECT_NE(same.body.find("authorization: Bearer tok"), std::string::npos) << same.body;
  std::string elsewhere = "http://localhost:" + std::to_string(server.port()) + "/echo";
  HttpResponse other = run("GET", server.url("/redirect/307?" + elsewhere), "", auth);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body.find("authorization"), std::string::npos) << other.body;
  EXPECT_EQ(other.body.find("cookie"), std::string::npos) << other.body;
}

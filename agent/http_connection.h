// One HTTP/1.1 keep-alive client connection driven by callbacks on one io_context.
//
// Hot path without allocation: the request bytes are prepared by the caller; the answer is
// parsed by a Beast basic_parser subclass (constructed in place per answer) from a fixed read
// buffer; the body goes into a reused string only when the caller needs it. Per small exchange:
// one write, one read, and the epoll re-arm that Asio 1.74's async_wait makes (strace: 3.5
// system calls per request, wrk 4.4): the connection waits for readiness and then reads without
// blocking, instead of trying a read that would fail first.
//
// Timeouts: the owner calls ExpireIfDue(now) periodically (PhaseDriver does every few ms); an
// overdue exchange is aborted and reported as ErrorClass::kTimeout.
//
// Thread safety: every call on the io_context's thread. The owner keeps the connection alive
// until idle() (no pending handler) after Close().
#ifndef VEXBENCH_AGENT_HTTP_CONNECTION_H_
#define VEXBENCH_AGENT_HTTP_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/response_parser.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "common/clock.h"
#include "common/error_class.h"

namespace vexbench {

struct HttpOutcome {
  ErrorClass error = ErrorClass::kNone;  // transport or HTTP parse failure; kNone otherwise
  int status = 0;                        // 0 when no status line was received
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  std::string_view body;  // only when keep_body; valid until the next Start()
};

class HttpConnection {
 public:
  class Listener {
   public:
    // The exchange started by Start() is over (success or failure). The connection is free:
    // the listener may call Start() again from inside this call.
    virtual void OnExchangeDone(HttpConnection& connection, const HttpOutcome& outcome) = 0;

   protected:
    ~Listener() = default;
  };

  struct Options {
    uint64_t max_body_bytes = 64ull << 20;
    bool keep_body = false;
    size_t read_buffer_bytes = 64 * 1024;
  };

  // `listener` must outlive the connection. `index` is the owner's label for it.
  HttpConnection(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                 const Options& options, Listener& listener, int index);
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` (connecting first if needed) and reads one answer. `request` must stay
  // valid until OnExchangeDone. REQUIRES: !busy().
  void Start(std::string_view request, MonoTime deadline);

  // Aborts the exchange in flight with kTimeout when `now` is past its deadline.
  void ExpireIfDue(MonoTime now);

  // Closes the socket; an exchange in flight completes with `reason`.
  void Close(ErrorClass reason = ErrorClass::kOther);

  bool busy() const { return busy_; }
  // No handler of this connection is pending: safe to destroy.
  bool idle() const { return pending_ops_ == 0; }
  int index() const { return index_; }

 private:
  void Connect();
  void OnConnected(const boost::system::error_code& ec);
  void Write();
  void WaitReadable();
  void OnReadable(const boost::system::error_code& ec);
  // Feeds buffered bytes to the parser; true when the exchange finished (either way).
  bool ParseBuffered();
  void Finish(ErrorClass error);
  ErrorClass ClassifySocketError(const boost::system::error_code& ec, bool connecting) const;

  boost::asio::ip::tcp::socket socket_;
  const boost::asio::ip::tcp::endpoint endpoint_;
  const Options options_;
  Listener& listener_;
  const int index_;

  std::unique_ptr<char[]> read_buffer_;
  size_t read_begin_ = 0;
  size_t read_end_ = 0;
  std::optional<ResponseParser> parser_;
  std::string body_;

  std::string_view request_;
  size_t written_ = 0;
  MonoTime deadline_{};
  bool busy_ = false;
  bool connected_ = false;
  bool timed_out_ = false;
  ErrorClass close_reason_ = ErrorClass::kNone;
  int pending_ops_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_HTTP_CONNECTION_H_

#include "agent/http_connection.h"

#include <cstring>

#include "boost/asio/buffer.hpp"
#include "boost/asio/error.hpp"
#include "boost/beast/http/error.hpp"

namespace vexbench {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

HttpConnection::HttpConnection(asio::io_context& io, const tcp::endpoint& endpoint,
                               const Options& options, Listener& listener, int index)
    : socket_(io),
      endpoint_(endpoint),
      options_(options),
      listener_(listener),
      index_(index),
      read_buffer_(new char[options.read_buffer_bytes]) {}

void HttpConnection::Start(std::string_view request, MonoTime deadline) {
  busy_ = true;
  request_ = request;
  written_ = 0;
  deadline_ = deadline;
  timed_out_ = false;
  close_reason_ = ErrorClass::kNone;
  bytes_received_ = 0;
  parser_.emplace(options_.keep_body ? &body_ : nullptr, options_.max_body_bytes);
  if (connected_) {
    Write();
  } else {
    Connect();
  }
}

void HttpConnection::ExpireIfDue(MonoTime now) {
  if (busy_ && !timed_out_ && now >= deadline_) {
    timed_out_ = true;
    error_code ignored;
    socket_.close(ignored);  // the pending handler completes the exchange as a timeout
    connected_ = false;
  }
}

void HttpConnection::Close(ErrorClass reason) {
  close_reason_ = reason;
  error_code ignored;
  socket_.close(ignored);
  connected_ = false;
}

void HttpConnection::Connect() {
  error_code ignored;
  socket_.close(ignored);
  read_begin_ = read_end_ = 0;
  ++pending_ops_;
  socket_.async_connect(endpoint_, [this](const error_code& ec) {
    --pending_ops_;
    OnConnected(ec);
  });
}

void HttpConnection::OnConnected(const error_code& ec) {
  if (ec || timed_out_ || close_reason_ != ErrorClass::kNone) {
    Finish(ClassifySocketError(ec ? ec : asio::error::operation_aborted, /*connecting=*/true));
    return;
  }
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);
  connected_ = true;
  Write();
}

void HttpConnection::Write() {
  while (written_ < request_.size()) {
    error_code ec;
    const size_t n =
        socket_.write_some(asio::buffer(request_.data() + written_, request_.size() - written_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ++pending_ops_;
      socket_.async_wait(tcp::socket::wait_write, [this](const error_code& wait_ec) {
        --pending_ops_;
        if (wait_ec) {
          Finish(ClassifySocketError(wait_ec, false));
        } else {
          Write();
        }
      });
      return;
    }
    if (ec) {
      Finish(ClassifySocketError(ec, false));
      return;
    }
    written_ += n;
  }
  WaitReadable();
}

void HttpConnection::WaitReadable() {
  ++pending_ops_;
  socket_.async_wait(tcp::socket::wait_read, [this](const error_code& ec) {
    --pending_ops_;
    OnReadable(ec);
  });
}

void HttpConnection::OnReadable(const error_code& wait_ec) {
  if (wait_ec || timed_out_) {
    Finish(ClassifySocketError(wait_ec ? wait_ec : asio::error::operation_aborted, false));
    return;
  }
  const size_t capacity = options_.read_buffer_bytes;
  for (;;) {
    if (read_end_ == capacity) {
      if (read_begin_ == 0) {  // a header larger than the whole buffer
        Finish(ErrorClass::kParse);
        return;
      }
      std::memmove(read_buffer_.get(), read_buffer_.get() + read_begin_, read_end_ - read_begin_);
      read_end_ -= read_begin_;
      read_begin_ = 0;
    }
    error_code ec;
    const size_t n =
        socket_.read_some(asio::buffer(read_buffer_.get() + read_end_, capacity - read_end_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      WaitReadable();
      return;
    }
    if (ec == asio::error::eof) {
      error_code eof_ec;
      if (parser_->got_some() && parser_->need_eof()) parser_->put_eof(eof_ec);
      Finish(parser_->is_done() && !eof_ec ? ErrorClass::kNone : ErrorClass::kReset);
      return;
    }
    if (ec) {
      Finish(ClassifySocketError(ec, false));
      return;
    }
    read_end_ += n;
    bytes_received_ += n;
    if (ParseBuffered()) return;
  }
}

bool HttpConnection::ParseBuffered() {
  while (read_begin_ < read_end_) {
    error_code ec;
    const size_t n =
        parser_->put(asio::buffer(read_buffer_.get() + read_begin_, read_end_ - read_begin_), ec);
    read_begin_ += n;
    if (ec == boost::beast::http::error::need_more) break;
    if (ec) {
      Finish(ec == boost::beast::http::error::body_limit ? ErrorClass::kBodyTooLarge
                                                         : ErrorClass::kParse);
      return true;
    }
    if (parser_->is_done()) {
      Finish(ErrorClass::kNone);
      return true;
    }
    if (n == 0) break;
  }
  if (read_begin_ == read_end_) read_begin_ = read_end_ = 0;
  return false;
}

void HttpConnection::Finish(ErrorClass error) {
  busy_ = false;
  HttpOutcome outcome;
  outcome.error = error;
  outcome.status = parser_ ? parser_->status() : 0;
  outcome.bytes_sent = written_;
  outcome.bytes_received = bytes_received_;
  if (options_.keep_body) outcome.body = body_;
  const bool keep_alive = error == ErrorClass::kNone && parser_->keep_alive();
  if (!keep_alive) {
    error_code ignored;
    socket_.close(ignored);
    connected_ = false;
    read_begin_ = read_end_ = 0;
  }
  listener_.OnExchangeDone(*this, outcome);  // may call Start() again: touch nothing after
}

ErrorClass HttpConnection::ClassifySocketError(const error_code& ec, bool connecting) const {
  if (timed_out_) return ErrorClass::kTimeout;
  if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
    return close_reason_ != ErrorClass::kNone ? close_reason_ : ErrorClass::kOther;
  }
  if (connecting) return ErrorClass::kConnect;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::eof || ec == asio::error::connection_aborted) {
    return ErrorClass::kReset;
  }
  return ErrorClass::kOther;
}

}  // namespace vexbench

// An HTTP/1.1 response parser on Beast's basic_parser that keeps nothing but what a load
// generator needs: the status, whether the connection stays open, and optionally the body
// (appended to a caller-owned string that is reused across answers). No allocation of its own.
#ifndef VEXBENCH_AGENT_RESPONSE_PARSER_H_
#define VEXBENCH_AGENT_RESPONSE_PARSER_H_

#include <cstdint>
#include <string>

#include "boost/beast/http/basic_parser.hpp"

namespace vexbench {

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  // `body`: where the body goes, or nullptr to only count it. Cleared here.
  ResponseParser(std::string* body, uint64_t max_body_bytes) : body_(body) {
    if (body_ != nullptr) body_->clear();
    this->body_limit(max_body_bytes);
    this->header_limit(64 * 1024);
    this->eager(true);
  }

  int status() const { return status_; }
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  // basic_parser
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(boost::beast::http::field, string_view, string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code&) override {
    if (body_ != nullptr && content_length) body_->reserve(*content_length);
  }
  std::size_t on_body_impl(string_view body, error_code&) override {
    Append(body);
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    Append(body);
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  void Append(string_view piece) {
    body_bytes_ += piece.size();
    if (body_ != nullptr) body_->append(piece.data(), piece.size());
  }

  std::string* body_;
  int status_ = 0;
  uint64_t body_bytes_ = 0;
};

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_RESPONSE_PARSER_H_

#include "internal/text_proto.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace helpdesk::internal {
namespace {

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!error_.empty()) return;
    line_ = line;
    column_ = column;
    // The parser counts from 0.
    error_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& error() const { return error_; }
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  std::string error_;
  int line_ = -1;
  int column_ = -1;
};

}  // namespace

absl::Status ParseTextProto(absl::string_view text, absl::string_view what,
                            google::protobuf::Message* message) {
  return ParseTextProto(text, what, message, nullptr, nullptr, nullptr);
}

absl::Status ParseTextProto(absl::string_view text, absl::string_view what,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* info,
                            int* error_line, int* error_column) {
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (info != nullptr) parser.WriteLocationsTo(info);
  message->Clear();
  if (!parser.ParseFromString(std::string(text), message)) {
    if (error_line != nullptr) *error_line = errors.line();
    if (error_column != nullptr) *error_column = errors.column();
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", errors.error().empty() ? "malformed text" : errors.error()));
  }
  return absl::OkStatus();
}

}  // namespace helpdesk::internal

// Shared by the files of the API server (not part of its interface): the
// per-request Call, JSON in and out, and status-to-HTTP mapping.
#ifndef HELPDESK_EXAMPLES_SERVER_SERVER_INTERNAL_H_
#define HELPDESK_EXAMPLES_SERVER_SERVER_INTERNAL_H_

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "helpdesk/status_macros.h"
#include "server.h"

namespace helpdesk::serve {

struct ApiServer::Call {
  const httplib::Request& req;
  httplib::Response& res;
  absl::Time now;
  // Who is calling (unset for anonymous visitors).
  std::optional<v1::Actor> actor;
  // The session cookie's id when the call came with one.
  std::string session_id;
  // The {id} of the path, when the route has one.
  int64_t id = 0;

  const v1::Actor& who() const { return *actor; }
};

// Parses a JSON request body into `m` (unknown fields refused). An empty body
// is an empty message. Errors: InvalidArgument naming the parser's complaint.
inline absl::Status ParseBody(const std::string& body, google::protobuf::Message* m) {
  if (body.empty()) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  auto s = google::protobuf::util::JsonStringToMessage(body, m, o);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body: not a valid ", m->GetDescriptor()->name(), ": ",
                     std::string(s.message())));
  }
  return absl::OkStatus();
}

inline std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = false;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

inline absl::StatusOr<ApiServer::Reply> JsonReply(const google::protobuf::Message& m,
                                                  int status = 200) {
  ApiServer::Reply r;
  r.status = status;
  r.body = ToJson(m);
  return r;
}

// The Set-Cookie value of a session.
inline std::string SessionCookie(const std::string& id, absl::Duration ttl, bool secure) {
  return absl::StrCat("hd_session=", id, "; Path=/; HttpOnly; SameSite=Strict; Max-Age=",
                      absl::ToInt64Seconds(ttl), secure ? "; Secure" : "");
}

// The HTTP status for an error code.
int HttpStatusOf(absl::StatusCode code);

// {"error": ..., "code": ...}
std::string ErrorJson(const absl::Status& s);

}  // namespace helpdesk::serve

#endif  // HELPDESK_EXAMPLES_SERVER_SERVER_INTERNAL_H_

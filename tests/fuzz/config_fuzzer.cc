// Fuzzes every configuration parser that reads proto text format, each on the
// same bytes (so one seed of any kind reaches all of them): the workflow
// (Workflow::FromText), the SLA config (SlaEngine::FromText, against the
// default workflow and against the input's own workflow when it parses), the
// routing policy (a v1::RoutingPolicyConfig as the CLI reads it, then
// NewRoutingPolicy) and the simulator scenario (ParseSimScenario). Any status
// is fine; a crash, leak or hang is not.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "helpdesk/routing.h"
#include "helpdesk/sim.h"
#include "helpdesk/sla.h"
#include "helpdesk/v1/routing.pb.h"
#include "helpdesk/workflow.h"

namespace {

// Keeps the text parser quiet about the (many) malformed inputs.
class IgnoreErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<helpdesk::Workflow> workflow = helpdesk::Workflow::FromText(text);
  (void)helpdesk::SlaEngine::FromText(text, helpdesk::Workflow::Default());
  if (workflow.ok()) (void)helpdesk::SlaEngine::FromText(text, *workflow);

  IgnoreErrors errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  helpdesk::v1::RoutingPolicyConfig routing;
  if (parser.ParseFromString(std::string(text), &routing)) {
    (void)helpdesk::NewRoutingPolicy(routing);
  }

  (void)helpdesk::ParseSimScenario(text);
  return 0;
}

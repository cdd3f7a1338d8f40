// Test helper: builds a ticket's audit log the way Desk writes it
// (TICKET_CREATED with the initial fields and first message, MESSAGE_ADDED,
// FIELDS_CHANGED, MERGED_INTO with the status change to the merged status).
#ifndef HELPDESK_TESTS_REPORT_HISTORY_BUILDER_H_
#define HELPDESK_TESTS_REPORT_HISTORY_BUILDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "helpdesk/audit.h"
#include "helpdesk/names.h"
#include "helpdesk/timestamp.h"
#include "helpdesk/v1/event.pb.h"

namespace helpdesk::testing {

class HistoryBuilder {
 public:
  // Events get ids from `next_id`, shared between builders.
  HistoryBuilder(int64_t ticket_id, int64_t* next_id) : id_(ticket_id), next_id_(next_id) {}

  // `message`: the first message's kind (KIND_UNSPECIFIED for none).
  HistoryBuilder& Create(absl::Time t, const std::string& status = "new", int64_t group = 0,
                         v1::Message::Kind message = v1::Message::CUSTOMER_MESSAGE,
                         int64_t agent = 0, v1::Priority priority = v1::PRIORITY_NORMAL) {
    v1::Event& e = Add(t, v1::Event::TICKET_CREATED);
    *e.mutable_actor() = agent != 0 ? AgentActor(agent) : ContactActor(7);
    if (message != v1::Message::KIND_UNSPECIFIED) {
      e.set_message_id(++messages_);
      e.set_message_kind(message);
    }
    AddChange(e.mutable_changes(), v1::FieldChange::STATUS, std::nullopt, StatusValue(status));
    AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY, std::nullopt,
              PriorityValue(priority));
    if (group != 0) {
      AddChange(e.mutable_changes(), v1::FieldChange::GROUP, std::nullopt, GroupValue(group));
    }
    status_ = status;
    group_ = group;
    return *this;
  }
  // A message; `status` when it moves the ticket (a customer reopening it,
  // an agent replying and setting pending).
  HistoryBuilder& Message(absl::Time t, v1::Message::Kind kind, int64_t agent = 0,
                          std::optional<std::string> status = std::nullopt) {
    v1::Event& e = Add(t, v1::Event::MESSAGE_ADDED);
    *e.mutable_actor() = agent != 0 ? AgentActor(agent) : ContactActor(7);
    e.set_message_id(++messages_);
    e.set_message_kind(kind);
    if (status) ChangeStatus(e, *status);
    return *this;
  }
  HistoryBuilder& Reply(absl::Time t, int64_t agent = 1,
                        std::optional<std::string> status = std::nullopt) {
    return Message(t, v1::Message::PUBLIC_REPLY, agent, status);
  }
  HistoryBuilder& Status(absl::Time t, const std::string& status) {
    v1::Event& e = Add(t, v1::Event::FIELDS_CHANGED);
    *e.mutable_actor() = AgentActor(1);
    ChangeStatus(e, status);
    return *this;
  }
  HistoryBuilder& Group(absl::Time t, int64_t group) {
    v1::Event& e = Add(t, v1::Event::FIELDS_CHANGED);
    *e.mutable_actor() = AgentActor(1);
    AddChange(e.mutable_changes(), v1::FieldChange::GROUP, GroupValue(group_), GroupValue(group));
    group_ = group;
    return *this;
  }
  HistoryBuilder& Priority(absl::Time t, v1::Priority p) {
    v1::Event& e = Add(t, v1::Event::FIELDS_CHANGED);
    *e.mutable_actor() = AgentActor(1);
    AddChange(e.mutable_changes(), v1::FieldChange::PRIORITY, std::nullopt, PriorityValue(p));
    return *this;
  }
  HistoryBuilder& Tags(absl::Time t, const std::vector<std::string>& tags) {
    v1::Event& e = Add(t, v1::Event::FIELDS_CHANGED);
    *e.mutable_actor() = AgentActor(1);
    AddChange(e.mutable_changes(), v1::FieldChange::TAGS, std::nullopt, TagsValue(tags));
    return *this;
  }
  // A custom field set (`after`) or removed (nullopt), with the value it
  // had (`before`, nullopt: none), as the Desk writes it.
  HistoryBuilder& CustomField(absl::Time t, const std::string& name,
                              std::optional<std::string> before,
                              std::optional<std::string> after) {
    v1::Event& e = Add(t, v1::Event::FIELDS_CHANGED);
    *e.mutable_actor() = AgentActor(1);
    auto value = [](const std::optional<std::string>& text) -> std::optional<v1::FieldValue> {
      if (!text) return std::nullopt;
      v1::CustomFieldValue v;
      v.set_text(*text);
      return CustomFieldValueOf(v);
    };
    AddCustomFieldChange(e.mutable_changes(), name, value(before), value(after));
    return *this;
  }
  // A new requester of another organization, as the Desk writes it.
  HistoryBuilder& Organization(absl::Time t, int64_t before, int64_t after) {
    v1::Event& e = Add(t, v1::Event::FIELDS_CHANGED);
    *e.mutable_actor() = AgentActor(1);
    AddChange(e.mutable_changes(), v1::FieldChange::ORGANIZATION, OrganizationValue(before),
              OrganizationValue(after));
    return *this;
  }
  HistoryBuilder& MergeInto(absl::Time t, int64_t into) {
    v1::Event& e = Add(t, v1::Event::MERGED_INTO);
    *e.mutable_actor() = AgentActor(1);
    e.set_related_ticket_id(into);
    AddChange(e.mutable_changes(), v1::FieldChange::MERGED_INTO, TicketValue(0),
              TicketValue(into));
    ChangeStatus(e, "closed");
    return *this;
  }

  const std::vector<v1::Event>& events() const { return events_; }
  const std::string& status() const { return status_; }
  int64_t group() const { return group_; }

 private:
  v1::Event& Add(absl::Time t, v1::Event::Kind kind) {
    v1::Event& e = events_.emplace_back();
    e.set_id((*next_id_)++);
    e.set_ticket_id(id_);
    e.set_kind(kind);
    *e.mutable_time() = ToTimestamp(t);
    e.set_ticket_version(static_cast<int64_t>(events_.size()));
    return e;
  }
  void ChangeStatus(v1::Event& e, const std::string& status) {
    AddChange(e.mutable_changes(), v1::FieldChange::STATUS, StatusValue(status_),
              StatusValue(status));
    status_ = status;
  }

  int64_t id_;
  int64_t* next_id_;
  int64_t messages_ = 0;
  std::string status_;
  int64_t group_ = 0;
  std::vector<v1::Event> events_;
};

}  // namespace helpdesk::testing

#endif  // HELPDESK_TESTS_REPORT_HISTORY_BUILDER_H_

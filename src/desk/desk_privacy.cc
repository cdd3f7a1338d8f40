// Privacy: export, import, erase and retention of personal data (issue 16).
// helpdesk/desk/privacy.h says what each does; docs/privacy.md what it keeps.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "desk/desk_impl.h"
#include "google/protobuf/util/json_util.h"
#include "helpdesk/desk/privacy.h"
#include "helpdesk/timestamp.h"
#include "internal/sha256.h"
#include "internal/tar.h"

namespace helpdesk {
namespace {

constexpr absl::string_view kContactMember = "contact.json";
constexpr absl::string_view kAttachmentsDir = "attachments/";
constexpr absl::string_view kRetentionScope = "helpdesk.retention";
constexpr int kPurgeBatch = 100;

absl::Status CheckContactId(int64_t contact_id) {
  if (contact_id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("contact_id ", contact_id, " must be positive"));
  }
  return absl::OkStatus();
}

// Every ticket `contact_id` requested (merged ones too), by id.
absl::StatusOr<std::vector<v1::Ticket>> RequestedTickets(Transaction& tx, int64_t contact_id) {
  std::vector<v1::Ticket> out;
  TicketQuery q;
  q.requester_id = contact_id;
  q.include_merged = true;
  q.sort = TicketSort::kIdAsc;
  q.limit = kMaxQueryLimit;
  while (true) {
    HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx.QueryTickets(q));
    for (v1::Ticket& t : page.tickets) out.push_back(std::move(t));
    if (page.next_cursor.empty()) return out;
    q.cursor = std::move(page.next_cursor);
  }
}

bool IsErasedText(const v1::FieldValue& v) {
  return v.value_case() != v1::FieldValue::kText || v.text() == kErasedText ||
         v.text().empty();
}

}  // namespace

// --- Export ------------------------------------------------------------------

absl::StatusOr<std::string> Privacy::ExportContact(const v1::Actor& actor, int64_t contact_id) {
  HELPDESK_RETURN_IF_ERROR(CheckContactId(contact_id));
  const absl::Time now = impl_->Now();
  return impl_->Run(TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<std::string> {
    HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
    HELPDESK_RETURN_IF_ERROR(
        Authorize(a, Action::kExportPersonalData, Subject::Contact(contact_id)));
    v1::PersonalDataExport out;
    out.set_format_version(1);
    *out.mutable_exported_at() = ToTimestamp(now);
    HELPDESK_ASSIGN_OR_RETURN(*out.mutable_contact(), tx.GetContact(contact_id));
    if (out.contact().organization_id() != 0) {
      absl::StatusOr<v1::Organization> org = tx.GetOrganization(out.contact().organization_id());
      if (org.ok()) {
        *out.mutable_organization() = *std::move(org);
      } else if (!absl::IsNotFound(org.status())) {
        return org.status();
      }
    }
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Ticket> tickets, RequestedTickets(tx, contact_id));
    std::map<std::string, v1::ExportedAttachment> files;
    for (v1::Ticket& t : tickets) {
      v1::ExportedTicket* et = out.add_tickets();
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> messages, tx.ListMessages(t.id()));
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events, tx.ListTicketEvents(t.id(), 0, 0));
      *et->mutable_ticket() = std::move(t);
      for (v1::Message& m : messages) {
        for (const v1::Attachment& att : m.attachments()) {
          if (files.contains(att.sha256())) continue;
          v1::ExportedAttachment& f = files[att.sha256()];
          f.set_sha256(att.sha256());
          f.set_path(absl::StrCat(kAttachmentsDir, att.sha256()));
          f.set_size(att.size());
          f.set_file_name(att.file_name());
          f.set_media_type(att.media_type());
        }
        *et->add_messages() = std::move(m);
      }
      for (v1::Event& e : events) *et->add_events() = std::move(e);
    }
    for (auto& [sha, f] : files) *out.add_attachments() = f;

    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    std::string json;
    auto printed = google::protobuf::util::MessageToJsonString(out, &json, options);
    if (!printed.ok()) {
      return absl::InternalError(
          absl::StrCat("export of contact ", contact_id, ": ", printed.ToString()));
    }
    internal::TarWriter tar;
    HELPDESK_RETURN_IF_ERROR(tar.Add(kContactMember, json, now));
    for (const auto& [sha, f] : files) {
      absl::StatusOr<std::string> content = tx.GetAttachmentContent(sha);
      if (absl::IsNotFound(content.status())) {
        return absl::DataLossError(absl::StrCat("export of contact ", contact_id,
                                                ": the content of attachment ", sha,
                                                " is missing from the store"));
      }
      HELPDESK_RETURN_IF_ERROR(content.status());
      HELPDESK_RETURN_IF_ERROR(tar.Add(f.path(), *content, now));
    }
    return std::move(tar).Finish();
  });
}

// --- Import ------------------------------------------------------------------

absl::StatusOr<ImportResult> Privacy::ImportContact(const v1::Actor& actor,
                                                    absl::string_view archive) {
  absl::StatusOr<std::vector<internal::TarMember>> members = internal::ReadTar(archive);
  if (!members.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("archive: ", members.status().message()));
  }
  std::map<std::string, std::string, std::less<>> files;
  for (internal::TarMember& m : *members) files[m.name] = std::move(m.content);
  auto json = files.find(kContactMember);
  if (json == files.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("archive has no member ", kContactMember));
  }
  v1::PersonalDataExport in;
  auto parsed = google::protobuf::util::JsonStringToMessage(json->second, &in);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "archive member ", kContactMember, " is not a PersonalDataExport: ",
        parsed.ToString()));
  }
  if (in.format_version() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "archive member ", kContactMember, ": format_version ", in.format_version(),
        " is not 1"));
  }
  for (const v1::ExportedAttachment& f : in.attachments()) {
    auto it = files.find(f.path());
    if (f.path() != absl::StrCat(kAttachmentsDir, f.sha256()) || it == files.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "archive: attachment ", f.sha256(), " has no member ", kAttachmentsDir, f.sha256()));
    }
    if (internal::Sha256Hex(it->second) != f.sha256()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "archive member ", f.path(), ": its bytes do not have SHA-256 ", f.sha256()));
    }
  }
  const int64_t old_contact = in.contact().id();
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<ImportResult> {
    HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageRetention));
    ImportResult result;
    const int64_t old_org = in.contact().organization_id();
    int64_t new_org = 0;
    if (in.has_organization() && !in.organization().name().empty()) {
      v1::Organization org = in.organization();
      org.clear_id();
      absl::Status s = tx.InsertOrganization(&org);
      if (s.ok()) {
        new_org = org.id();
      } else if (!absl::IsAlreadyExists(s)) {
        return s;
      }
    }
    v1::Contact c = in.contact();
    c.clear_id();
    c.clear_version();
    c.set_organization_id(new_org);
    HELPDESK_RETURN_IF_ERROR(tx.InsertContact(&c));
    result.contact = c;
    auto map_actor = [&](v1::Actor* actor_field) {
      if (actor_field->kind() == v1::Actor::CONTACT && actor_field->id() == old_contact) {
        actor_field->set_id(c.id());
      }
    };
    for (const v1::ExportedAttachment& f : in.attachments()) {
      HELPDESK_RETURN_IF_ERROR(tx.PutAttachmentContent(f.sha256(), files.find(f.path())->second));
    }
    for (const v1::ExportedTicket& et : in.tickets()) {
      v1::Ticket t = et.ticket();
      if (t.id() <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("archive member ", kContactMember, ": ticket id ", t.id(),
                         " must be positive"));
      }
      t.set_requester_id(c.id());
      if (old_org != 0 && t.organization_id() == old_org) t.set_organization_id(new_org);
      std::vector<int64_t> ccs;
      for (int64_t cc : t.cc_contact_ids()) {
        if (cc == old_contact) ccs.push_back(c.id());
      }
      t.clear_cc_contact_ids();
      for (int64_t cc : ccs) t.add_cc_contact_ids(cc);
      HELPDESK_RETURN_IF_ERROR(tx.InsertTicket(&t));
      std::map<int64_t, int64_t> message_ids;
      for (v1::Message m : et.messages()) {
        const int64_t old_id = m.id();
        m.clear_id();
        m.set_ticket_id(t.id());
        map_actor(m.mutable_author());
        HELPDESK_RETURN_IF_ERROR(tx.InsertMessage(&m));
        message_ids[old_id] = m.id();
      }
      for (v1::Event e : et.events()) {
        e.clear_id();
        e.set_ticket_id(t.id());
        if (auto it = message_ids.find(e.message_id()); it != message_ids.end()) {
          e.set_message_id(it->second);
        }
        map_actor(e.mutable_actor());
        HELPDESK_RETURN_IF_ERROR(tx.AppendEvent(&e));
      }
      result.ticket_ids.push_back(t.id());
    }
    return result;
  });
}

// --- Erase -------------------------------------------------------------------

absl::StatusOr<EraseResult> Privacy::EraseContact(const v1::Actor& actor, int64_t contact_id) {
  HELPDESK_RETURN_IF_ERROR(CheckContactId(contact_id));
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<EraseResult> {
    HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
    HELPDESK_RETURN_IF_ERROR(
        Authorize(a, Action::kErasePersonalData, Subject::Contact(contact_id)));
    HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, tx.GetContact(contact_id));
    if (c.legal_hold()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "contact ", contact_id, " is under legal hold; it cannot be erased until the hold is "
          "lifted"));
    }
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Agent> agents, tx.ListAgents());
    for (const v1::ContactIdentity& id : c.identities()) {
      if (id.kind() != v1::ContactIdentity::EMAIL) continue;
      for (const v1::Agent& agent : agents) {
        if (!agent.email().empty() &&
            absl::AsciiStrToLower(agent.email()) == absl::AsciiStrToLower(id.value())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "contact ", contact_id, " is agent ", agent.id(), " (e-mail ", id.value(),
              "); an agent cannot be erased as a contact"));
        }
      }
    }
    HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Ticket> tickets, RequestedTickets(tx, contact_id));
    for (const v1::Ticket& t : tickets) {
      if (t.legal_hold()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "contact ", contact_id, " has ticket ", t.id(), " (status ", t.status(),
            ") under legal hold; it cannot be erased until the hold is lifted"));
      }
    }
    const absl::Time now = impl_->Now();
    EraseResult result;
    std::set<std::string> dropped;
    for (v1::Ticket& t : tickets) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> messages, tx.ListMessages(t.id()));
      for (v1::Message& m : messages) {
        for (const v1::Attachment& att : m.attachments()) dropped.insert(att.sha256());
        m.set_body_text(std::string(kErasedText));
        m.clear_body_html();
        m.clear_attachments();
        m.clear_external_id();
        m.mutable_author()->clear_name();
        HELPDESK_RETURN_IF_ERROR(tx.RedactMessage(m));
        ++result.messages_redacted;
      }
      HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Event> events, tx.ListTicketEvents(t.id(), 0, 0));
      for (v1::Event& e : events) {
        bool changed = false;
        for (v1::FieldChange& ch : *e.mutable_changes()) {
          if (ch.field() != v1::FieldChange::SUBJECT) continue;
          if (!IsErasedText(ch.before())) ch.mutable_before()->set_text(std::string(kErasedText));
          if (!IsErasedText(ch.after())) ch.mutable_after()->set_text(std::string(kErasedText));
          changed = true;
        }
        if (e.kind() == v1::Event::CSAT_RECEIVED && !e.note().empty()) {
          e.clear_note();
          changed = true;
        }
        if (changed) HELPDESK_RETURN_IF_ERROR(tx.RedactEvent(e));
      }
      t.set_subject(std::string(kErasedText));
      if (t.has_satisfaction()) t.mutable_satisfaction()->clear_comment();
      HELPDESK_RETURN_IF_ERROR(tx.UpdateTicket(&t, t.version()));
      HELPDESK_RETURN_IF_ERROR(tx.RevokeTrackingToken(t.id()).status());
      v1::Event erased;
      erased.set_kind(v1::Event::PERSONAL_DATA_ERASED);
      erased.set_note(absl::StrCat("contact ", contact_id, " erased"));
      HELPDESK_RETURN_IF_ERROR(impl_->AppendEvent(tx, a, now, t, &erased));
      result.ticket_ids.push_back(t.id());
    }
    // Contents no other message references go with the messages.
    std::string after;
    while (!dropped.empty()) {
      HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> orphans,
                                tx.ListOrphanAttachments(after, 1000));
      if (orphans.empty()) break;
      for (const std::string& sha : orphans) {
        if (!dropped.contains(sha)) continue;
        HELPDESK_ASSIGN_OR_RETURN(bool had, tx.DeleteAttachmentContent(sha));
        if (had) ++result.attachments_deleted;
      }
      after = orphans.back();
    }
    c.set_name(std::string(kErasedText));
    c.clear_identities();
    c.clear_external_id();
    c.clear_time_zone();
    c.set_blocked(true);
    *c.mutable_updated_at() = ToTimestamp(now);
    HELPDESK_RETURN_IF_ERROR(tx.UpdateContact(&c, c.version()));
    result.contact = c;
    return result;
  });
}

// --- Retention ---------------------------------------------------------------

absl::StatusOr<RetentionResult> Privacy::RunRetention(const v1::Actor& actor,
                                                      const RetentionPolicy& policy) {
  if (policy.closed_ticket_days < 1 || policy.closed_ticket_days > 36500) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retention closed_ticket_days ", policy.closed_ticket_days,
        " must be between 1 and 36500"));
  }
  const absl::Time now = impl_->Now();
  const absl::Time cutoff = now - absl::Hours(24) * policy.closed_ticket_days;
  RetentionResult result;
  v1::RetentionRun& run = result.run;
  *run.mutable_ran_at() = ToTimestamp(now);
  *run.mutable_actor() = actor;
  *run.mutable_closed_before() = ToTimestamp(cutoff);

  // The candidates, read first; each is checked again where it is purged.
  HELPDESK_ASSIGN_OR_RETURN(
      std::vector<int64_t> candidates,
      impl_->Run(TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<std::vector<int64_t>> {
        HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageRetention));
        std::vector<int64_t> ids;
        TicketQuery q;
        q.status_categories = {v1::STATUS_CATEGORY_CLOSED};
        q.updated.to = cutoff;
        q.include_merged = true;
        q.sort = TicketSort::kIdAsc;
        q.limit = kMaxQueryLimit;
        while (true) {
          HELPDESK_ASSIGN_OR_RETURN(TicketPage page, tx.QueryTickets(q));
          for (const v1::Ticket& t : page.tickets) ids.push_back(t.id());
          if (page.next_cursor.empty()) return ids;
          q.cursor = std::move(page.next_cursor);
        }
      }));

  for (size_t begin = 0; begin < candidates.size(); begin += kPurgeBatch) {
    const size_t end = std::min(candidates.size(), begin + kPurgeBatch);
    struct Batch {
      std::vector<int64_t> purged, held;
    };
    HELPDESK_ASSIGN_OR_RETURN(
        Batch batch,
        impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<Batch> {
          HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
          HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageRetention));
          Batch b;
          std::map<int64_t, bool> contact_held;
          for (size_t i = begin; i < end; ++i) {
            absl::StatusOr<v1::Ticket> t = tx.GetTicket(candidates[i]);
            if (absl::IsNotFound(t.status())) continue;
            HELPDESK_RETURN_IF_ERROR(t.status());
            if (t->status_category() != v1::STATUS_CATEGORY_CLOSED ||
                FromTimestamp(t->updated_at()) >= cutoff) {
              continue;
            }
            bool held = t->legal_hold();
            if (!held && t->requester_id() > 0) {
              auto it = contact_held.find(t->requester_id());
              if (it == contact_held.end()) {
                absl::StatusOr<v1::Contact> c = tx.GetContact(t->requester_id());
                if (!c.ok() && !absl::IsNotFound(c.status())) return c.status();
                it = contact_held.emplace(t->requester_id(), c.ok() && c->legal_hold()).first;
              }
              held = it->second;
            }
            if (held) {
              b.held.push_back(t->id());
              continue;
            }
            HELPDESK_RETURN_IF_ERROR(tx.DeleteTicket(t->id()));
            b.purged.push_back(t->id());
          }
          return b;
        }));
    for (int64_t id : batch.purged) run.add_purged_ticket_ids(id);
    for (int64_t id : batch.held) run.add_held_ticket_ids(id);
  }

  // Orphaned attachment contents, then the audit record, in one transaction.
  HELPDESK_ASSIGN_OR_RETURN(
      result.record_key,
      impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<std::string> {
        HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
        HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageRetention));
        run.clear_purged_attachment_sha256();
        std::string after;
        while (true) {
          HELPDESK_ASSIGN_OR_RETURN(std::vector<std::string> orphans,
                                    tx.ListOrphanAttachments(after, 1000));
          if (orphans.empty()) break;
          for (const std::string& sha : orphans) {
            HELPDESK_ASSIGN_OR_RETURN(bool had, tx.DeleteAttachmentContent(sha));
            if (had) run.add_purged_attachment_sha256(sha);
          }
          after = orphans.back();
        }
        std::string bytes;
        if (!run.SerializeToString(&bytes)) {
          return absl::InternalError("retention record does not serialize");
        }
        const std::string base = absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone());
        for (int n = 1;; ++n) {
          std::string key = n == 1 ? base : absl::StrCat(base, "#", n);
          absl::Status s = tx.PutIdempotencyRecord(kRetentionScope, key, bytes, now);
          if (s.ok()) return key;
          if (!absl::IsAlreadyExists(s)) return s;
        }
      }));
  return result;
}

absl::StatusOr<v1::Ticket> Privacy::SetTicketLegalHold(const v1::Actor& actor,
                                                      int64_t ticket_id, bool hold) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
    HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageRetention));
    HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t, tx.GetTicket(ticket_id));
    if (t.legal_hold() == hold) return t;
    t.set_legal_hold(hold);
    HELPDESK_RETURN_IF_ERROR(tx.UpdateTicket(&t, t.version()));
    return t;
  });
}

absl::StatusOr<v1::Contact> Privacy::SetContactLegalHold(const v1::Actor& actor,
                                                        int64_t contact_id, bool hold) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Contact> {
    HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageRetention));
    HELPDESK_ASSIGN_OR_RETURN(v1::Contact c, tx.GetContact(contact_id));
    if (c.legal_hold() == hold) return c;
    c.set_legal_hold(hold);
    HELPDESK_RETURN_IF_ERROR(tx.UpdateContact(&c, c.version()));
    return c;
  });
}

absl::StatusOr<v1::RetentionRun> Privacy::GetRetentionRun(const v1::Actor& actor,
                                                          absl::string_view record_key) {
  return impl_->Run(TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<v1::RetentionRun> {
    HELPDESK_ASSIGN_OR_RETURN(Viewer a, impl_->Resolve(tx, actor));
    HELPDESK_RETURN_IF_ERROR(Authorize(a, Action::kManageRetention));
    absl::StatusOr<std::string> bytes = tx.GetIdempotencyRecord(kRetentionScope, record_key);
    if (absl::IsNotFound(bytes.status())) {
      return absl::NotFoundError(absl::StrCat("no retention run '", record_key, "'"));
    }
    HELPDESK_RETURN_IF_ERROR(bytes.status());
    v1::RetentionRun run;
    if (!run.ParseFromString(*bytes)) {
      return absl::DataLossError(
          absl::StrCat("retention run '", record_key, "': the record does not parse"));
    }
    return run;
  });
}

}  // namespace helpdesk

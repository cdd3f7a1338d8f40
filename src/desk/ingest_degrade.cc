#include "desk/ingest_degrade.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/text_checks.h"

namespace helpdesk::internal {
namespace {

constexpr absl::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026

void Attach(v1::InboundMessage* m, absl::string_view file_name,
            absl::string_view media_type, absl::string_view content) {
  v1::InboundAttachment* a = m->add_attachments();
  a->set_file_name(std::string(file_name));
  a->set_media_type(std::string(media_type));
  a->set_content(std::string(content));
}

// The cut text followed by `note`, within max_bytes (the note alone when
// even it does not fit in front of any text).
std::string CutWithNote(absl::string_view text, absl::string_view note,
                        size_t max_bytes) {
  if (note.size() >= max_bytes)
    return std::string(note.substr(0, Utf8PrefixLength(note, max_bytes)));
  size_t keep = Utf8PrefixLength(text, max_bytes - note.size());
  return absl::StrCat(text.substr(0, keep), note);
}

}  // namespace

size_t Utf8PrefixLength(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  size_t n = max_bytes;
  // Back off continuation bytes (10xxxxxx) so the cut is before a lead byte.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::optional<DegradedMessage> DegradeInbound(const v1::InboundMessage& m,
                                              const DegradeLimits& limits) {
  auto valid = [](absl::string_view s) {
    return FindInvalidUtf8(s) == absl::string_view::npos;
  };
  const bool long_subject = m.subject().size() > limits.max_subject_bytes &&
                            limits.max_subject_bytes > kEllipsis.size() &&
                            valid(m.subject()) &&
                            m.subject().size() <= limits.max_attachment_bytes;
  const bool long_html = m.body_html().size() > limits.max_body_bytes &&
                         valid(m.body_html()) &&
                         m.body_html().size() <= limits.max_attachment_bytes;
  const bool long_text = m.body_text().size() > limits.max_body_bytes &&
                         valid(m.body_text()) &&
                         m.body_text().size() <= limits.max_attachment_bytes;
  if (!long_subject && !long_html && !long_text) return std::nullopt;

  DegradedMessage out;
  v1::InboundMessage& d = out.message;
  d = m;
  if (long_subject) {
    Attach(&d, "subject.txt", "text/plain; charset=utf-8", m.subject());
    size_t keep =
        Utf8PrefixLength(m.subject(), limits.max_subject_bytes - kEllipsis.size());
    d.set_subject(absl::StrCat(m.subject().substr(0, keep), kEllipsis));
    out.notes.push_back(
        absl::StrCat("subject: ", m.subject().size(), " bytes, over the limit of ",
                     limits.max_subject_bytes,
                     "; shortened, the whole subject attached as subject.txt"));
  }
  std::string text_note;
  if (long_html) {
    Attach(&d, "message.html", "text/html; charset=utf-8", m.body_html());
    d.clear_body_html();
    text_note =
        absl::StrCat("\n\n[The HTML version of this message was ", m.body_html().size(),
                     " bytes, over the limit of ", limits.max_body_bytes,
                     " bytes: it is attached whole as message.html]");
    out.notes.push_back(absl::StrCat("body_html: ", m.body_html().size(),
                                     " bytes, over the limit of ", limits.max_body_bytes,
                                     "; attached whole as message.html"));
  }
  if (long_text) {
    Attach(&d, "message.txt", "text/plain; charset=utf-8", m.body_text());
    text_note =
        absl::StrCat(text_note, "\n\n[This message was ", m.body_text().size(),
                     " bytes long, over the limit of ", limits.max_body_bytes,
                     " bytes: the text is cut here, and attached whole as message.txt]");
    d.set_body_text(CutWithNote(m.body_text(), text_note, limits.max_body_bytes));
    out.notes.push_back(absl::StrCat("body_text: ", m.body_text().size(),
                                     " bytes, over the limit of ", limits.max_body_bytes,
                                     "; cut, attached whole as message.txt"));
  } else if (!text_note.empty()) {
    // The text stays whole when it fits with the note; otherwise it is
    // attached too and cut.
    if (m.body_text().size() + text_note.size() <= limits.max_body_bytes) {
      d.set_body_text(absl::StrCat(m.body_text(), text_note));
    } else {
      Attach(&d, "message.txt", "text/plain; charset=utf-8", m.body_text());
      d.set_body_text(CutWithNote(
          m.body_text(),
          absl::StrCat(text_note,
                       "\n[The text is cut here: attached whole as message.txt]"),
          limits.max_body_bytes));
    }
  }
  return out;
}

std::string FitWithPrefix(absl::string_view prefix, absl::string_view body,
                          size_t max_bytes, size_t max_attachment_bytes,
                          bool* attach_whole) {
  *attach_whole = false;
  if (prefix.size() + body.size() <= max_bytes || body.size() > max_attachment_bytes) {
    // Fits, or cannot be attached either (the checks that follow refuse it).
    return absl::StrCat(prefix, body);
  }
  constexpr absl::string_view kNote =
      "\n\n[The text is cut here: attached whole as message.txt]";
  if (prefix.size() + kNote.size() >= max_bytes) return absl::StrCat(prefix, body);
  *attach_whole = true;
  return absl::StrCat(prefix, CutWithNote(body, kNote, max_bytes - prefix.size()));
}

namespace {

// `text` with each invalid UTF-8 sequence replaced by U+FFFD.
std::string RepairUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace

bool RepairUtf8Fields(google::protobuf::Message* m) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  bool changed = false;
  for (const FieldDescriptor* f : fields) {
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*m, f); ++i) {
          const std::string& v = r->GetRepeatedStringReference(*m, f, i, nullptr);
          if (FindInvalidUtf8(v) == absl::string_view::npos) continue;
          r->SetRepeatedString(m, f, i, RepairUtf8(v));
          changed = true;
        }
      } else {
        const std::string& v = r->GetStringReference(*m, f, nullptr);
        if (FindInvalidUtf8(v) == absl::string_view::npos) continue;
        r->SetString(m, f, RepairUtf8(v));
        changed = true;
      }
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*m, f); ++i) {
          changed |= RepairUtf8Fields(r->MutableRepeatedMessage(m, f, i));
        }
      } else {
        changed |= RepairUtf8Fields(r->MutableMessage(m, f));
      }
    }
  }
  return changed;
}

}  // namespace helpdesk::internal

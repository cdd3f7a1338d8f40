// The e-mail channel: RFC 5322 messages in and out.
//
// Inbound, NewEmailInbound() parses raw message bytes (from a Maildir, IMAP,
// an MTA pipe or a file) with GMime into a v1::InboundMessage: decoded subject
// and addresses, a UTF-8 text body (with recognisable quoted history removed)
// and HTML body, attachments and inline images, threading keys (Message-ID,
// In-Reply-To, References, a "[#1234]" ticket token in the subject) and whether
// the message is a person's, an auto-reply, a bounce or bulk mail.
// Outbound, BuildEmail() renders a v1::OutboundMessage as RFC 5322 and
// NewEmailOutbound() sends it through a MailTransport (SMTP via libcurl, or a
// Maildir drop for tests and local pick-up). Mail to ingest comes from a
// Maildir (ReadMaildir) or an IMAP mailbox (NewImapSource).
//
//   std::unique_ptr<helpdesk::InboundAdapter> email = helpdesk::NewEmailInbound();
//   for (const helpdesk::MaildirMessage& m : *helpdesk::ReadMaildir("/srv/mail")) {
//     if (m.seen) continue;
//     absl::StatusOr<std::string> raw = helpdesk::LoadMaildirMessage(m);
//     absl::StatusOr<v1::InboundMessage> message = email->Parse(*raw, clock.Now());
//     ... desk->inbox().Ingest(*message) ...
//     helpdesk::MarkMaildirMessageProcessed("/srv/mail", m);
//   }
//
//   helpdesk::SmtpOptions smtp{.url = "smtp://mail.example.com:587",
//                              .username = "desk", .password = "..."};
//   helpdesk::EmailOutboundOptions out{.sending_domain = "support.example.com",
//                                      .clock = &clock};
//   std::unique_ptr<helpdesk::OutboundAdapter> sender =
//       helpdesk::NewEmailOutbound(helpdesk::NewSmtpTransport(smtp), out);
#ifndef HELPDESK_CHANNELS_EMAIL_H_
#define HELPDESK_CHANNELS_EMAIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "helpdesk/channel.h"
#include "helpdesk/clock.h"
#include "helpdesk/export.h"

namespace helpdesk {

// ---------------------------------------------------------------------------
// Inbound
// ---------------------------------------------------------------------------

struct EmailInboundOptions {
  // Larger input is refused with ResourceExhausted before it is parsed.
  size_t max_message_bytes = size_t{50} << 20;
  // A decoded attachment larger than this is dropped; the message is still
  // accepted and a warning names the attachment and its size.
  size_t max_attachment_bytes = size_t{25} << 20;
  // Header lines (continuation lines included) of the top-level header block
  // beyond this many are ignored with a warning, except the fields the parser
  // needs (From, To, Cc, Subject, Message-ID, In-Reply-To, References,
  // Content-*, MIME-Version, Return-Path, Auto-Submitted, Precedence, List-Id
  // and the auto-reply markers), which are kept wherever they are.
  size_t max_header_lines = 10000;
  // A top-level header field (with its continuation lines) longer than this
  // is cut to this many bytes with a warning. Decoding is linear in any case;
  // this bounds what one field can make the parser hold and return.
  size_t max_header_field_bytes = size_t{64} << 10;
  // The ticket token in subjects. With "#", these forms give ticket 1234
  // (ASCII case-insensitive, spaces optional inside brackets):
  //   "[#1234]"  "[ #1234 ]"  "[# 1234]"  "(#1234)"  and, when
  //   accept_bare_ticket_token, "#1234" standing alone ("Re: #1234 printer"),
  //   not glued to a letter or digit before or after ("C#1234", "#1234a").
  // A bracketed token wins over a bare one; the first of each kind counts.
  // Numbers have 1 to 18 digits; 0 is no token. An empty prefix accepts only
  // bracketed numbers ("[1234]").
  std::string ticket_token_prefix = "#";
  bool accept_bare_ticket_token = true;
  // Remove recognisable quoted history from body_text: an "On ... wrote:"
  // line (and its usual translations) and everything after it, an
  // "-----Original Message-----" separator or an Outlook "From:/Sent:" block
  // and everything after it, and a block of ">" lines at the end. Nothing is
  // removed when it would leave the body empty. body_html is never changed,
  // so the full text stays available there when the message has HTML.
  bool strip_quoted_history = true;
};

// The e-mail InboundAdapter ("helpdesk.email"). Parse() never fails on
// malformed MIME: damage is worked around and listed in `warnings`. What it
// produces:
//   - channel CHANNEL_EMAIL; external_id = the Message-ID without <>;
//     idempotency_key empty when there is a Message-ID (Inbox::Ingest derives
//     it), else "email-sha256:" + the SHA-256 of the raw bytes.
//   - from: the first mailbox with an address of From (else Sender, else
//     Reply-To), else the Return-Path address; emails lower-cased. An
//     "address" without "@" ("From: MAILER-DAEMON") is kept as the name, so
//     email is empty or an address. to, cc: every mailbox, groups flattened.
//   - subject: RFC 2047 decoded, unfolded, runs of whitespace collapsed to one
//     space, trimmed. Raw 8-bit headers are read as UTF-8, else windows-1252.
//     Decoding is lenient as real mailers need (encoded words glued to text
//     or to each other, whitespace between encoded words dropped, a
//     multi-byte character split across adjacent words of one charset
//     joined, unknown charsets read as UTF-8 or windows-1252) and takes time
//     linear in the field for any input; display names and file names get
//     the same treatment.
//   - body_text: the text/plain body (the text/plain alternative of a
//     multipart/alternative), or a text rendering of the HTML body when there
//     is none; format=flowed is unwrapped; quoted history stripped (see
//     options). body_html: the text/html body, unchanged apart from charset.
//     Every body is converted to UTF-8 from its declared charset; a missing,
//     unknown or wrong label is worked around (UTF-8 if the bytes are UTF-8,
//     else windows-1252) with a warning.
//     The messages of a multipart/digest, and a message whose whole body is
//     a message/rfc822, are shown in body_text.
//   - attachments: every file-like part: attachment disposition, a file name,
//     a non-text type, a forwarded message/rfc822 (named after its subject,
//     "<subject>.eml", media type message/rfc822), uuencoded blocks in text
//     bodies. Parts meant to be shown in place (disposition inline, or a
//     Content-ID or multipart/related resource without attachment
//     disposition) have inline = true; content_id is the Content-ID without
//     <>. Names come from RFC 2231 / RFC 2047 / raw 8-bit parameters, without
//     path components; a part without a name gets "attachment-<n>.<ext>". Not
//     attachments: S/MIME and PGP signature parts, the report parts of a
//     multipart/report, and the returned message of a bounce.
//   - threading: message_id; in_reply_to = the first msg-id ("<x@y>") of
//     In-Reply-To (junk such as a bare address is ignored); references = every
//     msg-id of References, oldest first; ticket_token from the subject.
//   - auto_kind, first rule that applies:
//       BOUNCE: a multipart/report with report-type=delivery-status or a
//         message/delivery-status part; a mailer-daemon sender; a mail-system
//         sender (postmaster, "Mail Delivery System", ...), a null
//         Return-Path or an Auto-Submitted field together with a
//         delivery-failure subject ("Undelivered Mail", "Returned mail",
//         "failure notice", "Undeliverable", ...); a mail-system sender
//         (postmaster, post_master, mailer-daemon, any case, any domain, or
//         such a display name) or a null Return-Path together with a returned
//         message (a message/rfc822 or text/rfc822-headers part, or for the
//         sender a copy of the message's header in the notice: a run of
//         fields with Received, Return-Path or Message-ID); an
//         X-Failed-Recipients field with a returned message or a
//         delivery-failure subject; a no-reply sender (noreply, no-reply,
//         donotreply, ...) with a returned message and a delivery-failure
//         subject or notice wording ("failed permanently", "User unknown",
//         ...). A no-reply sender alone decides nothing: notifications
//         relay people's words from such addresses. Delay warnings (Action:
//         delayed) are BOUNCE too, with no bounced_recipients: they are never
//         answered either, but mark no address as failing.
//       AUTO_REPLY: Auto-Submitted other than "no" (RFC 3834), X-Autoreply,
//         X-Autorespond, X-AutoReply-From, X-Mail-Autoreply, Precedence:
//         auto_reply, X-Apple-Action: vacation, other multipart/reports (read
//         receipts, feedback reports), a null Return-Path (RFC 3834 section
//         3.3: automatic responses use one), or an auto-reply subject prefix
//         ("Automatic reply:", "Auto reply:", "AutoReply:", "Out of Office:",
//         ..., also after "[tag]"s as Request Tracker writes them, but not
//         after "Re:"). X-Auto-Response-Suppress alone is not a marker:
//         people's Outlook sets it too.
//       BULK: Precedence bulk, junk or list; a List-Id field.
//       HUMAN otherwise.
//   - bounced_recipients: for BOUNCE, the Final-Recipient (else
//     Original-Recipient) of every message/delivery-status block with Action:
//     failed (or a 5.x.x Status and no Action), lower-cased, without
//     duplicates; for bounces without a delivery-status part, best effort
//     from the notice before the returned message: lines that hold nothing
//     but an address ("<user@example.com>:"), lines that start with one
//     ("user@example.com: 550 ..."), "wasn't delivered to user@example.com"
//     (and "could not be delivered to"), and "RCPT TO:<user@example.com>"
//     answered by a 5xx reply; and the addresses of X-Failed-Recipients.
//   - received_at from the argument. Every string field is valid UTF-8 without
//     NUL bytes.
//   - Damage: a multipart whose boundary is missing or folded is repaired
//     from its delimiter lines, else its content is read as text; MIME nested
//     deeper than 64 levels has its inner parts ignored; a header line of
//     spaces ends the header; input without a header is all body; an mbox
//     "From " line, a byte-order mark and CR-only line ends are handled.
//     Each repair adds a warning.
// Errors: ResourceExhausted when raw exceeds max_message_bytes. Any other
// input parses (an empty one too, with a warning): the adapter degrades
// rather than refuses, so no message a mailbox accepted is lost.
//
// Thread safety: the adapter is immutable; Parse may run on many threads.
// Each thread that parses keeps one GMime parser (a few KB, shared by every
// adapter) for its next messages, until the thread ends.
HELPDESK_EXPORT std::unique_ptr<InboundAdapter> NewEmailInbound(
    const EmailInboundOptions& options = {});

// The ticket number of the token in `subject` as EmailInboundOptions
// describes it, or 0 when there is none. Thread-safe.
HELPDESK_EXPORT int64_t FindTicketToken(absl::string_view subject,
                        absl::string_view prefix = "#",
                        bool accept_bare = true);

// ---------------------------------------------------------------------------
// Outbound
// ---------------------------------------------------------------------------

struct EmailOutboundOptions {
  // The right-hand side of generated Message-IDs. Empty: the domain of the
  // sender's address.
  std::string sending_domain;
  // Used when OutboundMessage.from has no email.
  v1::Party default_from;
  // The SMTP envelope sender (where bounces go). Empty: the From address.
  std::string envelope_from;
  // The token appended to subjects: " [" + prefix + ticket_id + "]".
  std::string ticket_token_prefix = "#";
  // Source of the Date field. Null: no Date field (submission servers add
  // one); production hosts pass their Clock. Must outlive the adapter.
  const Clock* clock = nullptr;
  // A rendered message larger than this is refused with InvalidArgument.
  size_t max_message_bytes = size_t{50} << 20;
};

// The Message-ID (without <>) of the outbound message with `idempotency_key`
// sent from `domain`: "hd." + the first 32 hex digits of the SHA-256 of the
// key + "@" + domain. The same key always gives the same id, so a retried
// delivery carries the same Message-ID and replies thread back. Thread-safe.
HELPDESK_EXPORT std::string EmailMessageId(absl::string_view idempotency_key,
                           absl::string_view domain);

// The Message-ID BuildEmail gives `message`: threading.message_id when set,
// else EmailMessageId(idempotency_key, domain).
HELPDESK_EXPORT std::string OutboundMessageId(const v1::OutboundMessage& message,
                              absl::string_view domain);

// Renders `message` as an RFC 5322 message with CRLF line ends:
//   - From (message.from, else options.default_from), To, Cc; non-ASCII
//     display names and subjects as RFC 2047 encoded words.
//   - Message-ID: threading.message_id when set (Desk sets it, and threads
//     replies by it), else EmailMessageId(idempotency_key, domain); In-Reply-To
//     from threading.in_reply_to; References = threading.references, then
//     in_reply_to when it is not already last.
//   - Subject with " [#<ticket_id>]" appended when ticket_id > 0 and the
//     subject has no token for that ticket.
//   - body_text and body_html as multipart/alternative (a text rendering of
//     the HTML is added when body_text is empty); inline attachments with a
//     content_id next to the HTML in multipart/related; other attachments in
//     multipart/mixed. Text in UTF-8, quoted-printable or base64 as suits.
//   - automatic: Auto-Submitted: auto-replied (auto-generated when the
//     message answers nothing, i.e. has no in_reply_to; RFC 3834) and
//     X-Auto-Response-Suppress: All, so responders do not answer it.
// Errors: InvalidArgument naming the field for an empty idempotency_key, no
// sender address, no recipient, an address or header value with CR/LF, no
// sending domain, or a result over max_message_bytes.
HELPDESK_EXPORT absl::StatusOr<std::string> BuildEmail(const v1::OutboundMessage& message,
                                       const EmailOutboundOptions& options);

// Carries finished RFC 5322 messages to the next hop: the port behind the
// e-mail OutboundAdapter. Implementations must not throw.
//
// Thread safety: implementations must be safe to call from several threads.
class HELPDESK_EXPORT MailTransport {
 public:
  virtual ~MailTransport() = default;
  // A stable identifier, e.g. "helpdesk.smtp"; "helpdesk." is reserved.
  virtual absl::string_view Name() const = 0;
  // Sends `rfc5322` with the SMTP envelope `envelope_from` (may be empty: the
  // null sender) to every address of `recipients`. Returns an id for the audit
  // trail (the server's last reply, a file name). Errors: Unavailable (or
  // DeadlineExceeded) when a retry may succeed (connection refused, timeout,
  // 4xx reply); FailedPrecondition when the server refuses for good (5xx,
  // with the server's reply in the message); InvalidArgument for an empty
  // recipient list or an address with CR, LF or NUL.
  virtual absl::StatusOr<std::string> Send(
      absl::string_view envelope_from, absl::Span<const std::string> recipients,
      absl::string_view rfc5322) = 0;
};

// Forwards every call to another transport; derive from it to change one call
// (e.g. to fail a delivery in a test). `base` must outlive the wrapper.
//
// Thread safety: as the wrapped transport.
class HELPDESK_EXPORT MailTransportWrapper : public MailTransport {
 public:
  explicit MailTransportWrapper(MailTransport* base) : base_(base) {}
  absl::string_view Name() const override { return base_->Name(); }
  absl::StatusOr<std::string> Send(absl::string_view envelope_from,
                                   absl::Span<const std::string> recipients,
                                   absl::string_view rfc5322) override {
    return base_->Send(envelope_from, recipients, rfc5322);
  }
  MailTransport* base() const { return base_; }

 private:
  MailTransport* base_;
};

struct SmtpOptions {
  // "smtp://host[:port]" (plain, with STARTTLS per `starttls`) or
  // "smtps://host[:port]" (TLS from the first byte). A path names the EHLO
  // domain: "smtp://mail.example.com:587/desk.example.com".
  std::string url;
  enum class StartTls {
    // Never upgrade (loopback test servers).
    kNever,
    // Upgrade when the server offers STARTTLS.
    kIfOffered,
    // Refuse to send unless the connection is upgraded (FailedPrecondition).
    kRequired,
  };
  StartTls starttls = StartTls::kIfOffered;
  // Authentication (AUTH PLAIN/LOGIN as the server offers) when non-empty.
  std::string username;
  std::string password;
  // Verify the server's certificate and host name (keep it on in
  // production). ca_file: the path of a PEM file of CA certificates to trust
  // instead of the system's, e.g. a private CA or a server's self-signed
  // certificate itself (the tests use one for 127.0.0.1). A certificate that
  // does not verify fails the send with FailedPrecondition ("SSL certificate
  // problem: ..."); nothing is sent.
  bool verify_peer = true;
  std::string ca_file;
  absl::Duration connect_timeout = absl::Seconds(10);
  // Limit for the whole exchange of one message.
  absl::Duration timeout = absl::Seconds(120);
};

// An SMTP client on libcurl ("helpdesk.smtp"): one connection per Send.
// Failures: connection refused, DNS failure, timeouts, a dropped connection
// and 4xx replies are Unavailable; 5xx replies, a failed login and TLS
// verification or STARTTLS failures are FailedPrecondition; both carry the
// server's last reply when there was one. Send returns the server's reply to
// the message data (e.g. "250 2.0.0 Ok: queued as 4F1"). `options.url` is
// checked on first use (InvalidArgument naming it).
//
// Thread safety: thread-safe; concurrent sends use separate connections.
HELPDESK_EXPORT std::unique_ptr<MailTransport> NewSmtpTransport(const SmtpOptions& options);

// Writes each message as a file of the Maildir `dir` ("helpdesk.maildir"):
// into tmp/ first, then linked into new/ under a unique name, so a reader
// never sees half a file. Creates dir, tmp/, new/ and cur/ as needed. The
// envelope is not recorded. Send returns the file name in new/. Errors:
// Unavailable when the file cannot be written (disk full, permissions).
//
// Thread safety: thread-safe, also across processes sharing the directory.
HELPDESK_EXPORT std::unique_ptr<MailTransport> NewMaildirTransport(absl::string_view dir);

// The e-mail OutboundAdapter ("helpdesk.email"): BuildEmail, then
// transport->Send to every To and Cc address. DeliveryReceipt.provider_id is
// the Message-ID (without <>). Errors: as BuildEmail and MailTransport::Send.
//
// Thread safety: thread-safe when the transport is.
HELPDESK_EXPORT std::unique_ptr<OutboundAdapter> NewEmailOutbound(
    std::unique_ptr<MailTransport> transport,
    const EmailOutboundOptions& options);

// ---------------------------------------------------------------------------
// Inbound sources
// ---------------------------------------------------------------------------

// One message file of a Maildir.
struct MaildirMessage {
  // The unique part of the file name (before ":2,"); stays the same when the
  // message moves from new/ to cur/, so hosts can key on it.
  std::string id;
  // The file's current path.
  std::string path;
  // True in new/ (never looked at), false in cur/.
  bool is_new = false;
  // The Maildir flags after ":2," (e.g. "S" for seen), sorted.
  std::string flags;
  // The 'S' flag is set: MarkMaildirMessageProcessed has run on it (or a mail
  // client read it).
  bool seen = false;
};

// Lists the messages of the Maildir `dir` (new/ and cur/; tmp/ and dot files
// are skipped), sorted by id. Errors: NotFound when `dir` has neither new/ nor
// cur/; Unavailable when a directory cannot be read.
//
// Thread safety: safe to call from several threads; another process may move
// files while it runs (a vanished file is simply not listed).
HELPDESK_EXPORT absl::StatusOr<std::vector<MaildirMessage>> ReadMaildir(absl::string_view dir);

// Reads the bytes of `message`. Errors: NotFound when the file is gone (moved
// by another reader); ResourceExhausted when it is larger than `max_bytes`.
HELPDESK_EXPORT absl::StatusOr<std::string> LoadMaildirMessage(
    const MaildirMessage& message, size_t max_bytes = size_t{50} << 20);

// Marks `message` of the Maildir `dir` as processed: moves it from new/ to
// cur/ as "<id>:2,S", or adds the S flag when it is already in cur/. Running
// it twice is harmless. Errors: NotFound when the file is gone; Unavailable
// when the rename fails otherwise.
HELPDESK_EXPORT absl::Status MarkMaildirMessageProcessed(absl::string_view dir,
                                         const MaildirMessage& message);

// One message of an mbox file.
struct MboxMessage {
  // The separator line after "From ": the envelope sender and the date.
  std::string envelope;
  // The message's bytes, ready for the e-mail InboundAdapter.
  std::string raw;
};

// Splits an mbox file (RFC 4155; mboxrd and mboxo) into its messages. A
// message starts at a separator line, "From " followed by the envelope sender
// and a date, at the start of the file or after a blank line; the blank line
// before a separator belongs to the file, not the message. Quoted lines are
// unquoted as mboxrd writes them (">From " -> "From ", ">>From " -> ">From "),
// which also reads mboxo's ">From " right. Blank lines before the first
// separator are skipped; an empty input has no messages. Errors:
// InvalidArgument when the first other line is not a separator (not an mbox).
//
//   for (const helpdesk::MboxMessage& m : *helpdesk::SplitMbox(file_bytes)) {
//     absl::StatusOr<v1::InboundMessage> message = email->Parse(m.raw, clock.Now());
//     ...
//   }
//
// Thread-safe.
HELPDESK_EXPORT absl::StatusOr<std::vector<MboxMessage>> SplitMbox(absl::string_view mbox);

struct ImapOptions {
  // "imap://host[:port]/MAILBOX" (plain, with STARTTLS per `starttls`) or
  // "imaps://host[:port]/MAILBOX"; the mailbox defaults to INBOX.
  std::string url;
  std::string username;
  std::string password;
  SmtpOptions::StartTls starttls = SmtpOptions::StartTls::kIfOffered;
  // As in SmtpOptions: certificate and host name verification, and a PEM file
  // of CA certificates to trust instead of the system's. A certificate that
  // does not verify is FailedPrecondition; nothing is read.
  bool verify_peer = true;
  std::string ca_file;
  absl::Duration connect_timeout = absl::Seconds(10);
  // Limit for one command (a fetch of a large message included).
  absl::Duration timeout = absl::Seconds(120);
  // A fetched message larger than this is ResourceExhausted.
  size_t max_message_bytes = size_t{50} << 20;
};

// Reads a mailbox over IMAP (libcurl), the way a desk polls a support
// address: list the unseen messages, fetch each, ingest it, then mark it seen.
// Because only MarkSeen marks a message, one that fails to ingest is fetched
// again on the next poll: nothing is lost.
//
//   std::unique_ptr<helpdesk::ImapSource> imap = helpdesk::NewImapSource(
//       {.url = "imaps://imap.example.com/INBOX", .username = "desk", ...});
//   for (int64_t uid : *imap->ListUnseen()) {
//     absl::StatusOr<std::string> raw = imap->Fetch(uid);
//     ... email->Parse(*raw, clock.Now()), desk->inbox().Ingest(...) ...
//     imap->MarkSeen(uid);
//   }
//
// Errors of every call: Unavailable for connection failures, timeouts and
// NO/BAD replies the server may not give next time; FailedPrecondition for a
// refused login, a missing mailbox or TLS problems; InvalidArgument for a bad
// url.
//
// Thread safety: thread-safe; calls are serialised on one connection, which
// is kept open between calls.
class HELPDESK_EXPORT ImapSource {
 public:
  virtual ~ImapSource() = default;
  // "helpdesk.imap" for the built-in one.
  virtual absl::string_view Name() const = 0;
  // The UIDs of the mailbox's messages without the \Seen flag, ascending,
  // including mail that arrived since the last call on the open connection
  // (a NOOP first lets the server announce it).
  virtual absl::StatusOr<std::vector<int64_t>> ListUnseen() = 0;
  // The raw bytes of the message with `uid`. The message stays unseen (the
  // \Seen flag that fetching sets is cleared again, also after a fetch that
  // failed part way). Errors also: NotFound when there is no such message;
  // ResourceExhausted when the server's RFC822.SIZE for it (asked first: its
  // body is then not fetched and it stays unseen) or the bytes received
  // exceed max_message_bytes.
  virtual absl::StatusOr<std::string> Fetch(int64_t uid) = 0;
  // Sets \Seen on the message with `uid`: it is processed.
  virtual absl::Status MarkSeen(int64_t uid) = 0;
};

HELPDESK_EXPORT std::unique_ptr<ImapSource> NewImapSource(const ImapOptions& options);

}  // namespace helpdesk

#endif  // HELPDESK_CHANNELS_EMAIL_H_

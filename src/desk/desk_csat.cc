// Customer satisfaction: the survey sent on solve with a signed rating link,
// and ratings from any channel recorded on the ticket (CSAT_RECEIVED).
#include "desk/desk_impl.h"

namespace helpdesk {
namespace {

constexpr size_t kMinSecretBytes = 16;

std::string SignedPart(int64_t ticket_id, v1::SatisfactionRating::Scale scale,
                       int64_t expiry) {
  return absl::StrCat("helpdesk.csat\n", ticket_id, "\n", static_cast<int>(scale), "\n",
                      expiry);
}

std::string ScoreText(const v1::SatisfactionRating& r) {
  if (r.scale() == v1::SatisfactionRating::GOOD_BAD) {
    return r.score() == 5 ? "good" : "bad";
  }
  return absl::StrCat(r.score(), "/5");
}

}  // namespace

absl::Status DeskCore::InitCsat() const {
  const CsatOptions& o = options_.csat;
  if (!v1::SatisfactionRating::Scale_IsValid(o.scale) ||
      o.scale == v1::SatisfactionRating::SCALE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("csat.scale: ", static_cast<int>(o.scale), " is not a scale"));
  }
  if (!o.survey_on_solve) return absl::OkStatus();
  if (o.secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("csat.secret: ", o.secret.size(),
                                                   " bytes, at least ", kMinSecretBytes,
                                                   " are needed"));
  }
  if (o.link_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "csat.link_lifetime: ", absl::FormatDuration(o.link_lifetime), " must be positive"));
  }
  return absl::OkStatus();
}

std::string DeskCore::CsatToken(int64_t ticket_id, v1::SatisfactionRating::Scale scale,
                                absl::Time expiry) const {
  const int64_t expiry_s = absl::ToUnixSeconds(expiry);
  return absl::StrCat(
      ticket_id, ".", static_cast<int>(scale), ".", expiry_s, ".",
      internal::HmacSha256Hex(options_.csat.secret, SignedPart(ticket_id, scale, expiry_s)));
}

absl::StatusOr<std::pair<int64_t, v1::SatisfactionRating::Scale>>
DeskCore::VerifyCsatToken(absl::string_view token, absl::Time now) const {
  auto malformed = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "token: ", Quote(token.substr(0, 100)),
        " is not a rating token (<ticket>.<scale>.<expiry>.<signature>)"));
  };
  if (token.size() > 200) return malformed();
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  int64_t ticket_id = 0, expiry = 0;
  int scale = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[0], &ticket_id) || ticket_id <= 0 ||
      !absl::SimpleAtoi(parts[1], &scale) || !absl::SimpleAtoi(parts[2], &expiry) ||
      parts[3].size() != 64) {
    return malformed();
  }
  if (options_.csat.secret.size() < kMinSecretBytes) {
    return absl::PermissionDeniedError("token: this desk signs no rating links (csat.secret)");
  }
  const std::string expected = internal::HmacSha256Hex(
      options_.csat.secret,
      SignedPart(ticket_id, static_cast<v1::SatisfactionRating::Scale>(scale), expiry));
  if (!internal::ConstantTimeEquals(parts[3], expected) ||
      !v1::SatisfactionRating::Scale_IsValid(scale) ||
      scale == v1::SatisfactionRating::SCALE_UNSPECIFIED) {
    return absl::PermissionDeniedError("token: the signature does not match");
  }
  if (absl::FromUnixSeconds(expiry) < now) {
    return absl::PermissionDeniedError(absl::StrCat(
        "token: the rating link expired at ",
        absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(expiry), absl::UTCTimeZone())));
  }
  return std::make_pair(ticket_id, static_cast<v1::SatisfactionRating::Scale>(scale));
}

absl::Status DeskCore::SendSurvey(Transaction& tx, const v1::Ticket& t, absl::Time now) {
  const CsatOptions& o = options_.csat;
  HELPDESK_ASSIGN_OR_RETURN(v1::Contact requester, tx.GetContact(t.requester_id()));
  const std::string link = absl::StrCat(
      o.rating_url, absl::StrContains(o.rating_url, '?') ? "&" : "?",
      "token=", CsatToken(t.id(), o.scale, now + o.link_lifetime));
  RenderedParts parts;
  parts.purpose = absl::StrCat("csat.v", t.version());
  parts.subject = absl::StrCat("How did we do? [#", t.id(), "] ", t.subject());
  bool rendered = false;
  if (o.templates && o.templates->Contains(o.survey_template)) {
    RenderContext context{.ticket = t, .contact = requester};
    context.tracking_link = link;
    absl::StatusOr<RenderedMessage> text =
        o.templates->Render(o.survey_template, TemplateOutput::kText, context);
    absl::StatusOr<RenderedMessage> html =
        o.templates->Render(o.survey_template, TemplateOutput::kHtml, context);
    if (text.ok() && html.ok()) {
      parts.text = std::move(text->body);
      parts.html = std::move(html->body);
      rendered = true;
    }
  }
  if (!rendered) {
    parts.text = absl::StrReplaceAll(
        RenderAcknowledgement(o.survey_text, t, requester), {{"{{rating.link}}", link}});
  }
  v1::Message about;  // no message: the key names the purpose and version
  about.set_kind(v1::Message::PUBLIC_REPLY);
  return EnqueueReply(tx, t, about, parts, /*automatic=*/true, now);
}

absl::StatusOr<v1::Ticket> DeskCore::RateSatisfaction(const v1::Actor& actor,
                                                      const SatisfactionInput& in) {
  const absl::Time now = Now();
  return Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::Ticket> {
    HELPDESK_ASSIGN_OR_RETURN(Access a, Resolve(tx, actor));
    v1::Ticket t;
    v1::SatisfactionRating::Scale scale = options_.csat.scale;
    v1::Actor rated_by = actor;
    if (!in.token.empty()) {
      HELPDESK_ASSIGN_OR_RETURN(auto signed_for, VerifyCsatToken(in.token, now));
      if (in.ticket_id != 0 && in.ticket_id != signed_for.first) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ticket_id ", in.ticket_id, ": the token is for ticket ", signed_for.first));
      }
      absl::StatusOr<v1::Ticket> found = tx.GetTicket(signed_for.first);
      if (absl::IsNotFound(found.status())) {
        return absl::NotFoundError(absl::StrCat("ticket ", signed_for.first, " not found"));
      }
      HELPDESK_RETURN_IF_ERROR(found.status());
      t = *std::move(found);
      scale = signed_for.second;
      rated_by = ContactActor(t.requester_id());
    } else {
      HELPDESK_ASSIGN_OR_RETURN(
          t, LoadTicket(tx, a, in.ticket_id, Action::kWriteCustomerMessage));
      if (actor.kind() == v1::Actor::CONTACT && actor.id() != t.requester_id()) {
        return absl::PermissionDeniedError(
            absl::StrCat("contact ", actor.id(), " did not request ticket ", t.id(),
                         "; only its requester rates it"));
      }
    }
    if (t.merged_into() != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ticket ", t.id(), " was merged into ", t.merged_into(), "; rate that one"));
    }
    if (t.status_category() != v1::STATUS_CATEGORY_SOLVED &&
        t.status_category() != v1::STATUS_CATEGORY_CLOSED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ticket ", t.id(), " is ", Quote(t.status()), ", not solved: nothing to rate yet"));
    }
    if (scale == v1::SatisfactionRating::GOOD_BAD ? (in.score != 1 && in.score != 5)
                                                  : (in.score < 1 || in.score > 5)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "score: ", in.score,
          scale == v1::SatisfactionRating::GOOD_BAD
              ? " is not 1 (bad) or 5 (good) on the good/bad scale"
              : " is not 1 to 5 on the five-point scale"));
    }
    HELPDESK_RETURN_IF_ERROR(CheckText("comment", in.comment, options_.limits.max_body_bytes));
    v1::SatisfactionRating* r = t.mutable_satisfaction();
    r->set_scale(scale);
    r->set_score(in.score);
    r->set_comment(in.comment);
    *r->mutable_rated_at() = ToTimestamp(now);
    *r->mutable_rated_by() = rated_by;
    v1::Event e;
    e.set_kind(v1::Event::CSAT_RECEIVED);
    std::string note = ScoreText(*r);
    if (!in.comment.empty()) {
      absl::StrAppend(&note, ": ",
                      in.comment.substr(0, internal::Utf8PrefixLength(in.comment, 200)));
    }
    e.set_note(note);
    const int64_t loaded = t.version();
    *t.mutable_updated_at() = ToTimestamp(now);
    HELPDESK_RETURN_IF_ERROR(tx.UpdateTicket(&t, loaded));
    Access recorded = a;
    recorded.actor = rated_by;  // the requester, when the token speaks for them
    HELPDESK_RETURN_IF_ERROR(AppendEvent(tx, recorded, now, t, &e));
    return t;
  });
}

absl::StatusOr<v1::Ticket> Tickets::RateSatisfaction(const v1::Actor& actor,
                                                     const SatisfactionInput& in) {
  return impl_->RateSatisfaction(actor, in);
}

}  // namespace helpdesk

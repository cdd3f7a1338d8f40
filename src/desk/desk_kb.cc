// The knowledge base through the Desk: articles (create, edit with
// revisions, publish, visibility), reading them (Get, View, Vote), revision
// diffs, and FAQ drafts from agents' replies.
#include "desk/desk_kb.h"

#include <algorithm>

#include "helpdesk/names.h"

namespace helpdesk {
namespace desk_kb {

constexpr size_t kMaxTitleBytes = 500;
constexpr size_t kMaxLabelBytes = 200;
constexpr size_t kMaxLocaleBytes = 35;
constexpr int kMaxTags = 50;

bool IsAnonymous(const v1::Actor& actor) {
  return actor.kind() == v1::Actor::KIND_UNSPECIFIED && actor.id() == 0;
}

absl::StatusOr<KbReader> ResolveReader(DeskCore& core, Transaction& tx, const v1::Actor& actor) {
  KbReader r;
  if (IsAnonymous(actor)) {
    r.audience = AnonymousKbAudience();
    return r;
  }
  HELPDESK_ASSIGN_OR_RETURN(Viewer v, core.Resolve(tx, actor));
  r.audience = KbAudienceFor(v);
  r.manages = Authorize(v, Action::kManageKbArticles).ok();
  if (v.IsContact()) {
    absl::StatusOr<v1::Contact> c = tx.GetContact(v.actor.id());
    if (c.ok()) r.locale = c->locale();
  }
  r.access = std::move(v);
  return r;
}

absl::StatusOr<v1::KbArticle> LoadVisibleArticle(Transaction& tx, const KbReader& reader,
                                                 int64_t article_id) {
  absl::StatusOr<v1::KbArticle> a = tx.GetKbArticle(article_id);
  if (absl::IsNotFound(a.status())) {
    return absl::NotFoundError(absl::StrCat("article ", article_id, " not found"));
  }
  HELPDESK_RETURN_IF_ERROR(a.status());
  HELPDESK_RETURN_IF_ERROR(AuthorizeKbArticle(reader.audience, internal::KbFactsOf(*a)));
  if (!reader.manages) {
    a->clear_revisions();
    auto* ts = a->mutable_translations();
    ts->erase(std::remove_if(ts->begin(), ts->end(),
                             [](const v1::KbTranslation& t) {
                               return t.state() != v1::KbTranslation::PUBLISHED;
                             }),
              ts->end());
    if (ts->empty()) return absl::NotFoundError(absl::StrCat("article ", article_id, " not found"));
  }
  return a;
}

absl::StatusOr<std::string> PickLocale(const DeskCore& core, absl::string_view field,
                                       const std::string& given, const std::string& fallback) {
  std::string locale = !given.empty()      ? given
                       : !fallback.empty() ? fallback
                                           : core.options().kb.default_locale;
  if (locale.size() > kMaxLocaleBytes || KbLanguageOf(locale).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", internal::Quote(locale), " is not a locale (e.g. \"es\", \"en-GB\")"));
  }
  for (char c : locale) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", internal::Quote(locale), " is not a locale"));
    }
  }
  return locale;
}

namespace {

absl::StatusOr<Viewer> ResolveManager(DeskCore& core, Transaction& tx, const v1::Actor& actor) {
  if (IsAnonymous(actor)) {
    return absl::PermissionDeniedError("an anonymous visitor may not manage knowledge base articles");
  }
  HELPDESK_ASSIGN_OR_RETURN(Viewer v, core.Resolve(tx, actor));
  HELPDESK_RETURN_IF_ERROR(Authorize(v, Action::kManageKbArticles));
  return v;
}

absl::Status CheckTranslationText(const MarkdownOptions& md, const std::string& title,
                                  const std::string& body) {
  HELPDESK_RETURN_IF_ERROR(internal::CheckRequiredText("title", title, kMaxTitleBytes));
  HELPDESK_RETURN_IF_ERROR(internal::CheckText("body_markdown", body, kMaxMarkdownBytes));
  return RenderMarkdown(body, md).status();
}

absl::Status SetAudience(Transaction& tx, v1::KbArticle* a, v1::KbArticle::Visibility visibility,
                         const std::vector<int64_t>& group_ids,
                         const std::vector<int64_t>& organization_ids) {
  if (visibility != v1::KbArticle::PUBLIC && visibility != v1::KbArticle::AGENTS &&
      visibility != v1::KbArticle::RESTRICTED) {
    return absl::InvalidArgumentError(
        absl::StrCat("visibility: ", static_cast<int>(visibility), " is not a visibility"));
  }
  if (visibility == v1::KbArticle::RESTRICTED && group_ids.empty() && organization_ids.empty()) {
    return absl::InvalidArgumentError(
        "visibility: RESTRICTED needs at least one group or organization");
  }
  for (size_t i = 0; i < group_ids.size(); ++i) {
    if (!tx.GetGroup(group_ids[i]).ok()) {
      return absl::NotFoundError(
          absl::StrCat("group_ids[", i, "]: group ", group_ids[i], " not found"));
    }
  }
  for (size_t i = 0; i < organization_ids.size(); ++i) {
    if (!tx.GetOrganization(organization_ids[i]).ok()) {
      return absl::NotFoundError(absl::StrCat("organization_ids[", i, "]: organization ",
                                              organization_ids[i], " not found"));
    }
  }
  a->set_visibility(visibility);
  a->clear_group_ids();
  a->clear_organization_ids();
  if (visibility == v1::KbArticle::RESTRICTED) {
    for (int64_t g : group_ids) a->add_group_ids(g);
    for (int64_t o : organization_ids) a->add_organization_ids(o);
  }
  return absl::OkStatus();
}

v1::KbTranslation* FindTranslation(v1::KbArticle* a, absl::string_view locale) {
  for (v1::KbTranslation& t : *a->mutable_translations()) {
    if (t.locale() == locale) return &t;
  }
  return nullptr;
}

// Saves a new revision of `locale` (adding the translation when new).
void AddRevision(v1::KbArticle* a, const v1::Actor& author, absl::Time now,
                 const std::string& locale, const std::string& title, const std::string& body,
                 const std::string& note) {
  v1::KbTranslation* t = FindTranslation(a, locale);
  if (t == nullptr) {
    t = a->add_translations();
    t->set_locale(locale);
    t->set_state(v1::KbTranslation::DRAFT);
  }
  t->set_title(title);
  t->set_body_markdown(body);
  t->set_revision(t->revision() + 1);
  *t->mutable_updated_at() = ToTimestamp(now);
  v1::KbRevision* r = a->add_revisions();
  r->set_number(t->revision());
  r->set_locale(locale);
  *r->mutable_author() = author;
  *r->mutable_time() = ToTimestamp(now);
  r->set_title(title);
  r->set_body_markdown(body);
  r->set_note(note);
  *a->mutable_updated_at() = ToTimestamp(now);
}

absl::StatusOr<v1::KbArticle> CreateArticle(DeskCore& core, Transaction& tx,
                                            const Viewer& author, const NewKbArticle& in,
                                            const std::string& note, int64_t source_ticket,
                                            int64_t source_message) {
  HELPDESK_ASSIGN_OR_RETURN(std::string locale, PickLocale(core, "locale", in.locale, ""));
  MarkdownOptions md{.allow_raw_html = core.options().kb.allow_raw_html};
  HELPDESK_RETURN_IF_ERROR(CheckTranslationText(md, in.title, in.body_markdown));
  HELPDESK_RETURN_IF_ERROR(internal::CheckText("category", in.category, kMaxLabelBytes));
  HELPDESK_RETURN_IF_ERROR(internal::CheckText("section", in.section, kMaxLabelBytes));
  if (static_cast<int>(in.tags.size()) > kMaxTags) {
    return absl::InvalidArgumentError(
        absl::StrCat("tags: ", in.tags.size(), " tags is over the limit of ", kMaxTags));
  }
  v1::KbArticle a;
  a.set_category(in.category);
  a.set_section(in.section);
  for (size_t i = 0; i < in.tags.size(); ++i) {
    HELPDESK_RETURN_IF_ERROR(
        internal::CheckRequiredText(absl::StrCat("tags[", i, "]"), in.tags[i], kMaxLabelBytes));
    a.add_tags(in.tags[i]);
  }
  HELPDESK_RETURN_IF_ERROR(
      SetAudience(tx, &a, in.visibility, in.group_ids, in.organization_ids));
  const absl::Time now = core.Now();
  *a.mutable_created_at() = ToTimestamp(now);
  a.set_source_ticket_id(source_ticket);
  a.set_source_message_id(source_message);
  AddRevision(&a, author.actor, now, locale, in.title, in.body_markdown, note);
  HELPDESK_RETURN_IF_ERROR(tx.InsertKbArticle(&a));
  return a;
}

}  // namespace
}  // namespace desk_kb

using desk_kb::KbReader;

v1::Actor AnonymousVisitor() {
  v1::Actor a;
  a.set_kind(v1::Actor::KIND_UNSPECIFIED);
  a.set_name("anonymous");
  return a;
}

absl::StatusOr<v1::KbArticle> KnowledgeBase::Create(const v1::Actor& actor,
                                                    const NewKbArticle& in) {
  return impl_->Run(TransactionMode::kReadWrite,
                    [&](Transaction& tx) -> absl::StatusOr<v1::KbArticle> {
                      HELPDESK_ASSIGN_OR_RETURN(Viewer v,
                                                desk_kb::ResolveManager(*impl_, tx, actor));
                      return desk_kb::CreateArticle(*impl_, tx, v, in, "", 0, 0);
                    });
}

absl::StatusOr<v1::KbArticle> KnowledgeBase::Edit(const v1::Actor& actor, int64_t article_id,
                                                  const std::string& locale,
                                                  const std::string& title,
                                                  const std::string& body_markdown,
                                                  const std::string& note) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::KbArticle> {
        HELPDESK_ASSIGN_OR_RETURN(Viewer v, desk_kb::ResolveManager(*impl_, tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(KbReader reader, desk_kb::ResolveReader(*impl_, tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle a,
                                  desk_kb::LoadVisibleArticle(tx, reader, article_id));
        HELPDESK_ASSIGN_OR_RETURN(std::string loc,
                                  desk_kb::PickLocale(*impl_, "locale", locale, ""));
        HELPDESK_RETURN_IF_ERROR(internal::CheckText("note", note, 1000));
        MarkdownOptions md{.allow_raw_html = impl_->options().kb.allow_raw_html};
        HELPDESK_RETURN_IF_ERROR(desk_kb::CheckTranslationText(md, title, body_markdown));
        const int64_t version = a.version();
        desk_kb::AddRevision(&a, v.actor, impl_->Now(), loc, title, body_markdown, note);
        HELPDESK_RETURN_IF_ERROR(tx.UpdateKbArticle(&a, version));
        return a;
      });
}

absl::StatusOr<v1::KbArticle> KnowledgeBase::Publish(const v1::Actor& actor, int64_t article_id,
                                                     const std::string& locale, bool publish) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::KbArticle> {
        HELPDESK_RETURN_IF_ERROR(desk_kb::ResolveManager(*impl_, tx, actor).status());
        HELPDESK_ASSIGN_OR_RETURN(KbReader reader, desk_kb::ResolveReader(*impl_, tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle a,
                                  desk_kb::LoadVisibleArticle(tx, reader, article_id));
        v1::KbTranslation* t = desk_kb::FindTranslation(&a, locale);
        if (t == nullptr) {
          return absl::NotFoundError(absl::StrCat("locale: article ", article_id, " has no ",
                                                  internal::Quote(locale), " translation"));
        }
        const auto state = publish ? v1::KbTranslation::PUBLISHED : v1::KbTranslation::DRAFT;
        if (t->state() == state) return a;
        t->set_state(state);
        const absl::Time now = impl_->Now();
        if (publish) *t->mutable_published_at() = ToTimestamp(now);
        *a.mutable_updated_at() = ToTimestamp(now);
        HELPDESK_RETURN_IF_ERROR(tx.UpdateKbArticle(&a, a.version()));
        return a;
      });
}

absl::StatusOr<v1::KbArticle> KnowledgeBase::SetVisibility(
    const v1::Actor& actor, int64_t article_id, v1::KbArticle::Visibility visibility,
    const std::vector<int64_t>& group_ids, const std::vector<int64_t>& organization_ids) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::KbArticle> {
        HELPDESK_RETURN_IF_ERROR(desk_kb::ResolveManager(*impl_, tx, actor).status());
        HELPDESK_ASSIGN_OR_RETURN(KbReader reader, desk_kb::ResolveReader(*impl_, tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle a,
                                  desk_kb::LoadVisibleArticle(tx, reader, article_id));
        HELPDESK_RETURN_IF_ERROR(
            desk_kb::SetAudience(tx, &a, visibility, group_ids, organization_ids));
        *a.mutable_updated_at() = ToTimestamp(impl_->Now());
        HELPDESK_RETURN_IF_ERROR(tx.UpdateKbArticle(&a, a.version()));
        return a;
      });
}

absl::StatusOr<v1::KbArticle> KnowledgeBase::Get(const v1::Actor& reader, int64_t article_id) {
  return impl_->Run(TransactionMode::kReadOnly,
                    [&](Transaction& tx) -> absl::StatusOr<v1::KbArticle> {
                      HELPDESK_ASSIGN_OR_RETURN(KbReader r,
                                                desk_kb::ResolveReader(*impl_, tx, reader));
                      return desk_kb::LoadVisibleArticle(tx, r, article_id);
                    });
}

absl::StatusOr<KbArticleView> KnowledgeBase::View(const v1::Actor& reader, int64_t article_id,
                                                  const std::string& locale) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<KbArticleView> {
        HELPDESK_ASSIGN_OR_RETURN(KbReader r, desk_kb::ResolveReader(*impl_, tx, reader));
        HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle visible,
                                  desk_kb::LoadVisibleArticle(tx, r, article_id));
        const v1::KbTranslation* pick = nullptr;
        const std::string want = !locale.empty() ? locale : r.locale;
        for (const v1::KbTranslation& t : visible.translations()) {
          if (t.locale() == want) pick = &t;
        }
        if (pick == nullptr && locale.empty()) {
          const std::string lang = KbLanguageOf(want);
          for (const v1::KbTranslation& t : visible.translations()) {
            if (pick == nullptr && !lang.empty() && KbLanguageOf(t.locale()) == lang) pick = &t;
          }
          if (pick == nullptr) pick = &visible.translations(0);
        }
        if (pick == nullptr) {
          return absl::NotFoundError(absl::StrCat("locale: article ", article_id, " has no ",
                                                  internal::Quote(locale), " translation"));
        }
        KbArticleView view;
        view.article_id = article_id;
        view.locale = pick->locale();
        view.title = pick->title();
        view.category = visible.category();
        view.section = visible.section();
        HELPDESK_ASSIGN_OR_RETURN(
            view.html,
            RenderMarkdown(pick->body_markdown(),
                           {.allow_raw_html = impl_->options().kb.allow_raw_html}));
        // The view is counted on the stored article (the reader's copy may
        // lack drafts and revisions).
        HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle stored, tx.GetKbArticle(article_id));
        stored.set_views(stored.views() + 1);
        HELPDESK_RETURN_IF_ERROR(tx.UpdateKbArticle(&stored, stored.version()));
        return view;
      });
}

absl::Status KnowledgeBase::Vote(const v1::Actor& reader, int64_t article_id, bool helpful) {
  return impl_->Run(TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    HELPDESK_ASSIGN_OR_RETURN(KbReader r, desk_kb::ResolveReader(*impl_, tx, reader));
    HELPDESK_RETURN_IF_ERROR(desk_kb::LoadVisibleArticle(tx, r, article_id).status());
    HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle stored, tx.GetKbArticle(article_id));
    if (helpful) {
      stored.set_helpful_votes(stored.helpful_votes() + 1);
    } else {
      stored.set_unhelpful_votes(stored.unhelpful_votes() + 1);
    }
    return tx.UpdateKbArticle(&stored, stored.version());
  });
}

absl::StatusOr<std::string> KnowledgeBase::RevisionDiff(const v1::Actor& actor,
                                                        int64_t article_id,
                                                        const std::string& locale,
                                                        int from_revision, int to_revision) {
  return impl_->Run(
      TransactionMode::kReadOnly, [&](Transaction& tx) -> absl::StatusOr<std::string> {
        HELPDESK_RETURN_IF_ERROR(desk_kb::ResolveManager(*impl_, tx, actor).status());
        HELPDESK_ASSIGN_OR_RETURN(KbReader r, desk_kb::ResolveReader(*impl_, tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(v1::KbArticle a,
                                  desk_kb::LoadVisibleArticle(tx, r, article_id));
        const v1::KbRevision* from = nullptr;
        const v1::KbRevision* to = nullptr;
        for (const v1::KbRevision& rev : a.revisions()) {
          if (rev.locale() != locale) continue;
          if (rev.number() == from_revision) from = &rev;
          if (rev.number() == to_revision) to = &rev;
        }
        if (from == nullptr || to == nullptr) {
          return absl::NotFoundError(absl::StrCat(
              from == nullptr ? "from_revision: " : "to_revision: ", "article ", article_id,
              " has no revision ", from == nullptr ? from_revision : to_revision, " of ",
              internal::Quote(locale)));
        }
        return KbLineDiff(from->body_markdown(), to->body_markdown());
      });
}

absl::StatusOr<v1::KbArticle> KnowledgeBase::DraftFromReply(const v1::Actor& actor,
                                                            const KbFaqDraftOptions& options) {
  return impl_->Run(
      TransactionMode::kReadWrite, [&](Transaction& tx) -> absl::StatusOr<v1::KbArticle> {
        HELPDESK_ASSIGN_OR_RETURN(Viewer v, desk_kb::ResolveManager(*impl_, tx, actor));
        HELPDESK_ASSIGN_OR_RETURN(v1::Ticket t,
                                  DeskCore::LoadTicket(tx, v, options.ticket_id));
        HELPDESK_ASSIGN_OR_RETURN(std::vector<v1::Message> messages,
                                  tx.ListMessages(t.id()));
        const v1::Message* reply = nullptr;
        const v1::Message* question = nullptr;
        for (const v1::Message& m : messages) {
          if (question == nullptr && m.kind() == v1::Message::CUSTOMER_MESSAGE) question = &m;
          if (options.message_id != 0 ? m.id() == options.message_id
                                      : m.kind() == v1::Message::PUBLIC_REPLY) {
            reply = &m;
          }
        }
        if (reply == nullptr && options.message_id != 0) {
          return absl::NotFoundError(absl::StrCat("message_id: message ", options.message_id,
                                                  " not found on ticket ", t.id()));
        }
        if (reply == nullptr) {
          return absl::FailedPreconditionError(
              absl::StrCat("ticket ", t.id(), " has no public reply to draft an article from"));
        }
        if (reply->kind() != v1::Message::PUBLIC_REPLY) {
          return absl::FailedPreconditionError(absl::StrCat(
              "message_id: message ", reply->id(), " is not a public reply"));
        }
        if (options.visibility == v1::KbArticle::RESTRICTED) {
          return absl::InvalidArgumentError(
              "visibility: a draft from a reply is PUBLIC or AGENTS; restrict it afterwards");
        }
        std::string requester_locale;
        if (absl::StatusOr<v1::Contact> c = tx.GetContact(t.requester_id()); c.ok()) {
          requester_locale = c->locale();
        }
        NewKbArticle in;
        HELPDESK_ASSIGN_OR_RETURN(
            in.locale, desk_kb::PickLocale(*impl_, "locale", options.locale, requester_locale));
        in.title = t.subject().empty() ? absl::StrCat("Ticket ", t.id()) : t.subject();
        if (question != nullptr && !question->body_text().empty()) {
          for (absl::string_view line : absl::StrSplit(question->body_text(), '\n')) {
            absl::StrAppend(&in.body_markdown, "> ", line, "\n");
          }
          in.body_markdown.append("\n");
        }
        in.body_markdown.append(reply->body_text());
        in.category = options.category;
        in.section = options.section;
        in.visibility = options.visibility;
        return desk_kb::CreateArticle(
            *impl_, tx, v, in,
            absl::StrCat("drafted from ticket ", t.id(), ", message ", reply->id()), t.id(),
            reply->id());
      });
}

}  // namespace helpdesk

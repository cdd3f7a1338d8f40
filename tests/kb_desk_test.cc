// The knowledge base through the Desk, on the memory store and on SQLite:
// who finds what (a customer, an agent of another group, an anonymous
// visitor: nothing they may not see, and full pages), drafts and revisions,
// views and votes, suggestions with reasons and deflection, FAQ drafts from
// replies.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/clock.h"
#include "helpdesk/desk.h"
#include "helpdesk/names.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/storage/sqlite_store.h"
#include "helpdesk/testing/status_matchers.h"
#include "desk_people_fixture.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class KbDeskTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, OpenTestStore(GetParam()));
    ASSERT_OK_AND_ASSIGN(desk_, Desk::Open({.store = store_.get(), .clock = &clock_}));
    const v1::Actor system = SystemActor();
    ASSERT_OK_AND_ASSIGN(v1::Group billing, desk_->people().CreateGroup(system, "Billing"));
    ASSERT_OK_AND_ASSIGN(v1::Group network, desk_->people().CreateGroup(system, "Network"));
    billing_ = billing.id();
    ASSERT_OK_AND_ASSIGN(v1::Organization acme, desk_->people().CreateOrganization(system, "Acme"));
    ASSERT_OK_AND_ASSIGN(v1::Organization other,
                         desk_->people().CreateOrganization(system, "Other"));
    acme_ = acme.id();
    ASSERT_OK_AND_ASSIGN(v1::Agent ana, desk_->people().CreateAgent(
                                            system, {.name = "Ana",
                                                     .email = "ana@desk.example",
                                                     .group_ids = {billing_}}));
    ana_ = AgentActor(ana.id());
    ASSERT_OK_AND_ASSIGN(v1::Agent nick, desk_->people().CreateAgent(
                                             system, {.name = "Nick",
                                                      .email = "nick@desk.example",
                                                      .group_ids = {network.id()}}));
    nick_ = AgentActor(nick.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact carmen,
                         desk_->people().CreateContact(system, {.name = "Carmen",
                                                                .emails = {"carmen@acme.example"},
                                                                .organization_id = acme_,
                                                                .locale = "es"}));
    carmen_ = ContactActor(carmen.id());
    ASSERT_OK_AND_ASSIGN(v1::Contact otto,
                         desk_->people().CreateContact(system, {.name = "Otto",
                                                                .emails = {"otto@other.example"},
                                                                .organization_id = other.id(),
                                                                .locale = "es"}));
    otto_ = ContactActor(otto.id());
  }

  int64_t Publish(const NewKbArticle& in) {
    absl::StatusOr<v1::KbArticle> a = desk_->kb().Create(ana_, in);
    EXPECT_THAT(a.status(), IsOk());
    if (!a.ok()) return 0;
    EXPECT_THAT(desk_->kb().Publish(ana_, a->id(), in.locale).status(), IsOk());
    return a->id();
  }

  std::vector<int64_t> Found(const v1::Actor& reader, const std::string& query, int limit = 10,
                             int offset = 0) {
    absl::StatusOr<KbSearchPage> page = desk_->kb().Search(
        reader, {.query = query, .locale = "es", .limit = limit, .offset = offset});
    EXPECT_THAT(page.status(), IsOk());
    std::vector<int64_t> ids;
    if (page.ok()) {
      for (const KbSearchResult& r : page->results) ids.push_back(r.article_id);
    }
    return ids;
  }

  ManualClock clock_{absl::FromUnixSeconds(1767600000)};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Desk> desk_;
  int64_t billing_ = 0;
  int64_t acme_ = 0;
  v1::Actor ana_, nick_, carmen_, otto_;
};

TEST_P(KbDeskTest, EachReaderFindsOnlyWhatItMaySeeInFullPages) {
  // Hidden articles that match best...
  std::set<int64_t> agents_only, billing_only, acme_only, drafts;
  for (int i = 0; i < 5; ++i) {
    agents_only.insert(Publish({.locale = "es",
                                .title = "Facturas internas facturas",
                                .body_markdown = "Procedimiento interno de facturas.",
                                .visibility = v1::KbArticle::AGENTS}));
    billing_only.insert(Publish({.locale = "es",
                                 .title = "Facturas: reembolsos facturas",
                                 .body_markdown = "Solo el grupo de facturación.",
                                 .visibility = v1::KbArticle::RESTRICTED,
                                 .group_ids = {billing_}}));
    acme_only.insert(Publish({.locale = "es",
                              .title = "Facturas de Acme facturas",
                              .body_markdown = "Condiciones de facturas de Acme.",
                              .visibility = v1::KbArticle::RESTRICTED,
                              .organization_ids = {acme_}}));
    ASSERT_OK_AND_ASSIGN(v1::KbArticle d,
                         desk_->kb().Create(ana_, {.locale = "es",
                                                   .title = "Facturas borrador facturas",
                                                   .body_markdown = "Aún no publicado."}));
    drafts.insert(d.id());
  }
  // ... and public ones that match less.
  std::set<int64_t> pub;
  for (int i = 0; i < 7; ++i) {
    pub.insert(Publish({.locale = "es",
                        .title = absl::StrCat("Pedido ", i),
                        .body_markdown = absl::StrCat("La factura del pedido ", i,
                                                      " llega por correo.")}));
  }
  auto as_set = [](const std::vector<int64_t>& v) { return std::set<int64_t>(v.begin(), v.end()); };
  auto check_pages = [&](const v1::Actor& reader, const std::set<int64_t>& allowed) {
    std::set<int64_t> seen;
    for (int offset = 0; offset < 40; offset += 3) {
      std::vector<int64_t> page = Found(reader, "factura", 3, offset);
      const size_t remaining = allowed.size() - std::min(allowed.size(), seen.size());
      EXPECT_EQ(page.size(), std::min<size_t>(3, remaining)) << "offset " << offset;
      for (int64_t id : page) {
        EXPECT_TRUE(allowed.contains(id)) << "article " << id << " leaked";
        EXPECT_TRUE(seen.insert(id).second) << "article " << id << " twice";
      }
    }
    EXPECT_EQ(seen, allowed);
  };
  // The anonymous visitor: public articles only.
  check_pages(AnonymousVisitor(), pub);
  // A customer of Acme: public and Acme's; another customer: public only.
  std::set<int64_t> carmen_sees = pub;
  carmen_sees.insert(acme_only.begin(), acme_only.end());
  check_pages(carmen_, carmen_sees);
  check_pages(otto_, pub);
  // An agent of another group: public and agents-only, not billing's nor
  // Acme's; never drafts in search.
  std::set<int64_t> nick_sees = pub;
  nick_sees.insert(agents_only.begin(), agents_only.end());
  nick_sees.insert(acme_only.begin(), acme_only.end());  // no group named: agents answer from it
  check_pages(nick_, nick_sees);
  std::set<int64_t> ana_sees = nick_sees;
  ana_sees.insert(billing_only.begin(), billing_only.end());
  check_pages(ana_, ana_sees);
  // Direct reads answer NotFound exactly as for a missing article.
  const int64_t secret = *billing_only.begin();
  EXPECT_THAT(desk_->kb().Get(nick_, secret), StatusIs(absl::StatusCode::kNotFound,
                                                      HasSubstr(absl::StrCat("article ", secret))));
  EXPECT_THAT(desk_->kb().View(carmen_, *agents_only.begin(), ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->kb().Get(AnonymousVisitor(), *drafts.begin()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->kb().Get(AnonymousVisitor(), 99999), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->kb().View(carmen_, *acme_only.begin(), "").status(), IsOk());
  // Writing needs kManageKbArticles.
  EXPECT_THAT(desk_->kb().Create(carmen_, {.locale = "es", .title = "x", .body_markdown = "y"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(desk_->kb().Create(AnonymousVisitor(), {.locale = "es", .title = "x"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  (void)as_set;
}

TEST_P(KbDeskTest, SearchSnippetsAndHostileQueries) {
  const int64_t id = Publish({.locale = "es",
                              .title = "Descargar facturas",
                              .body_markdown = "Entra en **Facturación** y pulsa <b>Descargar</b>. "
                                               "Las facturas están en PDF.",
                              .tags = {"facturación"}});
  ASSERT_OK_AND_ASSIGN(KbSearchPage page,
                       desk_->kb().Search(carmen_, {.query = "facturacion"}));  // carmen: es
  ASSERT_EQ(page.results.size(), 1u);
  EXPECT_EQ(page.results[0].article_id, id);
  EXPECT_THAT(page.results[0].snippet_html, HasSubstr("<mark>Facturación</mark>"));
  EXPECT_THAT(page.results[0].snippet_html, Not(HasSubstr("<b>")));
  for (const char* q : {"\"facturas", "title:facturas", "facturas OR", "NEAR(facturas)",
                        "facturas\")--", "facturas'; DROP TABLE kb_fts; --", "fact*",
                        "\"descargar facturas\""}) {
    ASSERT_OK_AND_ASSIGN(page, desk_->kb().Search(carmen_, {.query = q}));
    ASSERT_EQ(page.results.size(), 1u) << q;
  }
  ASSERT_OK_AND_ASSIGN(page, desk_->kb().Search(carmen_, {.query = "* \" ( )"}));
  EXPECT_TRUE(page.results.empty());
  EXPECT_THAT(desk_->kb().Search(carmen_, {.query = "x", .limit = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  EXPECT_THAT(desk_->kb().Search(carmen_, {.query = "bad \xff"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query")));
  EXPECT_THAT(desk_->kb().Search(carmen_, {.query = "x", .locale = "1!"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("locale")));
}

TEST_P(KbDeskTest, LocalesDraftsRevisionsViewsAndVotes) {
  ASSERT_OK_AND_ASSIGN(v1::KbArticle a,
                       desk_->kb().Create(ana_, {.locale = "es",
                                                 .title = "Cambiar contraseña",
                                                 .body_markdown = "Paso 1\nPaso 2",
                                                 .category = "Cuenta"}));
  EXPECT_EQ(a.revisions_size(), 1);
  EXPECT_EQ(a.translations(0).state(), v1::KbTranslation::DRAFT);
  EXPECT_THAT(desk_->kb().Get(carmen_, a.id()), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(a, desk_->kb().Edit(ana_, a.id(), "en", "Change password", "Step 1"));
  ASSERT_OK_AND_ASSIGN(a, desk_->kb().Edit(ana_, a.id(), "es", "Cambiar contraseña",
                                           "Paso 1\nPaso 2b\nPaso 3", "más claro"));
  ASSERT_OK(desk_->kb().Publish(ana_, a.id(), "es").status());
  ASSERT_OK_AND_ASSIGN(std::string diff, desk_->kb().RevisionDiff(ana_, a.id(), "es", 1, 2));
  EXPECT_EQ(diff, "  Paso 1\n- Paso 2\n+ Paso 2b\n+ Paso 3");
  EXPECT_THAT(desk_->kb().RevisionDiff(ana_, a.id(), "es", 1, 7),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->kb().RevisionDiff(carmen_, a.id(), "es", 1, 2),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The customer sees the published Spanish text only, without revisions.
  ASSERT_OK_AND_ASSIGN(v1::KbArticle seen, desk_->kb().Get(carmen_, a.id()));
  ASSERT_EQ(seen.translations_size(), 1);
  EXPECT_EQ(seen.translations(0).locale(), "es");
  EXPECT_EQ(seen.revisions_size(), 0);
  ASSERT_OK_AND_ASSIGN(KbArticleView view, desk_->kb().View(carmen_, a.id(), ""));
  EXPECT_EQ(view.locale, "es");
  EXPECT_EQ(view.html, "<p>Paso 1\nPaso 2b\nPaso 3</p>\n");
  EXPECT_THAT(desk_->kb().View(carmen_, a.id(), "en"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(desk_->kb().Vote(carmen_, a.id(), true));
  ASSERT_OK(desk_->kb().Vote(AnonymousVisitor(), a.id(), false));
  ASSERT_OK_AND_ASSIGN(a, desk_->kb().Get(ana_, a.id()));
  EXPECT_EQ(a.views(), 1);
  EXPECT_EQ(a.helpful_votes(), 1);
  EXPECT_EQ(a.unhelpful_votes(), 1);
  EXPECT_EQ(a.revisions_size(), 3);
  // Bad input names the field.
  EXPECT_THAT(desk_->kb().Create(ana_, {.locale = "es", .title = " "}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
  EXPECT_THAT(desk_->kb().Create(ana_, {.locale = "es", .title = "x",
                                        .body_markdown = std::string(5000, '>') + " bomb"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body_markdown")));
  EXPECT_THAT(desk_->kb().Create(ana_, {.locale = "es", .title = "x",
                                        .visibility = v1::KbArticle::RESTRICTED}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("visibility")));
  EXPECT_THAT(desk_->kb().Create(ana_, {.locale = "es", .title = "x",
                                        .visibility = v1::KbArticle::RESTRICTED,
                                        .group_ids = {4242}}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("group_ids[0]")));
}

TEST_P(KbDeskTest, SuggestionsWithReasonsAndDeflection) {
  const int64_t invoices = Publish({.locale = "es",
                                    .title = "Descargar facturas",
                                    .body_markdown = "Las facturas se descargan desde el portal.",
                                    .tags = {"facturas"}});
  Publish({.locale = "es", .title = "Cambiar contraseña", .body_markdown = "Desde tu perfil."});
  ASSERT_OK_AND_ASSIGN(v1::KbSuggestionSession s,
                       desk_->kb().Suggest(AnonymousVisitor(),
                                           {.question = "¿Dónde descargo mi factura?",
                                            .locale = "es"}));
  ASSERT_GE(s.suggestions_size(), 1);
  EXPECT_EQ(s.suggestions(0).article_id(), invoices);
  EXPECT_THAT(s.suggestions(0).reason(), HasSubstr("title matches"));
  EXPECT_THAT(s.suggestions(0).reason(), HasSubstr("tagged 'facturas'"));
  ASSERT_OK(desk_->kb().RecordOutcome(AnonymousVisitor(), s.id(), 0));
  ASSERT_OK_AND_ASSIGN(v1::KbSuggestionSession s2,
                       desk_->kb().Suggest(carmen_, {.question = "factura duplicada"}));
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(carmen_, {.subject = "Factura duplicada",
                                                         .description = "Me cobraron dos veces"}));
  // Another customer may not record Carmen's session.
  EXPECT_THAT(desk_->kb().RecordOutcome(otto_, s2.id(), t.id()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(desk_->kb().RecordOutcome(carmen_, s2.id(), t.id()));
  ASSERT_OK(desk_->kb().RecordOutcome(carmen_, s2.id(), 0));  // the first outcome counts
  // An agent's suggestions for the ticket are not counted in deflection.
  ASSERT_OK_AND_ASSIGN(v1::KbSuggestionSession s3,
                       desk_->kb().Suggest(ana_, {.ticket_id = t.id(), .locale = "es"}));
  EXPECT_EQ(s3.ticket_id(), t.id());
  EXPECT_THAT(desk_->kb().Suggest(otto_, {.ticket_id = t.id()}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(desk_->kb().Suggest(carmen_, {}), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(KbDeflectionReport r, desk_->kb().Deflection(SystemActor()));
  EXPECT_EQ(r.sessions, 2);
  EXPECT_EQ(r.deflected, 1);
  EXPECT_EQ(r.tickets_opened, 1);
  EXPECT_DOUBLE_EQ(r.deflection_rate, 0.5);
  EXPECT_THAT(desk_->kb().Deflection(carmen_), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(KbDeskTest, FaqDraftFromAReply) {
  ASSERT_OK_AND_ASSIGN(v1::Ticket t,
                       desk_->tickets().Create(carmen_, {.subject = "¿Cómo cambio el IBAN?",
                                                         .description = "Quiero domiciliar."}));
  EXPECT_THAT(desk_->kb().DraftFromReply(ana_, {.ticket_id = t.id()}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::Message note,
                       desk_->tickets().AddMessage(ana_, t.id(),
                                                   {.kind = v1::Message::INTERNAL_NOTE,
                                                    .body_text = "interno"}));
  ASSERT_OK_AND_ASSIGN(v1::Message reply,
                       desk_->tickets().AddMessage(
                           ana_, t.id(), {.body_text = "En Perfil > Pagos cambia el IBAN."}));
  EXPECT_THAT(desk_->kb().DraftFromReply(ana_, {.ticket_id = t.id(), .message_id = note.id()}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(desk_->kb().DraftFromReply(carmen_, {.ticket_id = t.id()}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::KbArticle a,
                       desk_->kb().DraftFromReply(ana_, {.ticket_id = t.id(), .category = "Pagos"}));
  EXPECT_EQ(a.source_ticket_id(), t.id());
  EXPECT_EQ(a.source_message_id(), reply.id());
  ASSERT_EQ(a.translations_size(), 1);
  EXPECT_EQ(a.translations(0).locale(), "es");  // the requester's
  EXPECT_EQ(a.translations(0).state(), v1::KbTranslation::DRAFT);
  EXPECT_EQ(a.translations(0).title(), "¿Cómo cambio el IBAN?");
  EXPECT_EQ(a.translations(0).body_markdown(),
            "> Quiero domiciliar.\n\nEn Perfil > Pagos cambia el IBAN.");
  EXPECT_THAT(a.revisions(0).note(), HasSubstr(absl::StrCat("ticket ", t.id())));
  // A draft: customers do not find it until published.
  EXPECT_TRUE(Found(carmen_, "IBAN").empty());
  ASSERT_OK(desk_->kb().Publish(ana_, a.id(), "es").status());
  EXPECT_EQ(Found(carmen_, "iban"), std::vector<int64_t>{a.id()});
}

INSTANTIATE_TEST_SUITE_P(Stores, KbDeskTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace helpdesk

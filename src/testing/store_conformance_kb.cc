// The Store conformance suite: the knowledge base capability (articles,
// search, suggestion sessions). A store without it (Unimplemented) skips
// these tests.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "helpdesk/kb.h"
#include "helpdesk/testing/store_conformance.h"
#include "storage/kb_index.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {
namespace {

v1::KbArticle Article(const std::string& locale, const std::string& title,
                      const std::string& body, v1::KbArticle::Visibility visibility,
                      bool published = true) {
  v1::KbArticle a;
  a.set_visibility(visibility);
  a.set_category("General");
  v1::KbTranslation* t = a.add_translations();
  t->set_locale(locale);
  t->set_title(title);
  t->set_body_markdown(body);
  t->set_state(published ? v1::KbTranslation::PUBLISHED : v1::KbTranslation::DRAFT);
  return a;
}

KbSearchRequest Request(const std::string& text, const std::string& locale, KbAudience audience,
                        int limit = 10) {
  KbSearchRequest r;
  r.query = ParseKbQuery(text, locale);
  r.language = KbLanguageOf(locale);
  r.audience = std::move(audience);
  r.limit = limit;
  return r;
}

KbAudience Everyone() {
  KbAudience a;
  a.everything = true;
  a.agents = true;
  return a;
}

std::vector<int64_t> Ids(const std::vector<KbSearchHit>& hits) {
  std::vector<int64_t> out;
  for (const KbSearchHit& h : hits) out.push_back(h.article_id);
  return out;
}

#define SKIP_WITHOUT_KB(status)                                               \
  if (absl::IsUnimplemented(status)) GTEST_SKIP() << "store has no knowledge base"

}  // namespace

TEST_P(StoreConformanceTest, KbArticlesAreStoredVersionedAndListed) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::KbArticle a = Article("es", "Facturas", "Descarga tus *facturas*.", v1::KbArticle::PUBLIC);
  absl::Status s = tx->InsertKbArticle(&a);
  SKIP_WITHOUT_KB(s);
  HELPDESK_ASSERT_OK(s);
  EXPECT_GT(a.id(), 0);
  EXPECT_EQ(a.version(), 1);
  v1::KbArticle b = Article("en", "Invoices", "Download invoices.", v1::KbArticle::AGENTS);
  HELPDESK_ASSERT_OK(tx->InsertKbArticle(&b));
  EXPECT_GT(b.id(), a.id());
  v1::KbArticle dup = Article("en", "x", "y", v1::KbArticle::PUBLIC);
  *dup.add_translations() = dup.translations(0);
  EXPECT_THAT(tx->InsertKbArticle(&dup), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::KbArticle no_locale = Article("", "x", "y", v1::KbArticle::PUBLIC);
  EXPECT_THAT(tx->InsertKbArticle(&no_locale), StatusIs(absl::StatusCode::kInvalidArgument));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::KbArticle read, tx->GetKbArticle(a.id()));
  EXPECT_THAT(read, sci::EqualsProto(a));
  EXPECT_THAT(tx->GetKbArticle(b.id() + 100), StatusIs(absl::StatusCode::kNotFound));
  a.mutable_translations(0)->set_title("Facturas y recibos");
  HELPDESK_ASSERT_OK(tx->UpdateKbArticle(&a, 1));
  EXPECT_EQ(a.version(), 2);
  EXPECT_THAT(tx->UpdateKbArticle(&a, 1), StatusIs(absl::StatusCode::kAborted));
  v1::KbArticle missing = a;
  missing.set_id(b.id() + 100);
  EXPECT_THAT(tx->UpdateKbArticle(&missing, 1), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::KbArticle> list, tx->ListKbArticles(0, 10));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_THAT(list[0], sci::EqualsProto(a));
  HELPDESK_ASSERT_OK_AND_ASSIGN(list, tx->ListKbArticles(a.id(), 1));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id(), b.id());
  EXPECT_THAT(tx->ListKbArticles(0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  // Rolled back: neither the change nor its index stays.
  tx.reset();
  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(read, tx->GetKbArticle(a.id()));
  EXPECT_EQ(read.version(), 1);
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> hits,
                                tx->SearchKbArticles(Request("recibos", "es", Everyone())));
  EXPECT_TRUE(hits.empty());
}

TEST_P(StoreConformanceTest, KbSearchFoldsAccentsAndStemsPerLanguage) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::KbArticle billing = Article("es", "Facturación electrónica",
                                  "Cómo descargar las facturas del mes.", v1::KbArticle::PUBLIC);
  absl::Status s = tx->InsertKbArticle(&billing);
  SKIP_WITHOUT_KB(s);
  HELPDESK_ASSERT_OK(s);
  v1::KbArticle vpn = Article("es", "Conexión VPN", "La VPN se corta cada hora: reinicia el "
                              "cliente y vuelve a conectar.", v1::KbArticle::PUBLIC);
  v1::KbArticle invoices = Article("en", "Downloading invoices",
                                   "Open Billing and download the invoice.", v1::KbArticle::PUBLIC);
  v1::KbArticle rechnung = Article("de", "Rechnungen herunterladen",
                                   "Alle Rechnungen stehen im Portal.", v1::KbArticle::PUBLIC);
  v1::KbArticle payment = Article("pt-BR", "Pagamentos duplicados",
                                  "Se o pagamento foi cobrado duas vezes, pedimos o estorno.",
                                  v1::KbArticle::PUBLIC);
  v1::KbArticle facture = Article("fr", "Télécharger vos factures",
                                  "Les factures sont dans l'espace client.", v1::KbArticle::PUBLIC);
  for (v1::KbArticle* a : {&vpn, &invoices, &rechnung, &payment, &facture}) {
    HELPDESK_ASSERT_OK(tx->InsertKbArticle(a));
  }
  auto ids = [&](const std::string& q, const std::string& locale) {
    absl::StatusOr<std::vector<KbSearchHit>> hits =
        tx->SearchKbArticles(Request(q, locale, Everyone()));
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? Ids(*hits) : std::vector<int64_t>{};
  };
  EXPECT_EQ(ids("facturacion", "es"), std::vector<int64_t>{billing.id()});
  EXPECT_EQ(ids("FACTURACIÓN", "es"), std::vector<int64_t>{billing.id()});
  EXPECT_EQ(ids("factura", "es"), std::vector<int64_t>{billing.id()});
  EXPECT_EQ(ids("conexion", "es"), std::vector<int64_t>{vpn.id()});
  EXPECT_EQ(ids("invoice downloads", "en"), std::vector<int64_t>{invoices.id()});
  EXPECT_EQ(ids("rechnung", "de"), std::vector<int64_t>{rechnung.id()});
  EXPECT_EQ(ids("pagamento duplicado", "pt"), std::vector<int64_t>{payment.id()});
  EXPECT_EQ(ids("facture", "fr"), std::vector<int64_t>{facture.id()});
  // The language filter: an English query does not search Spanish text.
  EXPECT_TRUE(ids("facturas", "en").empty());
  // Prefixes and phrases.
  EXPECT_EQ(ids("fact*", "es"), std::vector<int64_t>{billing.id()});
  EXPECT_EQ(ids("\"se corta cada hora\"", "es"), std::vector<int64_t>{vpn.id()});
  EXPECT_TRUE(ids("\"hora cada corta\"", "es").empty());
  // Hostile text is plain text.
  for (const char* q : {"\"vpn", "title:vpn", "vpn OR", "NEAR(vpn", "-vpn", "vpn*)("}) {
    EXPECT_EQ(ids(q, "es"), std::vector<int64_t>{vpn.id()}) << q;
  }
}

TEST_P(StoreConformanceTest, KbSearchFiltersTheAudienceBeforeTheLimit) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  // Hidden articles match best (the word in the title, many times)...
  std::vector<int64_t> hidden;
  for (int i = 0; i < 12; ++i) {
    v1::KbArticle a = Article("en", "Refund refund refund", "Refund policy for staff.",
                              i % 3 == 0   ? v1::KbArticle::AGENTS
                              : i % 3 == 1 ? v1::KbArticle::RESTRICTED
                                           : v1::KbArticle::PUBLIC,
                              /*published=*/i % 3 != 2);
    a.add_group_ids(7);
    a.add_organization_ids(9);
    absl::Status s = tx->InsertKbArticle(&a);
    SKIP_WITHOUT_KB(s);
    HELPDESK_ASSERT_OK(s);
    hidden.push_back(a.id());
  }
  // ... the visible ones worse.
  std::vector<int64_t> visible;
  for (int i = 0; i < 6; ++i) {
    v1::KbArticle a = Article("en", absl::StrCat("Orders ", i),
                              absl::StrCat("How a refund of order ", i, " is paid back."),
                              v1::KbArticle::PUBLIC);
    HELPDESK_ASSERT_OK(tx->InsertKbArticle(&a));
    visible.push_back(a.id());
  }
  auto search = [&](const KbAudience& audience, int limit, int offset) {
    KbSearchRequest r = Request("refund", "en", audience, limit);
    r.offset = offset;
    absl::StatusOr<std::vector<KbSearchHit>> hits = tx->SearchKbArticles(r);
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? Ids(*hits) : std::vector<int64_t>{};
  };
  // Anonymous: a full page of 4, then the remaining 2, all public ones.
  std::vector<int64_t> page1 = search(KbAudience{}, 4, 0);
  std::vector<int64_t> page2 = search(KbAudience{}, 4, 4);
  EXPECT_EQ(page1.size(), 4u);
  EXPECT_EQ(page2.size(), 2u);
  std::set<int64_t> seen(page1.begin(), page1.end());
  seen.insert(page2.begin(), page2.end());
  EXPECT_EQ(seen, std::set<int64_t>(visible.begin(), visible.end()));
  // An agent of another group: agents-only articles, not group 7's.
  KbAudience agent;
  agent.agents = true;
  agent.group_ids = {8};
  std::vector<int64_t> got = search(agent, 100, 0);
  EXPECT_EQ(got.size(), 4u + 6u);
  // An article restricted to an organization only: every agent answers from it.
  v1::KbArticle org_only = Article("en", "Refund terms", "Refund terms of one customer.",
                                   v1::KbArticle::RESTRICTED);
  org_only.add_organization_ids(9);
  HELPDESK_ASSERT_OK(tx->InsertKbArticle(&org_only));
  visible.push_back(org_only.id());
  got = search(agent, 100, 0);
  EXPECT_EQ(got.size(), 4u + 7u);
  EXPECT_EQ(search(KbAudience{}, 100, 0).size(), 6u);
  KbAudience member;
  member.organization_ids = {9};
  got = search(member, 100, 0);
  EXPECT_EQ(got.size(), 4u + 7u);  // the restricted published ones, and the public ones
  // Drafts only for those who may see them.
  KbAudience all = Everyone();
  EXPECT_EQ(search(all, 100, 0).size(), 8u + 7u);
  all.drafts = true;
  EXPECT_EQ(search(all, 100, 0).size(), 12u + 7u);
}

TEST_P(StoreConformanceTest, KbSearchRanksLikeTheReference) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::map<int64_t, internal::KbIndexedArticle> reference;
  const std::vector<std::pair<std::string, std::string>> docs = {
      {"Reset your password", "Open settings, choose password, and reset it."},
      {"Change the email address", "Your account email can be changed in settings."},
      {"Two-factor authentication", "Protect the account with a second factor when you log in."},
      {"Password rules", "A password needs twelve characters."},
      {"Closing an account", "Write to support to close the account; data is kept 30 days."},
      {"Login problems", "If login fails, reset the password or check two-factor codes."},
  };
  for (const auto& [title, body] : docs) {
    v1::KbArticle a = Article("en", title, body, v1::KbArticle::PUBLIC);
    absl::Status s = tx->InsertKbArticle(&a);
    SKIP_WITHOUT_KB(s);
    HELPDESK_ASSERT_OK(s);
    HELPDESK_ASSERT_OK_AND_ASSIGN(reference[a.id()], internal::IndexKbArticle(a));
  }
  for (const char* q : {"password", "reset password", "account email", "login two-factor",
                        "\"reset the password\"", "pass*"}) {
    KbSearchRequest r = Request(q, "en", KbAudience{}, 10);
    HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> hits, tx->SearchKbArticles(r));
    EXPECT_EQ(Ids(hits), Ids(internal::SearchKbIndex(reference, r))) << q;
    for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score) << q;
  }
}

TEST_P(StoreConformanceTest, KbSearchRefusesBadRequests) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  KbSearchRequest r = Request("x", "en", KbAudience{});
  absl::Status s = tx->SearchKbArticles(r).status();
  SKIP_WITHOUT_KB(s);
  HELPDESK_ASSERT_OK(s);
  r.limit = 0;
  EXPECT_THAT(tx->SearchKbArticles(r), StatusIs(absl::StatusCode::kInvalidArgument));
  r.limit = kMaxKbSearchLimit + 1;
  EXPECT_THAT(tx->SearchKbArticles(r), StatusIs(absl::StatusCode::kInvalidArgument));
  r.limit = 10;
  r.offset = -1;
  EXPECT_THAT(tx->SearchKbArticles(r), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(tx->SearchKbArticles(Request("   ", "en", KbAudience{})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, KbSuggestionSessionsAreStored) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::KbSuggestionSession a;
  a.set_question("¿Cómo descargo la factura?");
  a.set_outcome(v1::KbSuggestionSession::PENDING);
  a.add_suggestions()->set_article_id(3);
  absl::Status s = tx->InsertKbSuggestionSession(&a);
  SKIP_WITHOUT_KB(s);
  HELPDESK_ASSERT_OK(s);
  v1::KbSuggestionSession b;
  b.set_ticket_id(5);
  HELPDESK_ASSERT_OK(tx->InsertKbSuggestionSession(&b));
  EXPECT_GT(b.id(), a.id());
  a.set_outcome(v1::KbSuggestionSession::DEFLECTED);
  HELPDESK_ASSERT_OK(tx->UpdateKbSuggestionSession(a));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::KbSuggestionSession read, tx->GetKbSuggestionSession(a.id()));
  EXPECT_THAT(read, sci::EqualsProto(a));
  v1::KbSuggestionSession missing = a;
  missing.set_id(b.id() + 10);
  EXPECT_THAT(tx->UpdateKbSuggestionSession(missing), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tx->GetKbSuggestionSession(b.id() + 10), StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::KbSuggestionSession> list,
                                tx->ListKbSuggestionSessions(a.id(), 10));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id(), b.id());
}

}  // namespace helpdesk::testing

// The Store conformance suite: what a knowledge base search hit shows
// (KbSearchHit's display fields: title, category, section, plain text), so
// that a search page needs no article load. A store without the knowledge
// base (Unimplemented) skips these tests; a store that leaves has_display
// unset passes (callers then load the article), one that sets it must be
// right.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/kb.h"
#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {
namespace {

v1::KbTranslation* AddTranslation(v1::KbArticle* a, const std::string& locale,
                                  const std::string& title, const std::string& body) {
  v1::KbTranslation* t = a->add_translations();
  t->set_locale(locale);
  t->set_title(title);
  t->set_body_markdown(body);
  t->set_state(v1::KbTranslation::PUBLISHED);
  return t;
}

KbSearchRequest Request(const std::string& text, const std::string& locale) {
  KbSearchRequest r;
  r.query = ParseKbQuery(text, locale);
  r.language = KbLanguageOf(locale);
  r.audience.everything = true;
  r.audience.agents = true;
  r.limit = 10;
  return r;
}

// Checks a hit's display fields against the article's translation, when the
// store sets them.
void ExpectDisplay(const KbSearchHit& h, const v1::KbArticle& a, const std::string& locale) {
  if (!h.has_display) return;
  for (const v1::KbTranslation& t : a.translations()) {
    if (t.locale() != locale) continue;
    EXPECT_EQ(h.title, t.title());
    EXPECT_EQ(h.category, a.category());
    EXPECT_EQ(h.section, a.section());
    absl::StatusOr<std::string> plain = MarkdownToPlainText(t.body_markdown());
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(h.plain_text, *plain);
    return;
  }
  ADD_FAILURE() << "article " << a.id() << " has no translation " << locale;
}

}  // namespace

TEST_P(StoreConformanceTest, KbSearchHitsCarryWhatAResultShows) {
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  v1::KbArticle a;
  a.set_visibility(v1::KbArticle::PUBLIC);
  a.set_category("Facturación");
  a.set_section("Pagos");
  a.add_tags("recibo");
  AddTranslation(&a, "es", "Descargar *facturas*",
                 "# Facturas\n\nEntra en **Facturación** y pulsa [Descargar](https://x.example).");
  AddTranslation(&a, "en", "Download invoices", "Open **Billing** and press *Download*.");
  absl::Status s = tx->InsertKbArticle(&a);
  if (absl::IsUnimplemented(s)) GTEST_SKIP() << "store has no knowledge base";
  HELPDESK_ASSERT_OK(s);
  v1::KbArticle b;
  b.set_visibility(v1::KbArticle::PUBLIC);
  b.set_category("General");
  AddTranslation(&b, "es", "Cambiar la factura", "Una factura se cambia en el portal.");
  HELPDESK_ASSERT_OK(tx->InsertKbArticle(&b));
  HELPDESK_ASSERT_OK(tx->Commit());

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<KbSearchHit> hits,
                                tx->SearchKbArticles(Request("factura", "es")));
  ASSERT_EQ(hits.size(), 2u);
  for (const KbSearchHit& h : hits) {
    EXPECT_EQ(h.locale, "es");
    ExpectDisplay(h, h.article_id == a.id() ? a : b, "es");
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(hits, tx->SearchKbArticles(Request("billing", "en")));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].locale, "en");
  ExpectDisplay(hits[0], a, "en");

  // An update shows the new text at once, in the same transaction.
  a.set_section("Cobros");
  a.mutable_translations(0)->set_title("Facturas y recibos");
  a.mutable_translations(0)->set_body_markdown("Las *facturas* están en el portal.");
  HELPDESK_ASSERT_OK(tx->UpdateKbArticle(&a, 1));
  HELPDESK_ASSERT_OK_AND_ASSIGN(hits, tx->SearchKbArticles(Request("portal facturas", "es")));
  ASSERT_EQ(hits.size(), 2u);
  for (const KbSearchHit& h : hits) ExpectDisplay(h, h.article_id == a.id() ? a : b, "es");
  tx.reset();  // rolled back: the first text shows again

  HELPDESK_ASSERT_OK_AND_ASSIGN(tx, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::KbArticle stored, tx->GetKbArticle(a.id()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(hits, tx->SearchKbArticles(Request("descargar", "es")));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].article_id, a.id());
  ExpectDisplay(hits[0], stored, "es");
  if (hits[0].has_display) {
    EXPECT_EQ(hits[0].section, "Pagos");
  }
}

}  // namespace helpdesk::testing

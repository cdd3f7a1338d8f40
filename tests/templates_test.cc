// TemplateSet: every placeholder, escaping in HTML and text output (hostile
// customer input included), #if and #each sections, layouts per group and
// brand, validation errors with their exact line:column, fallback rules, the
// output limit, and a seeded fuzz-style test of the parser.
#include "helpdesk/templates.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "helpdesk/testing/status_matchers.h"
#include "helpdesk/timestamp.h"

namespace helpdesk {
namespace {

using ::helpdesk::testing::IsOk;
using ::helpdesk::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kCreated =
    absl::FromCivil(absl::CivilSecond(2026, 12, 6, 9, 30, 0), absl::UTCTimeZone());

RenderContext FullContext() {
  RenderContext c;
  c.ticket.set_id(42);
  c.ticket.set_subject("Printer on fire");
  c.ticket.set_status("open");
  c.ticket.set_priority(v1::PRIORITY_HIGH);
  c.ticket.set_type(v1::TICKET_TYPE_INCIDENT);
  c.ticket.add_tags("hardware");
  c.ticket.add_tags("vip");
  (*c.ticket.mutable_custom_fields())["order"].set_text("A-17");
  (*c.ticket.mutable_custom_fields())["seats"].set_integer(12);
  c.ticket.set_group_id(7);
  c.ticket.set_assignee_id(3);
  *c.ticket.mutable_created_at() = ToTimestamp(kCreated);
  *c.ticket.mutable_updated_at() = ToTimestamp(kCreated + absl::Hours(2));
  c.contact.set_name("Ana");
  auto* email = c.contact.add_identities();
  email->set_kind(v1::ContactIdentity::EMAIL);
  email->set_value("ana@example.com");
  auto* phone = c.contact.add_identities();
  phone->set_kind(v1::ContactIdentity::PHONE);
  phone->set_value("+15550100");
  auto* email2 = c.contact.add_identities();
  email2->set_kind(v1::ContactIdentity::EMAIL);
  email2->set_value("ana@work.example");
  c.contact.set_locale("en-GB");
  c.contact.set_time_zone("UTC");
  v1::Organization org;
  org.set_name("Acme");
  c.organization = org;
  v1::Agent agent;
  agent.set_id(5);
  agent.set_name("Bob");
  agent.set_email("bob@desk.example");
  c.agent = agent;
  v1::Agent assignee;
  assignee.set_id(3);
  assignee.set_name("Carla");
  assignee.set_email("carla@desk.example");
  c.assignee = assignee;
  v1::Group group;
  group.set_id(7);
  group.set_name("Billing");
  c.group = group;
  v1::Message m1;
  m1.set_kind(v1::Message::CUSTOMER_MESSAGE);
  m1.set_body_text("It smokes");
  *m1.mutable_created_at() = ToTimestamp(kCreated);
  v1::Message note;
  note.set_kind(v1::Message::INTERNAL_NOTE);
  note.set_body_text("SECRET note");
  v1::Message m2;
  m2.set_kind(v1::Message::PUBLIC_REPLY);
  m2.set_body_text("Unplug it");
  *m2.mutable_created_at() = ToTimestamp(kCreated + absl::Minutes(5));
  c.thread = {m1, note, m2};
  SlaStatus sla;
  SlaMetricStatus first;
  first.metric = v1::SLA_METRIC_FIRST_REPLY;
  first.due_at = kCreated + absl::Hours(4);
  sla.metrics.push_back(first);
  c.sla = sla;
  c.tracking_link = "https://help.example/t/abc";
  c.kb_links.push_back(
      KbLink{"Reset a printer", "https://kb.example/1", "<a href=\"https://kb.example/1\">Reset a printer</a>"});
  c.brand = "Acme Support";
  return c;
}

// Renders one template body (no layout).
absl::StatusOr<std::string> RenderOne(absl::string_view text, const RenderContext& context,
                                      TemplateOutput output = TemplateOutput::kText,
                                      absl::string_view html = "") {
  TemplateSetConfig config;
  config.templates.push_back({"t", std::string(text), std::string(html)});
  config.custom_fields = {"order", "seats", "missing"};
  absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
  if (!set.ok()) return set.status();
  absl::StatusOr<RenderedMessage> r = set->Render("t", output, context);
  if (!r.ok()) return r.status();
  return r->body;
}

absl::Status Validate(absl::string_view text) {
  TemplateSetConfig config;
  config.templates.push_back({"ack", std::string(text), ""});
  config.custom_fields = {"order"};
  return TemplateSet::Create(config).status();
}

struct PlaceholderCase {
  std::string source;
  std::string expected;
};

TEST(TemplatesTest, EveryPlaceholderRendersItsValue) {
  const std::vector<PlaceholderCase> cases = {
      {"{{ticket.id}}", "42"},
      {"{{ticket.subject}}", "Printer on fire"},
      {"{{ticket.status}}", "open"},
      {"{{ticket.priority}}", "high"},
      {"{{ticket.type | default: \"-\"}}", "incident"},
      {"{{ticket.tags | join: \", \"}}", "hardware, vip"},
      {"{{ticket.fields.order | default: \"-\"}}", "A-17"},
      {"{{ticket.fields.seats | default: \"-\"}}", "12"},
      {"{{ticket.group.name | default: \"-\"}}", "Billing"},
      {"{{ticket.assignee.name | default: \"-\"}}", "Carla"},
      {"{{ticket.assignee.email | default: \"-\"}}", "carla@desk.example"},
      {"{{ticket.created_at}}", "December 6, 2026, 09:30"},
      {"{{ticket.updated_at | date: \"%Y-%m-%d %H:%M\"}}", "2026-12-06 11:30"},
      {"{{ticket.latest_message.body | default: \"-\"}}", "Unplug it"},
      {"{{ticket.latest_message.created_at | default: \"-\"}}", "December 6, 2026, 09:35"},
      {"{{contact.name | default: \"-\"}}", "Ana"},
      {"{{contact.email | default: \"-\"}}", "ana@example.com"},
      {"{{contact.emails | join: \" \"}}", "ana@example.com ana@work.example"},
      {"{{contact.locale | default: \"-\"}}", "en-GB"},
      {"{{contact.time_zone | default: \"-\"}}", "UTC"},
      {"{{organization.name | default: \"-\"}}", "Acme"},
      {"{{agent.name | default: \"-\"}}", "Bob"},
      {"{{agent.email | default: \"-\"}}", "bob@desk.example"},
      {"{{sla.first_reply.due_at | default: \"-\"}}", "December 6, 2026, 13:30"},
      {"{{sla.full_resolution.due_at | default: \"none\"}}", "none"},
      {"{{tracking_link | default: \"-\"}}", "https://help.example/t/abc"},
      {"{{brand | default: \"-\"}}", "Acme Support"},
      {"{{#each kb.links as l}}{{l.title}}|{{l.url}}|{{l.html}}{{/each}}",
       "Reset a printer|https://kb.example/1|Reset a printer <https://kb.example/1>"},
      {"{{#each ticket.thread as m}}[{{m.body}}]{{/each}}", "[It smokes][Unplug it]"},
  };
  const RenderContext context = FullContext();
  for (const PlaceholderCase& c : cases) {
    SCOPED_TRACE(c.source);
    absl::StatusOr<std::string> out = RenderOne(c.source, context);
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(*out, c.expected);
  }
}

TEST(TemplatesTest, InternalNotesNeverRender) {
  ASSERT_OK_AND_ASSIGN(std::string out,
                       RenderOne("{{#each ticket.thread as m}}{{m.body}};{{/each}}"
                                 "{{ticket.latest_message.body | default: \"\"}}",
                                 FullContext()));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("SECRET")));
}

TEST(TemplatesTest, HtmlEscapesHostileCustomerInputAndTextKeepsItLiteral) {
  RenderContext c = FullContext();
  c.ticket.set_subject("<script>alert(1)</script>");
  c.contact.set_name("\"><img src=x onerror=alert(1)> O'Neil & co");
  const std::string html_body =
      "<p title=\"{{contact.name | default: \"\"}}\">{{ticket.subject}}</p>";
  ASSERT_OK_AND_ASSIGN(std::string html,
                       RenderOne("{{ticket.subject}}", c, TemplateOutput::kHtml, html_body));
  EXPECT_EQ(html,
            "<p title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt; O&#39;Neil &amp; "
            "co\">&lt;script&gt;alert(1)&lt;/script&gt;</p>");
  ASSERT_OK_AND_ASSIGN(std::string text,
                       RenderOne("{{ticket.subject}} {{contact.name | default: \"\"}}", c));
  EXPECT_EQ(text, "<script>alert(1)</script> \"><img src=x onerror=alert(1)> O'Neil & co");
}

TEST(TemplatesTest, HtmlFromATextBodyEscapesLiteralsAndBreaksLines) {
  ASSERT_OK_AND_ASSIGN(std::string html,
                       RenderOne("a < b\n{{ticket.subject}}", FullContext(),
                                 TemplateOutput::kHtml));
  EXPECT_EQ(html, "a &lt; b<br>\nPrinter on fire");
}

TEST(TemplatesTest, HostMadeHtmlIsMarkupOnlyInHtmlOutput) {
  const char* body = "{{#each kb.links as l}}{{l.html}}{{/each}}";
  ASSERT_OK_AND_ASSIGN(std::string html,
                       RenderOne(body, FullContext(), TemplateOutput::kHtml, body));
  EXPECT_EQ(html, "<a href=\"https://kb.example/1\">Reset a printer</a>");
  ASSERT_OK_AND_ASSIGN(std::string text, RenderOne(body, FullContext()));
  EXPECT_EQ(text, "Reset a printer <https://kb.example/1>");
}

TEST(TemplatesTest, KbLinkTitlesAreEscapedLikeAnyValue) {
  RenderContext c = FullContext();
  c.kb_links[0].title = "<b>x</b>";
  const char* body = "{{#each kb.links as l}}<a href=\"{{l.url}}\">{{l.title}}</a>{{/each}}";
  ASSERT_OK_AND_ASSIGN(std::string html, RenderOne(body, c, TemplateOutput::kHtml, body));
  EXPECT_EQ(html, "<a href=\"https://kb.example/1\">&lt;b&gt;x&lt;/b&gt;</a>");
}

TEST(TemplatesTest, IfElseChoosesByPresence) {
  const char* body =
      "{{#if ticket.assignee}}{{ticket.assignee.name}} has it{{else}}our team has it{{/if}}";
  RenderContext c = FullContext();
  ASSERT_OK_AND_ASSIGN(std::string assigned, RenderOne(body, c));
  EXPECT_EQ(assigned, "Carla has it");
  c.assignee.reset();
  ASSERT_OK_AND_ASSIGN(std::string unassigned, RenderOne(body, c));
  EXPECT_EQ(unassigned, "our team has it");
}

TEST(TemplatesTest, EachOverTagsThreadAndEmptyLists) {
  RenderContext c = FullContext();
  const char* body =
      "{{#each ticket.tags as tag}}#{{tag}} {{else}}no tags{{/each}}|"
      "{{#each ticket.thread as m}}{{#if m.from_customer}}C{{else}}A{{/if}}:{{m.body}} "
      "{{/each}}";
  ASSERT_OK_AND_ASSIGN(std::string out, RenderOne(body, c));
  EXPECT_EQ(out, "#hardware #vip |C:It smokes A:Unplug it ");
  c.ticket.clear_tags();
  ASSERT_OK_AND_ASSIGN(std::string none, RenderOne(body, c));
  EXPECT_THAT(none, ::testing::StartsWith("no tags|"));
}

TEST(TemplatesTest, NestedLoopsSeeTheirOwnItems) {
  ASSERT_OK_AND_ASSIGN(
      std::string out,
      RenderOne("{{#each ticket.tags as a}}{{#each contact.emails as b}}{{a}}/{{b}} "
                "{{/each}}{{/each}}",
                FullContext()));
  EXPECT_EQ(out,
            "hardware/ana@example.com hardware/ana@work.example vip/ana@example.com "
            "vip/ana@work.example ");
}

TEST(TemplatesTest, FallbackRendersWhenTheValueIsMissing) {
  RenderContext c = FullContext();
  c.assignee.reset();
  c.contact.set_name("");
  c.organization.reset();
  c.ticket.mutable_custom_fields()->erase("order");
  ASSERT_OK_AND_ASSIGN(
      std::string out,
      RenderOne("Hi {{contact.name | default: \"there\"}}, {{ticket.assignee.name | default: "
                "\"our team\"}} / {{organization.name | default: \"\"}}/"
                "{{ticket.fields.order | default: \"no order\"}}",
                c));
  EXPECT_EQ(out, "Hi there, our team / /no order");
}

TEST(TemplatesTest, CommentsRenderNothing) {
  ASSERT_OK_AND_ASSIGN(std::string out, RenderOne("a{{! a note for authors }}b", FullContext()));
  EXPECT_EQ(out, "ab");
}

// Validation: the message names the template and line:column.
struct ValidationCase {
  std::string source;
  std::string message;
};

TEST(TemplatesValidationTest, ReportsEachProblemWithLineAndColumn) {
  const std::vector<ValidationCase> cases = {
      {"Hi\n  {{ticket.asignee}}", "template 'ack' 2:3: unknown placeholder 'ticket.asignee'"},
      {"{{#if ticket.assignee}}x", "template 'ack' 1:1: {{#if ticket.assignee}} is never closed"},
      {"ok {{/if}}", "template 'ack' 1:4: {{/if}} closes nothing"},
      {"{{#if ticket.group}}\n{{#each ticket.tags as t}}{{/if}}{{/each}}",
       "template 'ack' 2:27: {{/if}} closes {{#each ticket.tags as t}} opened at 2:1"},
      {"{{ticket.subject | upcase}}", "template 'ack' 1:1: unknown helper 'upcase'"},
      {"éé {{ticket.assignee.name}}",
       "template 'ack' 1:4: 'ticket.assignee.name' may be absent: add | default: \"...\" or "
       "wrap it in {{#if ticket.assignee.name}}"},
      {"{{ticket.fields.color | default: \"\"}}", "unknown custom field 'color'"},
      {"{{sla.first_respons.due_at | default: \"\"}}", "unknown SLA metric 'first_respons'"},
      {"{{ticket.tags}}", "'ticket.tags' is a list"},
      {"{{ticket.assignee}}", "'ticket.assignee' is not text"},
      {"{{#each ticket.subject as s}}{{/each}}", "'ticket.subject' is not a list"},
      {"{{#each ticket.tags as ticket}}{{/each}}", "loop name 'ticket' must be a new identifier"},
      {"{{#unless ticket.group}}{{/unless}}", "unknown section '#unless'"},
      {"{{content}}", "{{content}} belongs in a layout"},
      {"{{ticket.subject", "1:1: '{{' is never closed"},
      {"{{ticket.subject | date}}", "helper 'date' applies to dates"},
      {"{{ticket.subject | default}}", "helper 'default' needs a \"quoted\" argument"},
      {"{{#if ticket.group}}{{else}}{{ticket.group.name}}{{/if}}",
       "1:29: 'ticket.group.name' may be absent"},
      {"{{#each ticket.tags as t}}{{/each}}{{t}}", "1:36: unknown placeholder 't'"},
      {"{{{ticket.subject}}}", "unknown placeholder '{ticket.subject'"},
  };
  for (const ValidationCase& c : cases) {
    SCOPED_TRACE(c.source);
    EXPECT_THAT(Validate(c.source),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(TemplatesValidationTest, AGuardCoversTheObjectsFields) {
  EXPECT_THAT(Validate("{{#if ticket.assignee}}{{ticket.assignee.name}} "
                       "{{ticket.assignee.email}}{{/if}}"),
              IsOk());
  EXPECT_THAT(Validate("{{#if organization.name}}{{organization.name}}{{/if}}"), IsOk());
}

TEST(TemplatesValidationTest, AllProblemsAreListedAndTheSetIsRefusedWhole) {
  TemplateSetConfig config;
  config.templates.push_back({"good", "fine {{ticket.id}}", ""});
  config.templates.push_back({"bad", "{{nope}}\n{{#if agent}}", ""});
  absl::Status status = TemplateSet::Create(config).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("template 'bad' 1:1: unknown placeholder 'nope'; "
                                         "template 'bad' 2:1: {{#if agent}} is never closed")));
}

TEST(TemplatesValidationTest, SetLevelProblems) {
  TemplateSetConfig config;
  config.templates.push_back({"a", "x", ""});
  config.templates.push_back({"a", "y", ""});
  config.templates.push_back({"", "y", ""});
  config.layouts.push_back({"l", "no content here", ""});
  config.layouts.push_back({"l2", "{{content}}{{content}}", ""});
  config.default_layout = "missing";
  config.layout_by_group[3] = "other";
  absl::Status status = TemplateSet::Create(config).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("template 'a': the name is used twice")));
  EXPECT_THAT(status.message(), HasSubstr("template with an empty name"));
  EXPECT_THAT(status.message(), HasSubstr("layout 'l': needs exactly one top-level {{content}}"));
  EXPECT_THAT(status.message(), HasSubstr("layout 'l2': needs exactly one"));
  EXPECT_THAT(status.message(), HasSubstr("default_layout: no layout named 'missing'"));
  EXPECT_THAT(status.message(), HasSubstr("layout_by_group[3]: no layout named 'other'"));
}

TEST(TemplatesValidationTest, SourceLimitsAndUtf8) {
  TemplateSetConfig config;
  config.max_template_bytes = 10;
  config.templates.push_back({"long", std::string(11, 'x'), ""});
  config.templates.push_back({"bin", "ok\n\xff", ""});
  absl::Status status = TemplateSet::Create(config).status();
  EXPECT_THAT(status.message(), HasSubstr("template 'long' 1:1: is 11 bytes, over the limit of 10"));
  EXPECT_THAT(status.message(), HasSubstr("template 'bin' 2:1: is not valid UTF-8"));
}

TEST(TemplatesValidationTest, HtmlBodyErrorsNameTheHtmlBody) {
  TemplateSetConfig config;
  config.templates.push_back({"t", "fine", "<p>\n{{ticket.sbject}}</p>"});
  EXPECT_THAT(TemplateSet::Create(config).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("template (html) 't' 2:1: unknown placeholder")));
}

TEST(TemplatesValidationTest, SectionsNestAtMostSixteenDeep) {
  std::string ok, deep;
  for (int i = 0; i < 16; ++i) ok += "{{#if agent}}";
  for (int i = 0; i < 16; ++i) ok += "{{/if}}";
  EXPECT_THAT(Validate(ok), IsOk());
  for (int i = 0; i < 17; ++i) deep += "{{#if agent}}";
  for (int i = 0; i < 17; ++i) deep += "{{/if}}";
  EXPECT_THAT(Validate(deep), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("1:209: sections nest deeper than 16")));
}

// Layouts.
TemplateSet LayoutSet() {
  TemplateSetConfig config;
  config.templates.push_back({"ack", "Got it: {{ticket.subject}}", "<p>Got it: {{ticket.subject}}</p>"});
  config.layouts.push_back({"default", "{{content}}\n-- The desk", ""});
  config.layouts.push_back({"billing", "Billing team\n{{content}}\n-- Billing",
                            "<header>Billing</header>{{content}}<footer>{{brand | default: \"\"}}</footer>"});
  config.layouts.push_back({"acme", "ACME\n{{content}}", ""});
  config.default_layout = "default";
  config.layout_by_group[7] = "billing";
  config.layout_by_brand["Acme"] = "acme";
  absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
  EXPECT_THAT(set, IsOk());
  return *set;
}

TEST(TemplatesLayoutTest, GroupThenBrandThenDefault) {
  const TemplateSet set = LayoutSet();
  RenderContext c = FullContext();
  c.brand = "Acme";
  ASSERT_OK_AND_ASSIGN(RenderedMessage by_group, set.Render("ack", TemplateOutput::kText, c));
  EXPECT_EQ(by_group.layout, "billing");
  EXPECT_EQ(by_group.body, "Billing team\nGot it: Printer on fire\n-- Billing");
  c.ticket.set_group_id(99);
  ASSERT_OK_AND_ASSIGN(RenderedMessage by_brand, set.Render("ack", TemplateOutput::kText, c));
  EXPECT_EQ(by_brand.body, "ACME\nGot it: Printer on fire");
  c.brand = "Other";
  ASSERT_OK_AND_ASSIGN(RenderedMessage fallback, set.Render("ack", TemplateOutput::kText, c));
  EXPECT_EQ(fallback.layout, "default");
  EXPECT_EQ(fallback.body, "Got it: Printer on fire\n-- The desk");
  ASSERT_OK_AND_ASSIGN(RenderedMessage body_only,
                       set.RenderBody("ack", TemplateOutput::kText, c));
  EXPECT_EQ(body_only.body, "Got it: Printer on fire");
  EXPECT_THAT(body_only.layout, IsEmpty());
}

TEST(TemplatesLayoutTest, HtmlLayoutWrapsTheEscapedBodyOnce) {
  const TemplateSet set = LayoutSet();
  RenderContext c = FullContext();
  c.ticket.set_subject("<i>&</i>");
  c.brand = "B&B";
  ASSERT_OK_AND_ASSIGN(RenderedMessage r, set.Render("ack", TemplateOutput::kHtml, c));
  EXPECT_EQ(r.body,
            "<header>Billing</header><p>Got it: &lt;i&gt;&amp;&lt;/i&gt;</p>"
            "<footer>B&amp;B</footer>");
  // A layout with only a text body derives its HTML from it.
  c.ticket.set_group_id(0);
  c.brand = "";
  ASSERT_OK_AND_ASSIGN(RenderedMessage d, set.Render("ack", TemplateOutput::kHtml, c));
  EXPECT_EQ(d.body, "<p>Got it: &lt;i&gt;&amp;&lt;/i&gt;</p><br>\n-- The desk");
}

TEST(TemplatesRenderTest, UnknownTemplateIsNotFound) {
  const TemplateSet set = LayoutSet();
  EXPECT_THAT(set.Render("nope", TemplateOutput::kText, FullContext()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("'nope'")));
}

TEST(TemplatesRenderTest, OutputOverTheLimitIsResourceExhausted) {
  TemplateSetConfig config;
  config.max_output_bytes = 64;
  config.templates.push_back({"t", "{{#each ticket.thread as m}}{{m.body}}{{/each}}", ""});
  ASSERT_OK_AND_ASSIGN(TemplateSet set, TemplateSet::Create(config));
  RenderContext c = FullContext();
  EXPECT_THAT(set.Render("t", TemplateOutput::kText, c), IsOk());
  c.thread[0].set_body_text(std::string(100, 'x'));
  EXPECT_THAT(set.Render("t", TemplateOutput::kText, c),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("limit of 64 bytes")));
}

TEST(TemplatesRenderTest, NestedLoopsWithoutOutputStopAtTheWorkBound) {
  std::string body;
  for (int i = 0; i < 8; ++i) absl::StrAppend(&body, "{{#each ticket.thread as m", i, "}}");
  for (int i = 0; i < 8; ++i) body += "{{/each}}";
  TemplateSetConfig config;
  config.templates.push_back({"t", body, ""});
  ASSERT_OK_AND_ASSIGN(TemplateSet set, TemplateSet::Create(config));
  RenderContext c = FullContext();
  c.thread.assign(40, c.thread[0]);  // 40^8 iterations if unbounded
  EXPECT_THAT(set.Render("t", TemplateOutput::kText, c),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// Sections must balance: an independent count of opening and closing tags.
bool Balanced(const std::string& s) {
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = s.find("{{", i)) != std::string::npos) {
    size_t end = s.find("}}", i + 2);
    if (end == std::string::npos) return false;
    std::string tag = s.substr(i + 2, end - i - 2);
    while (!tag.empty() && absl::ascii_isspace(static_cast<unsigned char>(tag.front()))) {
      tag.erase(0, 1);
    }
    if (tag.rfind("#if", 0) == 0) stack.push_back("if");
    if (tag.rfind("#each", 0) == 0) stack.push_back("each");
    if (tag.rfind("/", 0) == 0) {
      if (stack.empty() || tag.substr(1, stack.back().size()) != stack.back()) return false;
      stack.pop_back();
    }
    i = end + 2;
  }
  return stack.empty();
}

TEST(TemplatesFuzzTest, ArbitraryBytesNeverCrashAndUnbalancedSectionsAreRefused) {
  std::mt19937 rng(20261206);
  const std::vector<std::string> pieces = {
      "{{#if ticket.assignee}}", "{{#each ticket.tags as t}}", "{{/if}}", "{{/each}}",
      "{{else}}", "{{t}}", "{{ticket.subject}}", "{{", "}}", "{", "}", "|", " ", "\n",
      "default: \"x\"", "{{ticket.assignee.name}}", "é", "\xff", "<b>", "{{content}}", "{{!c}}"};
  int accepted = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string source;
    const int n = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int i = 0; i < n; ++i) {
      if (std::uniform_int_distribution<int>(0, 4)(rng) == 0) {
        source.push_back(static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
      } else {
        source += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
      }
    }
    TemplateSetConfig config;
    config.templates.push_back({"f", source.empty() ? "x" : source, ""});
    absl::StatusOr<TemplateSet> set = TemplateSet::Create(config);
    if (!set.ok()) {
      EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ++accepted;
    EXPECT_TRUE(Balanced(source)) << absl::CHexEscape(source);
    EXPECT_THAT(set->Render("f", TemplateOutput::kHtml, FullContext()), IsOk());
    EXPECT_THAT(set->Render("f", TemplateOutput::kText, RenderContext()), IsOk());
  }
  EXPECT_GT(accepted, 50);
}

}  // namespace
}  // namespace helpdesk

// helpdesk kb add, publish, search, suggest: the knowledge base.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "flags.h"
#include "session.h"

namespace helpdesk::cli {
namespace {

// The reader: --as EMAIL (a contact), --agent EMAIL, else an anonymous visitor.
absl::StatusOr<v1::Actor> Reader(Desk& desk, const Args& a) {
  if (std::optional<std::string> as = a.Get("as")) {
    absl::StatusOr<v1::Contact> c = desk.people().FindContactByEmail(SystemActor(), *as);
    if (!c.ok()) return c.status();
    return ContactActor(c->id());
  }
  if (a.Has("agent")) return ActingAgent(desk, a);
  return AnonymousVisitor();
}

absl::Status CmdKbAdd(Desk& desk, const Args& a) {
  absl::StatusOr<std::string> title = Required(a, "title");
  if (!title.ok()) return title.status();
  std::string body = a.Get("body").value_or("");
  if (std::optional<std::string> file = a.Get("body-file")) {
    std::ifstream in(*file);
    if (!in) return absl::NotFoundError(absl::StrCat("--body-file '", *file, "' cannot be read"));
    std::stringstream ss;
    ss << in.rdbuf();
    body = ss.str();
  }
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  NewKbArticle in{.locale = a.Get("locale").value_or(""),
                  .title = *title,
                  .body_markdown = body,
                  .category = a.Get("category").value_or(""),
                  .section = a.Get("section").value_or(""),
                  .tags = a.All("tag")};
  if (a.Get("visibility").value_or("public") == "agents") in.visibility = v1::KbArticle::AGENTS;
  absl::StatusOr<v1::KbArticle> article = desk.kb().Create(*actor, in);
  if (!article.ok()) return article.status();
  std::cout << "article " << article->id() << " (" << article->translations(0).locale()
            << ", draft): " << *title << "\n";
  return absl::OkStatus();
}

absl::Status CmdKbPublish(Desk& desk, const Args& a) {
  if (a.positional.size() < 3) return absl::InvalidArgumentError("usage: helpdesk kb publish ARTICLE");
  absl::StatusOr<int64_t> id = ParseWholeNumber("ARTICLE", a.positional[2], 1, INT64_MAX);
  if (!id.ok()) return id.status();
  absl::StatusOr<v1::Actor> actor = ActingAgent(desk, a);
  if (!actor.ok()) return actor.status();
  absl::StatusOr<v1::KbArticle> article = desk.kb().Get(*actor, *id);
  if (!article.ok()) return article.status();
  const std::string locale = a.Get("locale").value_or(article->translations(0).locale());
  absl::StatusOr<v1::KbArticle> done = desk.kb().Publish(*actor, *id, locale);
  if (!done.ok()) return done.status();
  std::cout << "article " << *id << " (" << locale << ") published\n";
  return absl::OkStatus();
}

absl::Status CmdKbSearch(Desk& desk, const Args& a, bool suggest) {
  if (a.positional.size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("usage: helpdesk kb ", suggest ? "suggest" : "search", " TEXT"));
  }
  std::string text = a.positional[2];
  for (size_t i = 3; i < a.positional.size(); ++i) absl::StrAppend(&text, " ", a.positional[i]);
  absl::StatusOr<v1::Actor> reader = Reader(desk, a);
  if (!reader.ok()) return reader.status();
  const std::string locale = a.Get("locale").value_or("");
  if (suggest) {
    absl::StatusOr<v1::KbSuggestionSession> s =
        desk.kb().Suggest(*reader, {.question = text, .locale = locale});
    if (!s.ok()) return s.status();
    std::cout << "suggestion session " << s->id() << ": " << s->suggestions_size()
              << " articles\n";
    for (const v1::KbSuggestion& g : s->suggestions()) {
      std::cout << "  " << g.article_id() << "  " << g.title() << "  (" << g.reason() << ")\n";
    }
    return absl::OkStatus();
  }
  absl::StatusOr<KbSearchPage> page = desk.kb().Search(*reader, {.query = text, .locale = locale});
  if (!page.ok()) return page.status();
  std::cout << page->results.size() << " articles\n";
  for (const KbSearchResult& r : page->results) {
    std::cout << "  " << r.article_id << " [" << r.locale << "] " << r.title << "\n      "
              << r.snippet_html << "\n";
  }
  return absl::OkStatus();
}

absl::Status CmdKb(Desk& desk, const Args& a) {
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
  if (sub == "add") return CmdKbAdd(desk, a);
  if (sub == "publish") return CmdKbPublish(desk, a);
  if (sub == "search") return CmdKbSearch(desk, a, false);
  if (sub == "suggest") return CmdKbSearch(desk, a, true);
  return absl::InvalidArgumentError(
      absl::StrCat("kb: '", sub, "' is not add, publish, search or suggest"));
}

}  // namespace

CommandGroup KbCommands() {
  return {"Knowledge base",
          {{.name = "kb",
            .summary = "knowledge base articles: add, publish, search, suggest",
            .usage = "kb add --title T [--body B | --body-file F] [--locale L] [--category C]\n"
                     "       [--section S] [--tag T]... [--visibility public|agents] [--agent EMAIL]\n"
                     "kb publish ARTICLE [--locale L] [--agent EMAIL]\n"
                     "kb search TEXT... [--locale L] [--as EMAIL | --agent EMAIL]\n"
                     "kb suggest TEXT... [--locale L] [--as EMAIL | --agent EMAIL]",
            .flags = "  --agent EMAIL       act as this agent (default: the system)\n"
                     "  --as EMAIL          search as this customer (default: anonymous)\n"
                     "  --locale L          the article's or query's locale (default: en)\n",
            .run = [](const CommandContext& c) { return CmdKb(c.desk(), c.args); }}}};
}

}  // namespace helpdesk::cli

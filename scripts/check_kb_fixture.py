#!/usr/bin/env python3
"""Checks the knowledge-base relevance fixture (tests/data/kb/).

relevance_articles.jsonl: one help-center article per line,
  {"key", "locale": "es"|"en", "title", "body" (Markdown, 80-250 words),
   "category", "section", "tags": [...], "visibility": "public"|"agents"}.
relevance_queries.jsonl: one query per line,
  {"query", "locale", "relevant": [1-3 keys, best first]}.

Checks: every line parses as a JSON object with exactly these fields and
types; keys are unique and well formed; locales and visibilities are known;
bodies are 80-250 words; at least 200 articles (about 60% Spanish, about
10% agents-only) and 50 queries; every relevant key exists, is public and
has the query's locale; no query repeats. Exits 1 and lists every problem
when something is wrong.

Usage: scripts/check_kb_fixture.py [DIR]   (default: tests/data/kb)
"""
import json
import os
import re
import sys

ARTICLE_FIELDS = {"key": str, "locale": str, "title": str, "body": str,
                  "category": str, "section": str, "tags": list, "visibility": str}
QUERY_FIELDS = {"query": str, "locale": str, "relevant": list}
LOCALES = {"es", "en"}
VISIBILITIES = {"public", "agents"}
KEY = re.compile(r"^(es|en)-[a-z]+(-[a-z]+)*-\d{3}$")


def read_jsonl(path, problems):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                problems.append(f"{path}:{n}: empty line")
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{path}:{n}: not JSON: {e}")
                continue
            if not isinstance(row, dict):
                problems.append(f"{path}:{n}: not a JSON object")
                continue
            rows.append((n, row))
    return rows


def check_fields(path, n, row, fields, problems):
    if set(row) != set(fields):
        problems.append(f"{path}:{n}: fields {sorted(row)} are not {sorted(fields)}")
        return False
    for name, kind in fields.items():
        if not isinstance(row[name], kind):
            problems.append(f"{path}:{n}: {name} is not a {kind.__name__}")
            return False
    return True


def words(text):
    return len(re.findall(r"\w+", text))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "kb")
    problems = []
    apath = os.path.join(root, "relevance_articles.jsonl")
    qpath = os.path.join(root, "relevance_queries.jsonl")

    articles = {}
    for n, a in read_jsonl(apath, problems):
        if not check_fields(apath, n, a, ARTICLE_FIELDS, problems):
            continue
        key = a["key"]
        if not KEY.match(key):
            problems.append(f"{apath}:{n}: key '{key}' is not LOCALE-TOPIC-NNN")
        elif not key.startswith(a["locale"] + "-"):
            problems.append(f"{apath}:{n}: key '{key}' does not start with its locale")
        if key in articles:
            problems.append(f"{apath}:{n}: key '{key}' repeats")
        if a["locale"] not in LOCALES:
            problems.append(f"{apath}:{n}: locale '{a['locale']}' is not one of {sorted(LOCALES)}")
        if a["visibility"] not in VISIBILITIES:
            problems.append(f"{apath}:{n}: visibility '{a['visibility']}' is not one of "
                            f"{sorted(VISIBILITIES)}")
        for field in ("title", "category", "section"):
            if not a[field].strip():
                problems.append(f"{apath}:{n}: {field} is empty")
        if not a["tags"] or not all(isinstance(t, str) and t.strip() for t in a["tags"]):
            problems.append(f"{apath}:{n}: tags must be non-empty strings")
        w = words(a["body"])
        if not 80 <= w <= 250:
            problems.append(f"{apath}:{n}: body of '{key}' has {w} words, not 80-250")
        articles[key] = a

    total = len(articles)
    spanish = sum(a["locale"] == "es" for a in articles.values())
    agents = sum(a["visibility"] == "agents" for a in articles.values())
    if total < 200:
        problems.append(f"{apath}: {total} articles, fewer than 200")
    if total and not 0.5 <= spanish / total <= 0.7:
        problems.append(f"{apath}: {spanish} of {total} articles are Spanish, not about 60%")
    if total and not 0.05 <= agents / total <= 0.15:
        problems.append(f"{apath}: {agents} of {total} articles are agents-only, not about 10%")
    titles = {}
    for key, a in articles.items():
        t = (a["locale"], a["title"].strip().lower())
        if t in titles:
            problems.append(f"{apath}: '{key}' has the same title as '{titles[t]}'")
        titles[t] = key

    queries = set()
    count = 0
    for n, q in read_jsonl(qpath, problems):
        if not check_fields(qpath, n, q, QUERY_FIELDS, problems):
            continue
        count += 1
        if not q["query"].strip():
            problems.append(f"{qpath}:{n}: empty query")
        if (q["locale"], q["query"]) in queries:
            problems.append(f"{qpath}:{n}: query '{q['query']}' repeats")
        queries.add((q["locale"], q["query"]))
        if q["locale"] not in LOCALES:
            problems.append(f"{qpath}:{n}: locale '{q['locale']}' is not one of {sorted(LOCALES)}")
        rel = q["relevant"]
        if not 1 <= len(rel) <= 3 or len(set(rel)) != len(rel):
            problems.append(f"{qpath}:{n}: relevant must hold 1-3 distinct keys")
        for key in rel:
            a = articles.get(key)
            if a is None:
                problems.append(f"{qpath}:{n}: relevant key '{key}' is no article")
            elif a["visibility"] != "public":
                problems.append(f"{qpath}:{n}: relevant key '{key}' is not public")
            elif a["locale"] != q["locale"]:
                problems.append(f"{qpath}:{n}: relevant key '{key}' is not in locale "
                                f"'{q['locale']}'")
    if count < 50:
        problems.append(f"{qpath}: {count} queries, fewer than 50")

    for p in problems:
        print(p, file=sys.stderr)
    print(f"kb fixture: {total} articles ({spanish} es, {total - spanish} en, {agents} agents-only), "
          f"{count} queries; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

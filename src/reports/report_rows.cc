// A report's rows: collecting each ticket's figures, joining slices,
// finishing (sorting values for percentiles).
#include "reports/report_rows.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"

namespace helpdesk::reports_internal {
namespace {

// Nearest rank: the smallest value with at least `pct` percent at or below.
size_t Rank(size_t n, int pct) {
  size_t r = (static_cast<size_t>(pct) * n + 99) / 100;
  return r == 0 ? 0 : r - 1;
}

DurationFigures DurationsOf(DurationList list) {
  DurationFigures f;
  std::vector<absl::Duration> v = std::move(list).Sorted();
  f.count = static_cast<int64_t>(v.size());
  if (!v.empty()) {
    absl::Duration sum;
    for (absl::Duration d : v) sum += d;
    f.mean = sum / f.count;
    f.p50 = v[Rank(v.size(), 50)];
    f.p90 = v[Rank(v.size(), 90)];
    f.p99 = v[Rank(v.size(), 99)];
  }
  f.values = std::move(v);
  return f;
}

CountFigures CountsOf(std::vector<int64_t> v) {
  CountFigures f;
  SortInt64(v);
  f.count = static_cast<int64_t>(v.size());
  if (!v.empty()) {
    long double sum = 0;
    for (int64_t x : v) sum += static_cast<long double>(x);
    f.mean = static_cast<double>(sum / static_cast<long double>(v.size()));
    f.p50 = v[Rank(v.size(), 50)];
    f.p90 = v[Rank(v.size(), 90)];
    f.p99 = v[Rank(v.size(), 99)];
  }
  f.values = std::move(v);
  return f;
}

}  // namespace

Wanted WantedOf(const ReportSpec& spec) {
  Wanted w;
  auto want = [&](ReportMetric m) {
    return spec.metrics.empty() ||
           std::find(spec.metrics.begin(), spec.metrics.end(), m) != spec.metrics.end();
  };
  w.created = want(ReportMetric::kCreated);
  w.solved = want(ReportMetric::kSolved);
  w.reopened = want(ReportMetric::kReopened);
  w.backlog = want(ReportMetric::kBacklog);
  w.first_reply = want(ReportMetric::kFirstReply);
  w.resolution = want(ReportMetric::kResolution);
  w.replies = want(ReportMetric::kRepliesToResolve);
  w.requester_wait = want(ReportMetric::kRequesterWait);
  w.agent_work = want(ReportMetric::kAgentWork);
  w.sla = want(ReportMetric::kSla);
  w.top_tags = want(ReportMetric::kTopTags);
  return w;
}

// The index of the first sample at or after `t` (samples from + k * step).
int64_t FirstSampleAtOrAfter(absl::Time t, const ReportSpec& spec, int64_t samples) {
  if (t <= spec.from) return 0;
  if (t == absl::InfiniteFuture()) return samples;
  absl::Duration rem;
  int64_t q = absl::IDivDuration(t - spec.from, spec.backlog_step, &rem);
  if (rem > absl::ZeroDuration()) ++q;
  return std::min(q, samples);
}

// Adds to `row` what `f` credits at moments within `ranges` (null: all).
// `tags` outlives the computation when `held`.
void AddTo(RowBuilder& row, const TicketFigures& f, const std::vector<std::string>& tags, bool held,
           const ReportSpec& spec, int64_t samples, const Ranges* ranges) {
  auto in = [&](absl::Time x) {
    if (ranges == nullptr) return true;
    for (const auto& [a, b] : *ranges) {
      if (x >= a && x < b) return true;
    }
    return false;
  };
  // Creations (and their tags) go to the value at the period's end.
  const bool created =
      f.created_in &&
      (ranges == nullptr || (!ranges->empty() && ranges->back().second == absl::InfiniteFuture()));
  row.created += created ? 1 : 0;
  for (absl::Time x : f.solves) row.solved += in(x) ? 1 : 0;
  for (absl::Time x : f.reopens) row.reopened += in(x) ? 1 : 0;
  auto add_backlog = [&](absl::Time s, absl::Time e) {
    int64_t lo = FirstSampleAtOrAfter(s, spec, samples);
    int64_t hi = FirstSampleAtOrAfter(e, spec, samples);
    if (lo < hi) {
      if (row.backlog_diff.empty()) row.backlog_diff.assign(samples + 1, 0);
      row.backlog_diff[lo] += 1;
      row.backlog_diff[hi] -= 1;
    }
  };
  for (const auto& [s, e] : f.backlog) {
    if (ranges == nullptr) {
      add_backlog(s, e);
      continue;
    }
    for (const auto& [a, b] : *ranges) {
      const absl::Time lo = std::max(s, a), hi = std::min(e, b);
      if (lo < hi) add_backlog(lo, hi);
    }
  }
  if (f.first_reply && in(f.first_reply_at)) row.first_reply.push_back(*f.first_reply);
  if (in(f.resolved_at)) {
    if (f.resolution) row.resolution.push_back(*f.resolution);
    if (f.requester_wait) row.requester_wait.push_back(*f.requester_wait);
    if (f.agent_work) row.agent_work.push_back(*f.agent_work);
    if (f.replies) row.replies.push_back(*f.replies);
  }
  for (const TicketFigures::SlaCycle& c : f.sla) {
    if (!in(c.at)) continue;
    auto& [m, b] = row.sla[c.metric];
    (c.met ? m : b) += 1;
  }
  if (created && held && !tags.empty()) {
    row.tag_sets[&tags] += 1;
  } else if (created) {
    for (const std::string& tag : tags) row.tags[tag] += 1;
  }
}

ReportRow Finish(std::string key, RowBuilder b, const Wanted& w, const ReportSpec& spec,
                 int64_t samples) {
  ReportRow row;
  row.key = std::move(key);
  row.created = b.created;
  row.solved = b.solved;
  row.reopened = b.reopened;
  if (w.backlog) {
    row.backlog.assign(samples, 0);
    int64_t running = 0;
    for (int64_t k = 0; k < samples && !b.backlog_diff.empty(); ++k) {
      running += b.backlog_diff[k];
      row.backlog[k] = running;
    }
  }
  row.first_reply = DurationsOf(std::move(b.first_reply));
  row.resolution = DurationsOf(std::move(b.resolution));
  row.requester_wait = DurationsOf(std::move(b.requester_wait));
  row.agent_work = DurationsOf(std::move(b.agent_work));
  row.replies_to_resolve = CountsOf(std::move(b.replies));
  for (const auto& [metric, mb] : b.sla) {
    SlaFigures s;
    s.metric = metric;
    s.met = mb.first;
    s.breached = mb.second;
    s.achievement = s.met + s.breached == 0
                        ? 0
                        : static_cast<double>(s.met) / static_cast<double>(s.met + s.breached);
    row.sla.push_back(s);
  }
  if (w.top_tags) {
    for (const auto& [set, n] : b.tag_sets) {
      for (const std::string& tag : *set) b.tags[tag] += n;
    }
    std::vector<std::pair<std::string, int64_t>> tags(b.tags.begin(), b.tags.end());
    std::stable_sort(tags.begin(), tags.end(),
                     [](const auto& x, const auto& y) { return x.second > y.second; });
    if (tags.size() > static_cast<size_t>(spec.top_tags)) tags.resize(spec.top_tags);
    row.top_tags = std::move(tags);
  }
  return row;
}

// Rows sort numerically by id, then by text.
bool KeyLess(const std::string& a, const std::string& b) {
  int64_t x = 0, y = 0;
  bool xa = absl::SimpleAtoi(a, &x), yb = absl::SimpleAtoi(b, &y);
  if (xa != yb) return xa;
  if (xa && x != y) return x < y;
  return a < b;
}

// Adds `from`'s figures to `into`'s (a row's figures from another slice of
// the tickets: counts add, values join).
void Absorb(RowBuilder& into, RowBuilder&& from) {
  into.created += from.created;
  into.solved += from.solved;
  into.reopened += from.reopened;
  if (into.backlog_diff.empty()) {
    into.backlog_diff = std::move(from.backlog_diff);
  } else {
    for (size_t k = 0; k < from.backlog_diff.size(); ++k) {
      into.backlog_diff[k] += from.backlog_diff[k];
    }
  }
  into.first_reply.Append(std::move(from.first_reply));
  into.resolution.Append(std::move(from.resolution));
  into.requester_wait.Append(std::move(from.requester_wait));
  into.agent_work.Append(std::move(from.agent_work));
  into.replies.insert(into.replies.end(), from.replies.begin(), from.replies.end());
  for (const auto& [metric, mb] : from.sla) {
    auto& [m, b] = into.sla[metric];
    m += mb.first;
    b += mb.second;
  }
  for (const auto& [tag, n] : from.tags) into.tags[tag] += n;
  for (const auto& [set, n] : from.tag_sets) into.tag_sets[set] += n;
}

}  // namespace helpdesk::reports_internal

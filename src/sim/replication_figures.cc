// The figures of a simulation: what one Replication measured (waits and their
// quantiles, service level, abandonment, utilisation, fairness, offers, per
// ticket type and VIP segment), and the aggregation of a figure over
// replications into a mean with a 95% confidence interval. The class is
// declared in replication.h.
#include "sim/replication.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <vector>

#include "sim/distributions.h"

namespace helpdesk::sim_internal {

namespace {

// The quantiles `qs` (ascending) of `values`, which it reorders: linear
// interpolation between order statistics (R's type 7). Selection rather than
// a sort: O(n), and a sort of the million waits of a long run costs more
// than routing them. Each selection works on what lies above the previous
// one.
std::vector<double> Quantiles(std::vector<double>& values,
                              std::initializer_list<double> qs) {
  std::vector<double> out;
  const size_t n = values.size();
  size_t from = 0;
  for (double q : qs) {
    if (n == 0) {
      out.push_back(kNaN);
      continue;
    }
    const double h = (static_cast<double>(n) - 1) * q;
    const size_t lo = std::max(from, static_cast<size_t>(std::floor(h)));
    const auto at_lo = values.begin() + static_cast<std::ptrdiff_t>(lo);
    std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(from), at_lo,
                     values.end());
    from = lo;
    const double low = *at_lo;
    if (lo + 1 >= n) {
      out.push_back(low);
      continue;
    }
    // The next order statistic is the smallest value above position lo.
    const double high = *std::min_element(at_lo + 1, values.end());
    out.push_back(low + (h - static_cast<double>(lo)) * (high - low));
  }
  return out;
}

}  // namespace

Figures Replication::Result() {
  Figures f;
  // Tickets still waiting at the end were never answered.
  int64_t unanswered = 0;
  for (const Ticket& t : tickets_) {
    if (t.measured && (t.state == TicketState::kWaiting ||
                       t.state == TicketState::kOffered)) {
      ++unanswered;
      ++breached_;
    }
  }
  f.tickets = static_cast<double>(offered_);
  // Offers, per team and in all, from the agents' counts. Push assignments
  // to teams without offers are offers accepted at once.
  struct OfferCounts {
    int64_t offers = 0, declined = 0, timed_out = 0;
  };
  std::vector<OfferCounts> teams(s_.teams.size());
  OfferCounts all;
  for (const Agent& a : agents_) {
    for (OfferCounts* c : {&teams[a.team], &all}) {
      c->offers += a.handled - a.accepted - a.pulled + a.offered;
      c->declined += a.declined;
      c->timed_out += a.timed_out;
    }
  }
  auto offer_figures = [](const OfferCounts& c) {
    Figures::Offers out;
    out.offers = static_cast<double>(c.offers);
    if (c.offers > 0) {
      out.decline_rate = static_cast<double>(c.declined) / out.offers;
      out.timeout_rate = static_cast<double>(c.timed_out) / out.offers;
    }
    return out;
  };
  f.offers = offer_figures(all);
  for (const OfferCounts& c : teams) f.team_offers.push_back(offer_figures(c));
  if (offered_ > 0) {
    const double n = static_cast<double>(offered_);
    f.service_level = within_sl_ / n;
    f.breach = breached_ / n;
    f.abandonment = abandoned_ / n;
    f.unanswered = unanswered / n;
  }
  // Per segment first: the overall quantiles reorder waits_.
  const size_t types = s_.types.size();
  std::vector<double> scratch;
  for (size_t g = 0; g < segments_.size(); ++g) {
    const Segment& segment = segments_[g];
    SegmentFigures& figures = f.segments.emplace_back();
    figures.tickets = static_cast<double>(segment.offered);
    if (segment.offered > 0) {
      figures.service_level = static_cast<double>(segment.within_sl) /
                              static_cast<double>(segment.offered);
    }
    // A segment of every answered ticket has the overall figures, below.
    if (segment.answered == 0 || segment.answered == answered_) continue;
    scratch.clear();
    for (size_t i = 0; i < waits_.size(); ++i) {
      const uint32_t kind = wait_kinds_[i];
      const bool in = g < types ? (kind >> 1) == g
                                : (kind & 1) == (g == types ? 1u : 0u);
      if (in) scratch.push_back(waits_[i]);
    }
    double sum = 0;
    for (double w : scratch) sum += w;
    figures.wait_mean = sum / static_cast<double>(scratch.size());
    figures.wait_p90 = Quantiles(scratch, {0.90})[0];
  }
  if (answered_ > 0) {
    double sum = 0;
    for (double w : waits_) sum += w;
    f.wait_mean = sum / static_cast<double>(answered_);
    const std::vector<double> q = Quantiles(waits_, {0.50, 0.90, 0.99});
    f.wait_p50 = q[0];
    f.wait_p90 = q[1];
    f.wait_p99 = q[2];
    f.p_wait = static_cast<double>(waited_) / static_cast<double>(answered_);
    for (size_t g = 0; g < segments_.size(); ++g) {
      if (segments_[g].answered != answered_) continue;
      f.segments[g].wait_mean = f.wait_mean;
      f.segments[g].wait_p90 = f.wait_p90;
    }
  }
  // Utilisation: busy time over on-shift time, both within the window.
  double busy_total = 0, on_total = 0, sum_u = 0, sum_u2 = 0;
  int on_agents = 0;
  double sum_h = 0, sum_h2 = 0;
  for (Agent& a : agents_) {
    if (a.busy > 0) {
      a.busy_time += Clip(a.busy_since, end_);
      a.busy = 0;
    }
    const AgentTeam& team = s_.teams[a.team];
    double on = 0;
    if (team.always_on) {
      on = Clip(0, s_.horizon);
    } else {
      for (const auto& [from, to] : team.shifts) on += Clip(from, to);
    }
    const double u = on > 0 ? std::min(1.0, a.busy_time / on) : kNaN;
    f.agent_utilisation.push_back(u);
    busy_total += a.busy_time;
    on_total += on;
    if (on > 0) {
      sum_u += u;
      sum_u2 += u * u;
      ++on_agents;
    }
    sum_h += static_cast<double>(a.handled);
    sum_h2 += static_cast<double>(a.handled) * static_cast<double>(a.handled);
  }
  if (on_total > 0) f.utilisation = busy_total / on_total;
  if (on_agents > 0) {
    f.fairness = sum_u2 > 0 ? sum_u * sum_u / (on_agents * sum_u2) : 1.0;
  }
  const double n = static_cast<double>(agents_.size());
  const double mean_h = sum_h / n;
  if (mean_h > 0) {
    f.handled_cv = std::sqrt(std::max(0.0, sum_h2 / n - mean_h * mean_h)) / mean_h;
  }
  return f;
}

Estimate Aggregate(const std::vector<double>& values) {
  double sum = 0;
  int n = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  Estimate e;
  if (n == 0) return {kNaN, kNaN};
  e.mean = sum / n;
  if (n < 2) {
    e.ci95 = kNaN;
    return e;
  }
  double ss = 0;
  for (double v : values) {
    if (!std::isnan(v)) ss += (v - e.mean) * (v - e.mean);
  }
  e.ci95 = StudentT975(n - 1) * std::sqrt(ss / (n - 1) / n);
  return e;
}

}  // namespace helpdesk::sim_internal

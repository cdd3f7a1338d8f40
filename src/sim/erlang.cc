// Erlang C for the M/M/c queue, and Student's t quantiles for confidence
// intervals.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "helpdesk/sim.h"

namespace helpdesk {
namespace {

struct Load {
  double offered;  // erlangs
  double handling_seconds;
};

absl::StatusOr<Load> CheckQueue(double arrivals_per_hour,
                                absl::Duration mean_handling_time) {
  if (!(arrivals_per_hour > 0) || !std::isfinite(arrivals_per_hour)) {
    return absl::InvalidArgumentError(
        absl::StrCat("arrivals_per_hour: ", arrivals_per_hour,
                     " must be finite and > 0"));
  }
  const double h = absl::ToDoubleSeconds(mean_handling_time);
  if (!(h > 0) || !std::isfinite(h)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mean_handling_time: ",
                     absl::FormatDuration(mean_handling_time),
                     " must be finite and > 0"));
  }
  return Load{arrivals_per_hour / 3600.0 * h, h};
}

// Erlang B by its recurrence B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)):
// every step stays in (0, 1], so nothing overflows for any c.
double ErlangB(int agents, double load) {
  double b = 1;
  for (int k = 1; k <= agents; ++k) b = load * b / (k + load * b);
  return b;
}

double CFromB(int agents, double load, double b) {
  return agents * b / (agents - load * (1 - b));
}

}  // namespace

absl::StatusOr<ErlangCResult> ErlangC(const ErlangCQueue& queue) {
  absl::StatusOr<Load> load =
      CheckQueue(queue.arrivals_per_hour, queue.mean_handling_time);
  if (!load.ok()) return load.status();
  if (queue.agents < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("agents: ", queue.agents, " must be >= 1"));
  }
  const double a = load->offered;
  const int c = queue.agents;
  if (a >= c) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the offered load of ", a, " erlangs needs more than ", c,
        " agents: with utilisation ", a / c, " waits grow without bound"));
  }
  ErlangCResult r;
  r.offered_load = a;
  r.utilisation = a / c;
  r.probability_of_waiting = CFromB(c, a, ErlangB(c, a));
  r.mean_wait = absl::Seconds(r.probability_of_waiting * load->handling_seconds /
                              (c - a));
  return r;
}

absl::StatusOr<double> ErlangCServiceLevel(const ErlangCQueue& queue,
                                           absl::Duration target) {
  if (target < absl::ZeroDuration() || target == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target: ", absl::FormatDuration(target), " must be finite and >= 0"));
  }
  absl::StatusOr<ErlangCResult> r = ErlangC(queue);
  if (!r.ok()) return r.status();
  const double h = absl::ToDoubleSeconds(queue.mean_handling_time);
  return 1 - r->probability_of_waiting *
                 std::exp(-(queue.agents - r->offered_load) *
                          absl::ToDoubleSeconds(target) / h);
}

absl::StatusOr<int> ErlangCAgentsFor(double arrivals_per_hour,
                                     absl::Duration mean_handling_time,
                                     absl::Duration target,
                                     double service_level, int max_agents) {
  absl::StatusOr<Load> load = CheckQueue(arrivals_per_hour, mean_handling_time);
  if (!load.ok()) return load.status();
  if (target < absl::ZeroDuration() || target == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target: ", absl::FormatDuration(target), " must be finite and >= 0"));
  }
  if (!(service_level > 0 && service_level < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "service_level: ", service_level, " must be between 0 and 1"));
  }
  const double a = load->offered;
  const double t = absl::ToDoubleSeconds(target) / load->handling_seconds;
  // Walk c upward, carrying Erlang B along.
  double b = 1;
  for (int c = 1; c <= max_agents; ++c) {
    b = a * b / (c + a * b);
    if (a >= c) continue;
    const double sl = 1 - CFromB(c, a, b) * std::exp(-(c - a) * t);
    if (sl >= service_level) return c;
  }
  return absl::OutOfRangeError(absl::StrCat(
      "more than ", max_agents, " agents are needed to answer ",
      service_level * 100, "% within ", absl::FormatDuration(target),
      " at an offered load of ", a, " erlangs"));
}

double StudentT975(int df) {
  static constexpr double kTable[] = {
      0,      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646,
      2.3060, 2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314,
      2.1199, 2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687,
      2.0639, 2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df < 1) return std::nan("");
  if (df <= 30) return kTable[df];
  // Cornish-Fisher expansion around the normal quantile.
  const double z = 1.959963984540054;
  const double n = df;
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

}  // namespace helpdesk

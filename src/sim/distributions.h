// Internal: random durations for the simulator, drawn by inverse transform so
// that one uniform number per ticket gives comparable durations whichever
// agent or policy handles it (common random numbers).
#ifndef HELPDESK_SRC_SIM_DISTRIBUTIONS_H_
#define HELPDESK_SRC_SIM_DISTRIBUTIONS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "helpdesk/v1/sim.pb.h"

namespace helpdesk::sim_internal {

// A uniform number in (0, 1) from 53 random bits; the same on every platform
// (unlike std::uniform_real_distribution).
inline double UniformOpen(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

// SplitMix64: derives independent seeds from one.
inline uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The standard normal quantile (Acklam's approximation refined by one Halley
// step; relative error below 1e-12). `p` in (0, 1).
double NormalQuantile(double p);

// A compiled SimDistribution.
class Duration {
 public:
  // Errors: InvalidArgument naming `field` and the bad value.
  static absl::StatusOr<Duration> Compile(const v1::SimDistribution& d,
                                          absl::string_view field);

  // The duration, in seconds, at quantile `u` in (0, 1).
  double At(double u) const;
  double Mean() const;

 private:
  enum class Kind { kConstant, kExponential, kLogNormal, kEmpirical };
  Kind kind_ = Kind::kConstant;
  double a_ = 0;  // constant, exponential mean, log-normal mu
  double b_ = 0;  // log-normal sigma
  double mean_ = 0;
  std::vector<double> values_;
};

}  // namespace helpdesk::sim_internal

#endif  // HELPDESK_SRC_SIM_DISTRIBUTIONS_H_

#include "sim/distributions.h"

#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"

namespace helpdesk::sim_internal {

double NormalQuantile(double p) {
  // Acklam's rational approximations.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) *
        q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
          c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step on erfc.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

absl::StatusOr<Duration> Duration::Compile(const v1::SimDistribution& d,
                                           absl::string_view field) {
  Duration out;
  auto bad = [&](absl::string_view sub, double value, absl::string_view rule) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".", sub, ": ", value, " ", rule));
  };
  switch (d.kind_case()) {
    case v1::SimDistribution::kConstantSeconds:
      if (!(d.constant_seconds() >= 0) || !std::isfinite(d.constant_seconds())) {
        return bad("constant_seconds", d.constant_seconds(),
                   "must be finite and >= 0");
      }
      out.kind_ = Kind::kConstant;
      out.a_ = out.mean_ = d.constant_seconds();
      return out;
    case v1::SimDistribution::kExponential:
      if (!(d.exponential().mean_seconds() > 0) ||
          !std::isfinite(d.exponential().mean_seconds())) {
        return bad("exponential.mean_seconds", d.exponential().mean_seconds(),
                   "must be finite and > 0");
      }
      out.kind_ = Kind::kExponential;
      out.a_ = out.mean_ = d.exponential().mean_seconds();
      return out;
    case v1::SimDistribution::kLogNormal: {
      const double mean = d.log_normal().mean_seconds();
      const double sd = d.log_normal().stddev_seconds();
      if (!(mean > 0) || !std::isfinite(mean)) {
        return bad("log_normal.mean_seconds", mean, "must be finite and > 0");
      }
      if (!(sd >= 0) || !std::isfinite(sd)) {
        return bad("log_normal.stddev_seconds", sd, "must be finite and >= 0");
      }
      const double sigma2 = std::log1p((sd / mean) * (sd / mean));
      out.kind_ = Kind::kLogNormal;
      out.a_ = std::log(mean) - sigma2 / 2;
      out.b_ = std::sqrt(sigma2);
      out.mean_ = mean;
      return out;
    }
    case v1::SimDistribution::kEmpirical: {
      if (d.empirical().seconds().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".empirical.seconds: none given"));
      }
      double sum = 0;
      for (int i = 0; i < d.empirical().seconds_size(); ++i) {
        const double v = d.empirical().seconds(i);
        if (!(v >= 0) || !std::isfinite(v)) {
          return bad(absl::StrCat("empirical.seconds[", i, "]"), v,
                     "must be finite and >= 0");
        }
        out.values_.push_back(v);
        sum += v;
      }
      out.kind_ = Kind::kEmpirical;
      out.mean_ = sum / static_cast<double>(out.values_.size());
      return out;
    }
    case v1::SimDistribution::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": no distribution set; set exponential, log_normal, empirical "
             "or constant_seconds"));
}

double Duration::At(double u) const {
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kExponential:
      // log(1 - u) rather than log1p(-u): as exact for a duration (1 - u
      // is exact for u >= 0.5, and off by < 1e-16 below) and faster.
      return -a_ * std::log(1 - u);
    case Kind::kLogNormal:
      return b_ == 0 ? std::exp(a_) : std::exp(a_ + b_ * NormalQuantile(u));
    case Kind::kEmpirical: {
      size_t i = static_cast<size_t>(u * static_cast<double>(values_.size()));
      if (i >= values_.size()) i = values_.size() - 1;
      return values_[i];
    }
  }
  return a_;
}

double Duration::Mean() const { return mean_; }

}  // namespace helpdesk::sim_internal

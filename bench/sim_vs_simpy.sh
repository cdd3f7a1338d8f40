#!/usr/bin/env bash
# The simulator against SimPy on this machine: bench/simpy_mmc.py measures
# SimPy 2.3.1 (Debian's python3-simpy) on the M/M/50 queue of sim_bench, then
# sim_bench's RealVsMinimal runs with that rate, so real_over_simpy and
# real_over_minimal come from one sitting.
#
#   bench/sim_vs_simpy.sh [BUILD_DIR]     # default build/release
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
if [[ ! -x "$build/bench/sim_bench" ]]; then
  echo "sim_vs_simpy: $build/bench/sim_bench not found; build the release preset first" >&2
  exit 2
fi
if ! /usr/bin/python3 -c 'import SimPy.Simulation' 2>/dev/null; then
  echo "sim_vs_simpy: SimPy 2 is missing: apt-get install python3-simpy" >&2
  exit 2
fi
line="$(/usr/bin/python3 bench/simpy_mmc.py 200000)"
echo "$line"
rate="$(sed -n 's/.*simpy_tickets_per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
HELPDESK_SIMPY_TICKETS_PER_S="$rate" \
  "$build/bench/sim_bench" --benchmark_filter=RealVsMinimal

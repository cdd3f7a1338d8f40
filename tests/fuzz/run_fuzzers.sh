#!/usr/bin/env bash
# Runs the libFuzzer targets built by the `fuzz` preset for a fixed time each,
# from their seed corpora, and fails on the first crash, leak, timeout (over
# 1 s on one input) or out-of-memory (over 2 GiB). .ci/run calls it; so can
# you, for a longer run (FUZZ_JOBS targets at once, default one per core):
#
#   tests/fuzz/run_fuzzers.sh build/fuzz 300                  # every target
#   tests/fuzz/run_fuzzers.sh build/fuzz 300 mbox_fuzzer      # one
#
# Seeds, read-only: tests/fuzz/corpus/<target>/ (small hand-written inputs,
# and every input that once broke the target: a crash found is kept here, so
# each run replays it first), the shared e-mail corpus for the e-mail targets
# ($HELPDESK_SHARED_DATA/emails, default ../shared/data/emails; never
# copied) and examples/helpdesk/*.textproto for config_fuzzer. What the
# fuzzer adds goes to a temporary directory, and a crashing input to
# $FUZZ_ARTIFACTS (default: that directory), whose path is printed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:?usage: run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]}"
seconds="${2:?usage: run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]}"
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(email_inbound_fuzzer email_fast_parse_fuzzer mbox_fuzzer json_channels_fuzzer config_fuzzer
           tokens_fuzzer template_fuzzer rules_fuzzer kb_fuzzer calendar_fuzzer)
fi
shared="${HELPDESK_SHARED_DATA:-$root/../shared/data}"
if [ ! -d "$shared/emails" ]; then
  echo "run_fuzzers: no shared e-mail corpus at $shared/emails" >&2
  exit 1
fi
work="$(mktemp -d)"
artifacts="${FUZZ_ARTIFACTS:-$work}"
mkdir -p "$artifacts"
examples="$work/examples"
mkdir -p "$examples"
cp "$root"/examples/helpdesk/*.textproto "$examples/"

# One target: its seeds, then libFuzzer for $seconds; a summary line on
# success, the log's tail and the artifact on failure (exit status 1).
run_one() {
  local target="$1" seeds=() name start runs cov
  case "$target" in
    email_inbound_fuzzer|email_fast_parse_fuzzer|mbox_fuzzer) seeds+=("$shared/emails") ;;
    config_fuzzer) seeds+=("$examples") ;;
  esac
  name="${target%_fuzzer}"
  if [ -d "$root/tests/fuzz/corpus/$name" ]; then
    seeds+=("$root/tests/fuzz/corpus/$name")
  fi
  mkdir -p "$work/$name"
  start=$(date +%s)
  if ! "$build/tests/fuzz/$target" "$work/$name" "${seeds[@]}" \
      -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
      > "$work/$name.log" 2>&1; then
    tail -n 60 "$work/$name.log"
    echo "run_fuzzers: $target FAILED; the input is in $artifacts/$name-*" >&2
    ls -l "$artifacts" | grep -- "$name-" >&2 || true
    return 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
  cov=$(grep -o 'cov: [0-9]*' "$work/$name.log" | tail -n 1)
  echo "run_fuzzers: $target ok: $runs runs in $(( $(date +%s) - start ))s, $cov," \
       "corpus $(ls "$work/$name" | wc -l) new inputs"
}

# Each target is single-threaded: run $FUZZ_JOBS of them at once (default:
# one per core), each for the full $seconds. The first failure fails the run
# once the targets already started have finished.
jobs="${FUZZ_JOBS:-$(nproc)}"
failed=0
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  [ "$failed" -eq 0 ] || break
  run_one "$target" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
if [ "$failed" -ne 0 ]; then
  echo "run_fuzzers: FAILED (the failing target's log is above)" >&2
  exit 1
fi
rm -rf "$work"

# Sourced by the CLI test scripts (cli_test.sh, cli_store_test.sh): the
# counters and the one check they share.
#   check NAME EXPECTED_EXIT PATTERN -- COMMAND...
# runs COMMAND and passes when it exits with EXPECTED_EXIT and its output
# (stdout and stderr) matches the extended regex PATTERN; a failure prints the
# output. finish NAME prints the counts and returns non-zero on any failure.
failures=0
passes=0

check() {
  local name="$1" want="$2" pattern="$3"
  shift 4
  local out rc
  out="$("$@" 2>&1)"
  rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $want), output:"
    sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
}

finish() {
  echo "$1: $passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}

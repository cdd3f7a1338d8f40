#!/usr/bin/env bash
# End-to-end test of `helpdesk migrate` and of the desk lease in `tick` and
# `serve` (issue 17), split from cli_test.sh: a demo desk copied into a new
# SQLite file (and into a new PostgreSQL database when $HELPDESK_TEST_POSTGRES
# names a server) reads the same through the CLI; a non-empty target is
# refused; a `tick` while `serve` holds the lease on the same file skips and
# names the holder, and takes the lease once the holder stopped renewing.
# Usage: cli_store_test.sh PATH_TO_HELPDESK_BINARY
set -uo pipefail
hd="$1"
dir="$(mktemp -d)"
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill -9 "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; fi
  rm -rf "$dir"
}
trap cleanup EXIT
unset HELPDESK_DB HELPDESK_STORE HELPDESK_SLA HELPDESK_ROUTING HELPDESK_RULES
# shellcheck source=cli_check.sh
source "$(dirname "$0")/cli_check.sh"

# same NAME STORE_A STORE_B ARGS...: the command prints the same on both
# (and something).
same() {
  local name="$1" a="$2" b="$3"
  shift 3
  local out_a out_b
  # Versions start again at 1 in a copy (helpdesk/storage/store_copy.h).
  out_a="$("$hd" "$@" --store "$a" 2>&1 | sed -E 's/version [0-9]+/version N/g')"
  out_b="$("$hd" "$@" --store "$b" 2>&1 | sed -E 's/version [0-9]+/version N/g')"
  if [ "$out_a" != "$out_b" ] || [ -z "$out_a" ]; then
    echo "FAIL $name: differs"
    diff <(echo "$out_a") <(echo "$out_b") | head -20 | sed 's/^/    /'
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
}

src="$dir/src.db"
check "demo source" 0 "" -- "$hd" demo --db "$src"
link_out="$("$hd" tracklink 1 --store "$src" 2>&1)"
token="$(sed -nE 's/^tracking link of ticket #1: ([A-Za-z0-9_-]{43})$/\1/p' <<<"$link_out")"
check "tracking token" 0 "." -- echo "$token"

compare_stores() {  # compare_stores LABEL A B
  local label="$1" a="$2" b="$3"
  same "$label list" "$a" "$b" list --status new --status open --status pending --status solved --status closed
  same "$label show 1" "$a" "$b" show 1
  same "$label log 1" "$a" "$b" log 1
  same "$label log 2" "$a" "$b" log 2
  same "$label agents" "$a" "$b" agents
  same "$label outbox" "$a" "$b" outbox
  same "$label quarantine" "$a" "$b" quarantine list --all
  check "$label track" 0 "^#1 " -- "$hd" track "$token" --store "$b"
}

dst="$dir/dst.db"
check "migrate sqlite to sqlite" 0 "migrate: copied [1-9][0-9]* tickets, .* time entries, .* articles" -- \
  "$hd" migrate --from "$src" --to "$dst"
compare_stores "sqlite" "$src" "$dst"
check "migrate into a non-empty target" 1 "FAILED_PRECONDITION.*is not empty" -- \
  "$hd" migrate --from "$src" --to "$dst"
check "migrate forced into a non-empty target" 1 "(ALREADY_EXISTS|FAILED_PRECONDITION).*nothing was written" -- \
  "$hd" migrate --from "$src" --to "$dst" --allow-non-empty
same "sqlite list after refusals" "$src" "$dst" list --status new --status open --status pending
check "migrate from a missing file" 1 "NOT_FOUND" -- \
  "$hd" migrate --from "$dir/missing.db" --to "$dir/other.db"
check "migrate into itself" 1 "INVALID_ARGUMENT.*same store" -- \
  "$hd" migrate --from "$src" --to "$src"
check "migrate help" 0 "Not copied: versions" -- "$hd" migrate --help

if [ -n "${HELPDESK_TEST_POSTGRES:-}" ]; then
  # A new database on the test server for the copy.
  db="hd_cli_migrate_$$"
  if psql "$HELPDESK_TEST_POSTGRES" -qc "CREATE DATABASE $db" > /dev/null 2>&1; then
    pg="$(sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$db#" <<<"$HELPDESK_TEST_POSTGRES")"
    check "migrate sqlite to postgresql" 0 "migrate: copied [1-9]" -- \
      "$hd" migrate --from "$src" --to "$pg"
    compare_stores "postgresql" "$src" "$pg"
    check "migrate postgresql to sqlite" 0 "not copied from PostgreSQL" -- \
      "$hd" migrate --from "$pg" --to "$dir/back.db"
    same "postgresql round trip list" "$src" "$dir/back.db" list --status new --status open
    psql "$HELPDESK_TEST_POSTGRES" -qc "DROP DATABASE $db" > /dev/null 2>&1
  else
    echo "FAIL cannot create database $db on \$HELPDESK_TEST_POSTGRES"
    failures=$((failures + 1))
  fi
else
  echo "SKIP migrate to PostgreSQL: \$HELPDESK_TEST_POSTGRES is not set"
fi

# --- The desk lease -----------------------------------------------------------
check "tick takes the free lease" 0 "evaluated [0-9]+ tickets" -- \
  "$hd" tick --store "$dst" --lease-holder cli-a
check "tick again (the lease was released on exit)" 0 "evaluated [0-9]+ tickets" -- \
  "$hd" tick --store "$dst" --lease-holder cli-b
check "tick bad ttl" 1 "INVALID_ARGUMENT.*--lease-ttl" -- \
  "$hd" tick --store "$dst" --lease-ttl 0
check "tick help" 0 "--lease-holder NAME" -- "$hd" tick --help

if "$hd" serve --help > /dev/null 2>&1; then
  port=$((20000 + RANDOM % 20000))
  "$hd" serve --store "$dst" --listen "127.0.0.1:$port" --lease-holder serve-a \
    --lease-ttl 600 2> "$dir/serve.log" &
  serve_pid=$!
  for _ in $(seq 1 100); do
    grep -q '"event":"lease".*"held":true' "$dir/serve.log" && break
    sleep 0.1
  done
  check "serve holds the lease" 0 '"holder":"serve-a"' -- cat "$dir/serve.log"
  check "tick while serve holds the lease" 0 \
    "tick skipped: the desk lease 'helpdesk.desk' is held by serve-a \(this process is cli-b\)" -- \
    "$hd" tick --store "$dst" --lease-holder cli-b
  # The holder dies without releasing: the lease moves once its ttl ran out
  # (a clock 10 years ahead stands for the wait).
  kill -9 "$serve_pid"
  wait "$serve_pid" 2>/dev/null
  serve_pid=""
  check "tick while the dead holder's lease runs" 0 "skipped: .* held by serve-a" -- \
    "$hd" tick --store "$dst" --lease-holder cli-b
  check "tick after the dead holder's lease ran out" 0 "evaluated [0-9]+ tickets" -- \
    env HELPDESK_NOW="2036-01-01 00:00" "$hd" tick --store "$dst" --lease-holder cli-b
else
  echo "SKIP serve and the lease: this helpdesk has no serve command"
fi

finish cli_store

#!/usr/bin/env bash
# End-to-end test of the helpdesk CLI on a SQLite file: every subcommand, the
# refusals a user meets (stale version, unknown status, not a database), and
# that a refused command leaves the file as it was.
# Usage: cli_test.sh PATH_TO_HELPDESK_BINARY [SHARED_DATA_DIR]
set -uo pipefail
hd="$1"
shared="${2:-}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
export HELPDESK_DB="$dir/desk.db"
# shellcheck source=cli_check.sh
source "$(dirname "$0")/cli_check.sh"

check "list before init" 1 "NOT_FOUND.*helpdesk init" -- "$hd" list
check "init" 0 "helpdesk database ready" -- "$hd" init
check "group add" 0 "group 1 Support" -- "$hd" group add Support
check "agent add" 0 "agent 1 Bob <bob@example.com>" -- \
  "$hd" agent add --name Bob --email Bob@Example.com --group Support
check "agent unknown group" 1 "no group is named 'Nope'" -- \
  "$hd" agent add --name X --email x@example.com --group Nope
check "create" 0 "created ticket #1 \(version 1\)" -- \
  "$hd" create --requester ada@example.com --subject "VPN drops" --body "Every hour" \
  --priority high --group Support --tag vpn
check "create bad priority" 1 "INVALID_ARGUMENT: --priority 'critical' is not a priority" -- \
  "$hd" create --requester ada@example.com --subject "x" --priority critical
check "create empty subject" 1 "subject must not be empty" -- \
  "$hd" create --requester ada@example.com --subject " "
check "reply" 0 "added message 2 to ticket #1" -- \
  "$hd" reply 1 --agent bob@example.com --body "Which version?"
check "note" 0 "added message 3" -- "$hd" note 1 --agent bob@example.com --body "Known bug"
check "update" 0 "ticket #1 is at version 4" -- \
  "$hd" update 1 --agent bob@example.com --status pending --assignee bob@example.com \
  --version 3
check "stale update" 1 "ABORTED: ticket 1: expected version 3, stored version 4" -- \
  "$hd" update 1 --status open --version 3
check "unknown status" 1 "status 'frozen' is not a status" -- "$hd" update 1 --status frozen
check "customer comment reopens" 0 "added message 4" -- \
  "$hd" comment 1 --requester ada@example.com --body "4.2"
check "show as agent" 0 "internal note from Bob" -- "$hd" show 1
check "show status reopened" 0 "status open, priority high" -- "$hd" show 1
check "show sticky agent" 0 "assignee Bob; sticky agent Bob" -- "$hd" show 1
out="$("$hd" show 1 --as ada@example.com 2>&1)"
if grep -q "internal note" <<<"$out"; then
  echo "FAIL customer view shows an internal note"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi
check "create second" 0 "created ticket #2" -- \
  "$hd" create --requester ada@example.com --subject "VPN again" --body "dup"
check "new ticket keeps the sticky agent" 0 "assignee -; sticky agent Bob" -- "$hd" show 2
check "merge" 0 "merged #2 into #1" -- "$hd" merge 2 1
check "merge into merged" 1 "FAILED_PRECONDITION.*merged into ticket 1" -- "$hd" merge 1 2
check "list queue" 0 "#1 +open +high +Support +Bob" -- "$hd" list
check "list search" 0 "VPN drops" -- "$hd" list --search vpn --all
check "log" 0 "merged_from by system \(#2\)" -- "$hd" log 1
check "missing ticket" 1 "NOT_FOUND: ticket 99 not found" -- "$hd" show 99
check "bad ticket number" 1 "'abc' is not a ticket number" -- "$hd" show abc
check "unknown command" 2 "unknown command 'frobnicate'" -- "$hd" frobnicate

# Tracking links (issue 15): ticket 1 is Ada's (ticket 2 was merged into it).
link_out="$("$hd" tracklink 1 --as ada@example.com 2>&1)"
token="$(sed -nE 's/^tracking link of ticket #1: ([A-Za-z0-9_-]{43})$/\1/p' <<<"$link_out")"
if [ -z "$token" ]; then
  echo "FAIL tracklink printed no token:"; sed 's/^/    /' <<<"$link_out"
  failures=$((failures + 1))
else
  passes=$((passes + 1))
fi
check "track shows subject and status" 0 "^#1 VPN drops" -- "$hd" track "$token"
check "track shows the status" 0 "status open" -- "$hd" track "$token"
check "track shows the agent's reply" 0 "reply from the help desk" -- "$hd" track "$token"
out="$("$hd" track "$token" 2>&1)"
if grep -q "Known bug" <<<"$out"; then
  echo "FAIL track shows an internal note"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi
if grep -qF -- "$token" "$HELPDESK_DB" "$HELPDESK_DB-wal" 2>/dev/null; then
  echo "FAIL the tracking token is in the database file"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi
check "tracklink twice" 1 "ALREADY_EXISTS.*rotate" -- "$hd" tracklink 1
check "tracklink by a stranger" 1 "NOT_FOUND|PERMISSION_DENIED" -- \
  "$hd" tracklink 1 --as nobody@example.com
check "tracklink on a merged ticket" 1 "FAILED_PRECONDITION.*merged into ticket 1" -- \
  "$hd" tracklink 2 --agent bob@example.com
check "tracklink rotate" 0 "tracking link of ticket #1: " -- \
  "$hd" tracklink 1 --agent bob@example.com --rotate
check "rotated token is refused" 1 "NOT_FOUND: tracking link not found" -- "$hd" track "$token"
check "tampered token is refused" 1 "NOT_FOUND: tracking link not found" -- \
  "$hd" track "${token%?}$( [ "${token: -1}" = A ] && echo B || echo A )"
check "garbage token is refused" 1 "NOT_FOUND: tracking link not found" -- "$hd" track "contraseña"
check "track without a token" 1 "INVALID_ARGUMENT: TOKEN" -- "$hd" track
check "tracklink revoke" 0 "revoked the tracking link of ticket #1" -- \
  "$hd" tracklink 1 --as ada@example.com --revoke
check "tracklink revoke again" 0 "had no tracking link" -- "$hd" tracklink 1 --revoke

# Every command's --help (the list from `helpdesk --help`): exit 0, the
# command's usage, and no database opened or created (run in an empty
# directory, where the default ./helpdesk.db would appear).
helpdir="$(mktemp -d)"
commands="$(cd "$helpdir" && env -u HELPDESK_DB "$hd" --help | sed -nE 's/^  ([a-z]+) .*/\1/p')"
if [ "$(wc -w <<<"$commands")" -lt 24 ]; then
  echo "FAIL helpdesk --help lists too few commands:"; echo "$commands"
  failures=$((failures + 1))
fi
for cmd in $commands; do
  check "$cmd --help" 0 "^usage: helpdesk $cmd" -- \
    env -u HELPDESK_DB -C "$helpdir" "$hd" "$cmd" --help
  check "help $cmd" 0 "^usage: helpdesk $cmd" -- env -u HELPDESK_DB -C "$helpdir" "$hd" help "$cmd"
done
check "sub-command --help" 0 "agent presence EMAIL" -- \
  env -u HELPDESK_DB -C "$helpdir" "$hd" agent add --name X --help
if [ -n "$(ls -A "$helpdir")" ]; then
  echo "FAIL --help created files:"; ls -A "$helpdir"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi
rm -rf "$helpdir"

before="$(sha256sum "$HELPDESK_DB" | cut -d' ' -f1)"
check "refused write" 1 "FAILED_PRECONDITION" -- "$hd" reply 2 --agent bob@example.com --body x
after="$(sha256sum "$HELPDESK_DB" | cut -d' ' -f1)"
if [ "$before" != "$after" ]; then
  echo "FAIL a refused command changed the database file"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi

: > "$dir/empty.db"
check "empty file is not a database" 1 "FAILED_PRECONDITION.*empty.db.*not a helpdesk database" -- "$hd" list --db "$dir/empty.db"
if [ -s "$dir/empty.db" ]; then
  echo "FAIL list turned an empty file into a database"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi

printf 'just text, not a database\n' > "$dir/notes.txt"
check "not a database" 1 "INVALID_ARGUMENT.*notes.txt" -- "$hd" list --db "$dir/notes.txt"
if [ "$(cat "$dir/notes.txt")" != "just text, not a database" ]; then
  echo "FAIL the non-database file was modified"; failures=$((failures + 1))
else
  passes=$((passes + 1))
fi

# Terminal escapes from a customer: a subject, body, tag and agent name with
# ESC ] 0 ; title BEL (retitles the window), ESC [2J (clears the screen), a
# bare CR, a backspace, a C1 CSI (U+009B) and U+202E (right-to-left
# override) must reach the terminal escaped, never raw.
export HELPDESK_DB="$dir/escape.db"
"$hd" init >/dev/null
evil=$'Hi \e]0;pwned\a \e[2J back\rX \u202egnp.exe \xc2\x9b31m \x08end'
"$hd" agent add --name $'Eve\e[2J' --email eve@example.com >/dev/null
"$hd" create --requester ada@example.com --subject "$evil" --body "$evil"$'\nline 2' \
  --tag $'x\e]0;t\a' --assignee eve@example.com >/dev/null
"$hd" update 1 --subject "$evil again" >/dev/null
routing_policy="$(dirname "$0")/../examples/helpdesk/routing.textproto"
"$hd" create --requester ada@example.com --subject "$evil" --routing "$routing_policy" >/dev/null
# Control bytes other than \n (and \t in bodies); C1 controls in UTF-8; the
# bidi embeddings, overrides and isolates.
raw_controls=$'[\x01-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]'
for cmd in "list" "list --all --search Hi" "show 1" "show 1 --as ada@example.com" "log 1" \
  "agents" "queue --routing $routing_policy"; do
  # shellcheck disable=SC2086
  out="$("$hd" $cmd 2>&1)"
  if LC_ALL=C grep -qP -- "$raw_controls" <<<"$out"; then
    echo "FAIL $cmd prints raw control characters:"; od -c <<<"$out" | head -20
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
done
check "list shows escapes" 0 'Hi \\x1b\]0;pwned\\x07 \\x1b\[2J back\\rX \\u202egnp' -- "$hd" list
check "show shows escapes" 0 '\\u009b31m \\x08end' -- "$hd" show 1
check "show keeps the body's lines" 0 '^    line 2$' -- "$hd" show 1
check "log shows escapes" 0 'tags: \(none\) -> x\\x1b\]0;t\\x07' -- "$hd" log 1
check "agents shows escapes" 0 'Eve\\x1b\[2J' -- "$hd" agents
check "queue shows escapes" 0 '#2 .* Hi \\x1b\]0;pwned\\x07' -- "$hd" queue --routing "$routing_policy"
export HELPDESK_DB="$dir/desk.db"

check "demo" 0 "== Audit log of #1" -- "$hd" demo --db "$dir/demo.db"
check "demo refuses existing file" 1 "wants a fresh database" -- "$hd" demo --db "$dir/demo.db"

scenario="$(dirname "$0")/../examples/helpdesk/scenario.textproto"
check "sim" 0 "helpdesk.least_loaded +[0-9]+" -- "$hd" sim "$scenario" --svg "$dir/sim.svg" \
  --csv "$dir/sim.csv"
if grep -q "<svg" "$dir/sim.svg" && grep -q "^policy,metric,mean,ci95" "$dir/sim.csv"; then
  passes=$((passes + 1))
else
  echo "FAIL sim did not write the SVG chart and the CSV"; failures=$((failures + 1))
fi
offers="$(dirname "$0")/../examples/helpdesk/offers.textproto"
check "sim offers and pull" 0 "offers \(declined and timed out" -- "$hd" sim "$offers"
printf 'duration_seconds: 60\nrate_per_minute: 3\n' > "$dir/bad.textproto"
check "sim bad scenario" 1 "line 2, column .*rate_per_minute" -- "$hd" sim "$dir/bad.textproto"
check "erlang" 0 "P\(wait\) 0\.48" -- "$hd" erlang --rate 100 --aht 300 --agents 10
check "erlang unstable" 1 "FAILED_PRECONDITION" -- "$hd" erlang --rate 100 --aht 400 --agents 10
# Numbers are parsed strictly: the whole text, decimal, in range; the error
# names the flag and the value. (erlang --agents 99999999999 printed
# -2147483648, 10.5 became 10 and 0x10 was 16.)
for bad in 99999999999 10.5 0x10 " 10" +10 10x 0 -1 ""; do
  quoted="$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$bad")"
  check "erlang --agents '$bad'" 1 "INVALID_ARGUMENT: --agents '$quoted' is not a whole number from 1 to 100000" -- \
    "$hd" erlang --rate 100 --aht 300 --agents "$bad"
done
for bad in 0x10 inf nan 1e2 -5 " 100" 100. .5 1e999; do
  quoted="$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$bad")"
  check "erlang --rate '$bad'" 1 "INVALID_ARGUMENT: --rate '$quoted' is not a decimal number from 0 to 1000000000" -- \
    "$hd" erlang --rate "$bad" --aht 300 --agents 10
done
check "erlang --aht too long" 1 "--aht '99999999999' is not a decimal number" -- \
  "$hd" erlang --rate 100 --aht 99999999999 --agents 10
check "erlang --target hex" 1 "--target '0x14' is not a decimal number" -- \
  "$hd" erlang --rate 100 --aht 300 --agents 10 --target 0x14
check "erlang decimal rate" 0 "utilisation 0\.838" -- "$hd" erlang --rate 100.5 --aht 300 --agents 10
check "erlang needs --agents" 1 "--agents is required" -- "$hd" erlang --rate 100 --aht 300
check "list --limit hex" 1 "--limit '0x10' is not a whole number from 1 to 1000" -- "$hd" list --limit 0x10
check "list --limit too big" 1 "--limit '99999999999' is not a whole number" -- "$hd" list --limit 99999999999
check "list --limit" 0 "#1 " -- "$hd" list --limit 1 --all
check "ticket number with a sign" 1 "'\+1' is not a ticket number" -- "$hd" show +1
check "ticket number with a space" 1 "' 1' is not a ticket number" -- "$hd" show " 1"
check "ticket number too big" 1 "'99999999999999999999' is not a ticket number" -- \
  "$hd" show 99999999999999999999
check "version fraction" 1 "--version '3.5' is not a version number" -- \
  "$hd" update 1 --status open --version 3.5
check "capacity hex" 1 "--capacity 'email:0x10' is not CHANNEL:N .*from 0 to 10000" -- \
  "$hd" agent add --name Hex --email hex@example.com --capacity email:0x10
check "capacity too big" 1 "--capacity 'email:99999999999' is not CHANNEL:N" -- \
  "$hd" agent add --name Big --email big@example.com --capacity email:99999999999
check "skill level fraction" 1 "--skill 'spanish:4.5' is not NAME:LEVEL .*from 1 to 10" -- \
  "$hd" agent add --name Frac --email frac@example.com --skill spanish:4.5
check "outbox replay hex" 1 "ENTRY '0x1' is not a whole number" -- "$hd" outbox replay 0x1
check "sim --max-tickets hex" 1 "--max-tickets '0x10' is not a whole number" -- \
  "$hd" sim "$scenario" --max-tickets 0x10
# The run's budget: the estimate and the budget in the refusal.
check "sim over its ticket budget" 1 \
  "RESOURCE_EXHAUSTED: the run would simulate about 5\.952e\+04 tickets .*above the budget of 1000 tickets" -- \
  "$hd" sim "$scenario" --max-tickets 1000
check "sim over its memory budget" 1 "RESOURCE_EXHAUSTED: the run could need about .* MiB .*above the budget of 1 MiB" -- \
  "$hd" sim "$scenario" --max-memory-mb 1
cat > "$dir/huge.textproto" <<'HUGE'
duration_seconds: 315360000
replications: 1000
ticket_types { name: "q" channel: CHANNEL_EMAIL handling_time { exponential { mean_seconds: 60 } } }
arrivals { ticket_type: "q" rate_per_hour: 10000000 }
agents { name: "a" count: 8 capacity { channel: CHANNEL_EMAIL max_items: 1 } }
HUGE
check "sim refuses a huge run at once" 1 "about 8\.76e\+14 tickets .*above the budget of 100000000" -- \
  timeout 20 "$hd" sim "$dir/huge.textproto"
cat > "$dir/wrap.textproto" <<'WRAP'
duration_seconds: 600
ticket_types { name: "q" channel: CHANNEL_EMAIL handling_time { exponential { mean_seconds: 60 } } }
arrivals { ticket_type: "q" rate_per_hour: 10 }
agents { name: "a" count: 8 capacity { channel: CHANNEL_EMAIL max_items: 1 } }
agents { name: "b" count: 2147483647 capacity { channel: CHANNEL_EMAIL max_items: 1 } }
WRAP
check "sim agent counts that would wrap" 1 "agents\[1\]\.count: 2147483647 brings the agents to 2147483655" -- \
  timeout 20 "$hd" sim "$dir/wrap.textproto"
sed 's/rate_per_hour: 10 }/rate_per_hour: 1e300 }/' "$dir/wrap.textproto" > "$dir/rate.textproto"
check "sim unbounded rate" 1 "rate_per_hour: 1e\+300 is above the limit" -- \
  timeout 20 "$hd" sim "$dir/rate.textproto"

# An mbox (mboxrd): three messages, one reply threading into the first, one
# with a quoted ">From " body line; then the same file again (duplicates).
export HELPDESK_DB="$dir/mbox.db"
"$hd" init >/dev/null
cat > "$dir/inbox.mbox" <<'MBOX'
From ada@example.com Mon Jan  5 09:00:00 2026
From: Ada <ada@example.com>
To: help@desk.example
Subject: Printer jam
Message-ID: <m1@example.com>

Tray 2 is stuck.
>From the start of the week.

From grace@example.com Mon Jan  5 09:05:00 2026
From: Grace <grace@example.com>
To: help@desk.example
Subject: VPN
Message-ID: <m2@example.com>

It drops.

From ada@example.com Mon Jan  5 09:10:00 2026
From: Ada <ada@example.com>
To: help@desk.example
Subject: Re: Printer jam
Message-ID: <m3@example.com>
In-Reply-To: <m1@example.com>

Still stuck.
MBOX
check "ingest mbox" 0 "inbox.mbox#3: added to ticket #1" -- "$hd" ingest --mbox "$dir/inbox.mbox"
check "ingest mbox counts" 0 "3 of 3 messages ingested" -- "$hd" ingest --mbox "$dir/inbox.mbox"
check "ingest mbox again is duplicate" 0 "inbox.mbox#2: duplicate" -- \
  "$hd" ingest --mbox "$dir/inbox.mbox"
check "mbox From_ line unquoted" 0 "(^|[^>])From the start of the week" -- "$hd" show 1
check "ingest mbox second ticket" 0 "VPN" -- "$hd" show 2
printf 'Subject: not an mbox\n\nhi\n' > "$dir/not.mbox"
check "ingest not an mbox" 1 "INVALID_ARGUMENT: mbox: the first line" -- \
  "$hd" ingest --mbox "$dir/not.mbox"
# A Maildir: both messages land, in one batch, and are marked processed.
mkdir -p "$dir/Maildir/new" "$dir/Maildir/cur" "$dir/Maildir/tmp"
printf 'From: Linus <linus@example.com>\nSubject: Laptop\nMessage-ID: <d1@example.com>\n\nBroken.\n' \
  > "$dir/Maildir/new/1.host"
printf 'From: Linus <linus@example.com>\nSubject: Re: Laptop\nMessage-ID: <d2@example.com>\nIn-Reply-To: <d1@example.com>\n\nStill.\n' \
  > "$dir/Maildir/new/2.host"
check "ingest maildir" 0 "2.host: added to ticket #3" -- "$hd" ingest --maildir "$dir/Maildir"
check "ingest maildir marks them processed" 0 "0 of 0 messages ingested" -- \
  "$hd" ingest --maildir "$dir/Maildir"

# Nothing a mailbox accepted is lost: a message the desk cannot take is
# quarantined (named, with the reason), the run exits 1, the message is marked
# done only once the desk holds it, and staff list, show and discard it.
printf 'From: Grace <grace@example.com>\nSubject: Huge\nMessage-ID: <big@example.com>\n\n%s\n' \
  "$(head -c 3000 /dev/zero | tr '\0' x)" > "$dir/Maildir/new/3.host"
printf 'From: "john smith"@example.com\nSubject: Quoted\nMessage-ID: <q1@example.com>\n\nHi\n' \
  > "$dir/Maildir/new/4.host"
check "ingest quarantines what it cannot take" 1 \
  "3.host: QUARANTINED as entry 1: .*over the limit of 2000 bytes" -- \
  "$hd" ingest --maildir "$dir/Maildir" --max-bytes 2000
check "ingest takes a quoted local part" 0 "requester .*<\"john smith\"@example.com>" -- "$hd" show 4
check "ingest marks quarantined mail done" 0 "0 of 0 messages ingested" -- \
  "$hd" ingest --maildir "$dir/Maildir" --max-bytes 2000
check "quarantine list" 0 "^1 +held .*3.host .*RESOURCE_EXHAUSTED" -- "$hd" quarantine
check "quarantine show" 0 "reason +.*3.host.* is [0-9]+ bytes, over the limit" -- \
  "$hd" quarantine show 1
check "quarantine retry without bytes" 1 "holds no bytes.*3.host" -- "$hd" quarantine retry 1
check "quarantine discard" 0 "entry 1 discarded" -- "$hd" quarantine discard 1 --note "too big"
check "quarantine list after discard" 0 "nothing quarantined" -- "$hd" quarantine
check "quarantine list --all" 0 "^1 +discarded" -- "$hd" quarantine --all
check "quarantine bad entry" 1 "ENTRY 'x'" -- "$hd" quarantine show x

emails="$shared/emails/mikel-mail"
if [ -n "$shared" ] && [ -d "$emails" ]; then
  export HELPDESK_DB="$dir/mail.db"
  "$hd" init >/dev/null
  check "ingest eml" 0 "new ticket #1" -- "$hd" ingest --desk-email help@desk.example --ack \
    --eml "$emails/rfc2822/example05.eml"
  check "ingest reply threads" 0 "added to ticket #1" -- "$hd" ingest \
    --eml "$emails/rfc2822/example06.eml"
  check "ingest bounce" 0 "automatic mail recorded, not answered" -- "$hd" ingest \
    --eml "$emails/multipart_report_emails/report_530.eml"
  check "ingest duplicate" 0 "duplicate" -- "$hd" ingest --eml "$emails/rfc2822/example05.eml"
  check "outbox lists the acknowledgement" 0 "pending .*to jdoe@machine.example" -- \
    "$hd" outbox
  mkdir -p "$dir/sent"
  check "outbox send" 0 "1 delivered" -- "$hd" outbox send --maildir "$dir/sent" \
    --desk-email help@desk.example
  if grep -rq "Auto-Submitted: auto-replied" "$dir/sent/new"; then
    passes=$((passes + 1))
  else
    echo "FAIL the acknowledgement in the Maildir is not marked Auto-Submitted"
    failures=$((failures + 1))
  fi
else
  if [ -n "${HELPDESK_REQUIRE_SHARED_DATA:-}" ] && [ "${HELPDESK_REQUIRE_SHARED_DATA}" != 0 ]; then
    echo "FAIL cli: shared e-mail corpus not found at '$emails' (HELPDESK_REQUIRE_SHARED_DATA is set)"
    failures=$((failures + 1))
  else
    echo "cli: shared e-mail corpus not found; skipping the ingest checks"
  fi
fi

# Routing: a fresh database, the sample policy (skills with relaxation).
export HELPDESK_DB="$dir/routing.db"
routing="$(dirname "$0")/../examples/helpdesk/routing.textproto"
"$hd" init >/dev/null
"$hd" group add Support >/dev/null
check "agent add with skills and capacity" 0 "agent 1 Ana" -- "$hd" agent add --name Ana \
  --email ana@x.example --group Support --skill spanish:5 --capacity api:2
check "agent add with a backup" 0 "agent 2 Bo" -- "$hd" agent add --name Bo \
  --email bo@x.example --group Support --capacity api:2 --backup ana@x.example
check "agent add bad capacity" 1 "'fax' is not a channel" -- "$hd" agent add --name X \
  --email x@x.example --capacity fax:2
check "agent add bad skill" 1 "--skill 'spanish' is not NAME:LEVEL" -- "$hd" agent add \
  --name X --email x@x.example --skill spanish
check "routed create waits" 0 "created ticket #1" -- "$hd" create --routing "$routing" \
  --requester c@x.example --subject hola --group Support --tag skill:spanish:3
check "queue shows it" 0 "1 waiting.*" -- "$hd" queue --routing "$routing"
check "presence routes it" 0 "Ana is online" -- \
  "$hd" agent presence ana@x.example online --routing "$routing"
check "log shows why" 0 "why: .*agent 1 .*spanish>=3" -- "$hd" log 1
check "decline" 0 "Ana gave back #1; now with -" -- \
  "$hd" decline 1 --agent ana@x.example --routing "$routing"
check "pull finds nothing for Ana again" 1 "NOT_FOUND: agent 1: no queued ticket" -- \
  "$hd" next --agent ana@x.example --routing "$routing"
check "agent log" 0 "presence: offline -> online" -- "$hd" agent log ana@x.example
check "agents shows presence" 0 "Ana .* online" -- "$hd" agents
# Replay (issue 16): the desk's own history as a simulator scenario. Ana is
# online from now on, so a period running two days ahead has her on shift.
today="$(date -u +%F)"
later="$(date -u -d '+2 days' +%F)"
check "sim from history" 0 "skills" -- "$hd" sim --from-history --since "$today" \
  --until "$later" --policy fifo --policy skills --replications 2 \
  --scenario-out "$dir/history.textproto"
if grep -q 'name: "question-' "$dir/history.textproto" 2>/dev/null ||
   grep -q 'name: "other-' "$dir/history.textproto" 2>/dev/null; then
  passes=$((passes + 1))
else
  echo "FAIL sim --from-history did not write the derived scenario"; failures=$((failures + 1))
fi
check "sim from history needs --since" 1 "--since is required" -- "$hd" sim --from-history
check "sim from history backwards" 1 "until: .* is not after since" -- \
  "$hd" sim --from-history --since 2026-02-01 --until 2026-01-01
check "sim from history without tickets" 1 "no ticket was created" -- \
  "$hd" sim --from-history --since 2000-01-01 --until 2000-02-01
check "sim from history bad policy" 1 "--policy 'random' is not a policy" -- \
  "$hd" sim --from-history --since "$today" --policy random
check "routing commands need a policy" 1 "does not route" -- "$hd" queue
printf 'skills { relaxations { after_seconds: -5 } }\n' > "$dir/bad.textproto"
check "bad policy" 1 "routing.policy.*after_seconds" -- "$hd" queue --routing "$dir/bad.textproto"
printf 'skils {}\n' > "$dir/typo.textproto"
check "policy typo" 1 "typo.textproto:1:7: .*no field named \"skils\"" -- "$hd" queue --routing "$dir/typo.textproto"

# Reports (issue 16): a period's figures from the audit log, CSV and a chart.
today="$(date -u +%F)"
tomorrow="$(date -u -d tomorrow +%F)"
check "report created" 0 "total +created +count +[1-9]" -- \
  "$hd" report created,first_reply --from "$today" --to "$tomorrow"
check "report csv" 0 "^row,metric,statistic,value" -- \
  "$hd" report all --from "$today" --to "$tomorrow" --group-by group --csv -
check "report svg" 0 "backlog" -- \
  "$hd" report backlog --from "$today" --to "$tomorrow" --step-hours 1 --svg "$dir/backlog.svg"
if ! grep -q "^<svg xmlns" "$dir/backlog.svg" 2>/dev/null; then
  echo "FAIL report svg: no SVG written"; failures=$((failures + 1))
fi
check "report unknown metric" 1 "INVALID_ARGUMENT: metric \"speed\"" -- \
  "$hd" report speed --from "$today" --to "$tomorrow"
check "report unknown grouping" 1 "group_by \"colour\"" -- \
  "$hd" report all --from "$today" --to "$tomorrow" --group-by colour
check "report backwards period" 1 "is before from" -- \
  "$hd" report all --from "$tomorrow" --to "$today"
# The knowledge base: add, publish, search (accents, stems, visibility), suggest.
check "kb add" 0 "article 1 \\(es, draft\\)" -- "$hd" kb add --locale es --title "Descargar facturas" \
  --body "Entra en **Facturación** y pulsa <script>x</script> Descargar." --tag facturas
check "kb draft is not found" 0 "^0 articles" -- "$hd" kb search facturacion --locale es
check "kb publish" 0 "article 1 \\(es\\) published" -- "$hd" kb publish 1
check "kb search folds accents" 0 "<mark>Facturación</mark>" -- "$hd" kb search facturacion --locale es
check "kb search stems" 0 "1 \\[es\\] Descargar facturas" -- "$hd" kb search factura --locale es
check "kb agents only" 0 "article 2" -- "$hd" kb add --locale es --title "Facturas internas" \
  --body "Procedimiento" --visibility agents --agent ana@x.example
check "kb publish agents only" 0 "published" -- "$hd" kb publish 2 --agent ana@x.example
check "kb anonymous sees public only" 0 "^1 articles" -- "$hd" kb search facturas --locale es
check "kb agent sees both" 0 "^2 articles" -- "$hd" kb search facturas --locale es --agent ana@x.example
check "kb hostile query" 0 "^1 articles" -- "$hd" kb search 'facturas OR title: NEAR( "' --locale es
check "kb suggest" 0 "title matches 'factura'" -- "$hd" kb suggest "¿Dónde está mi factura?" --locale es
# Automation (issue 14): rule files checked with the rule's name and
# position; a trigger that routes; the dry run; a macro in one command.
export HELPDESK_DB="$dir/automation.db"
check "automation init" 0 "helpdesk database ready" -- "$hd" init
check "automation group" 0 "group 1 Billing" -- "$hd" group add Billing
check "automation agent" 0 "agent 1 Cy" -- "$hd" agent add --name Cy --email cy@example.com --group Billing
cat > "$dir/rules.textproto" <<'RULES'
rules {
  name: "route billing"
  on { kind: TICKET_CREATED }
  all { field: "tags" op: "contains" value: "billing" }
  actions { set_group: 1 }
}
rules {
  name: "close solved"
  automation { since: SOLVED hours: 168 }
  actions { set_status: "closed" }
}
RULES
check "rules check" 0 "ok: 1 triggers, 1 automations" -- "$hd" rules check "$dir/rules.textproto"
printf 'rules {\n  name: "bad"\n  on { kind: TICKET_CREATED }\n  all { field: "colour" op: "is" value: "red" }\n  actions { set_group: 1 }\n}\n' > "$dir/bad_rules.textproto"
check "rules check names rule and position" 1 "rule 'bad' \(line 4, column [0-9]+\).*colour" -- \
  "$hd" rules check "$dir/bad_rules.textproto"
cat > "$dir/templates.txt" <<'TEMPLATES'
@template thanks
Thanks {{contact.name | default: "there"}}, we are on it.
@macro escalate priority=urgent add-tag=escalated reply=thanks
TEMPLATES
check "trigger routes on create" 0 "created ticket #1" -- \
  "$hd" create --requester dan@example.com --subject "Invoice" --body "Wrong" --tag billing \
  --rules "$dir/rules.textproto" --templates "$dir/templates.txt"
check "routed by the rule" 0 "rule: route billing" -- "$hd" log 1 --rules "$dir/rules.textproto"
check "rules explain" 0 "FIRES +route billing" -- \
  "$hd" rules explain 1 --rules "$dir/rules.textproto" --agent cy@example.com
check "macro apply" 0 "applied macro 'escalate' to #1" -- \
  "$hd" macro apply 1 escalate --agent cy@example.com --templates "$dir/templates.txt" \
  --rules "$dir/rules.textproto"
check "macro reply shown" 0 "Thanks dan, we are on it" -- "$hd" show 1
check "unknown macro" 1 "NOT_FOUND: macro 'nope'" -- \
  "$hd" macro apply 1 nope --templates "$dir/templates.txt"

# Business-hours rules from the CLI: named calendars come from --calendars
# FILE (SlaConfig text) or the --sla file; without them the rule is refused.
cat > "$dir/calendars.textproto" <<'CALENDARS'
calendars {
  name: "london"
  time_zone: "Europe/London"
  weekly_hours {
    days: [ WEEKDAY_MONDAY, WEEKDAY_TUESDAY, WEEKDAY_WEDNESDAY, WEEKDAY_THURSDAY,
            WEEKDAY_FRIDAY ]
    intervals { open: "09:00" close: "17:00" }
  }
}
CALENDARS
cat > "$dir/bh_rules.textproto" <<'RULES'
rules {
  name: "remind pending"
  automation { since: PENDING hours: 48 calendar: "london" }
  actions { add_tags { tags: ["reminded"] } }
}
RULES
check "business-hours rule without calendars" 1 "remind pending.*london" -- \
  "$hd" rules check "$dir/bh_rules.textproto"
check "business-hours rule with --calendars" 0 "ok: 0 triggers, 1 automations" -- \
  "$hd" rules check "$dir/bh_rules.textproto" --calendars "$dir/calendars.textproto"
check "business-hours rule with the SLA file's calendars" 0 "ok: 0 triggers, 1 automations" -- \
  "$hd" rules check "$dir/bh_rules.textproto" --sla "$dir/calendars.textproto"
sed 's|Europe/London|Europe/Paris|' "$dir/calendars.textproto" > "$dir/paris.textproto"
check "one calendar name, two definitions" 1 "calendar 'london' is defined differently" -- \
  "$hd" rules check "$dir/bh_rules.textproto" --sla "$dir/calendars.textproto" \
  --calendars "$dir/paris.textproto"
check "bad calendars file" 1 "INVALID_ARGUMENT: --calendars" -- \
  "$hd" rules check "$dir/bh_rules.textproto" --calendars "$dir/templates.txt"
# Business-time reports (issue 16), on a desk of their own with the clock
# stopped by $HELPDESK_NOW: a ticket opened on Sunday 10:00 and answered on
# Monday 09:05 (London opens at 09:00) has a 5-minute first reply in
# business time and 23 h 05 min in calendar time.
(
  export HELPDESK_DB="$dir/business.db"
  "$hd" init >/dev/null
  "$hd" agent add --name Bo --email bo@example.com >/dev/null
  HELPDESK_NOW="2026-11-22 10:00" "$hd" create --requester sun@example.com \
    --subject "Sunday" --body "Hello" >/dev/null
  HELPDESK_NOW="2026-11-23 09:05" "$hd" reply 1 --agent bo@example.com --body "Hi" >/dev/null
)
check "report in business time" 0 "^total,first_reply,mean,300$" -- \
  env HELPDESK_DB="$dir/business.db" "$hd" report first_reply --from 2026-11-22 \
  --to 2026-11-24 --business-hours london --calendars "$dir/calendars.textproto" --csv -
check "report in calendar time" 0 "^total,first_reply,mean,83100$" -- \
  env HELPDESK_DB="$dir/business.db" "$hd" report first_reply --from 2026-11-22 \
  --to 2026-11-24 --csv -
check "report business hours from the SLA file" 0 "^total,first_reply,p50,300$" -- \
  env HELPDESK_DB="$dir/business.db" "$hd" report all --from 2026-11-22 \
  --to 2026-11-24 --business-hours london --sla "$dir/calendars.textproto" --csv -
check "report unknown business calendar" 1 "business-hours 'paris' is not a calendar.*'london'" -- \
  env HELPDESK_DB="$dir/business.db" "$hd" report all --from 2026-11-22 \
  --to 2026-11-24 --business-hours paris --calendars "$dir/calendars.textproto"
check "report business hours without calendars" 1 "business-hours 'london'.*known: none" -- \
  env HELPDESK_DB="$dir/business.db" "$hd" report all --from 2026-11-22 \
  --to 2026-11-24 --business-hours london
check "bad HELPDESK_NOW" 2 "HELPDESK_NOW 'soon'" -- \
  env HELPDESK_NOW=soon HELPDESK_DB="$dir/business.db" "$hd" list
export HELPDESK_RULES="$dir/bh_rules.textproto" HELPDESK_CALENDARS="$dir/calendars.textproto"
check "pending for the reminder" 0 "ticket #1 is at version" -- "$hd" update 1 --status pending
check "explain counts business hours" 0 "remind pending: .*due at" -- "$hd" rules explain 1
check "tick before the business hours passed" 0 "automations: 0 tickets evaluated, 0 rules fired" -- \
  "$hd" tick
check "tick after the business hours passed" 0 "automations: 1 tickets evaluated, 1 rules fired" -- \
  "$hd" tick --at "2099-01-05 12:00"
check "reminder tag set by the business-hours rule" 0 "reminded" -- "$hd" show 1
check "tick again fires nothing" 0 "automations: 0 tickets evaluated, 0 rules fired" -- \
  "$hd" tick --at "2099-01-05 12:00"
unset HELPDESK_RULES HELPDESK_CALENDARS
# Personal data (issue 16), on a database of its own.
export HELPDESK_DB="$dir/privacy.db"
check "privacy init" 0 "helpdesk database ready" -- "$hd" init
check "privacy agent" 0 "agent 1 Pat" -- "$hd" agent add --name Pat --email pat@example.com
check "privacy create" 0 "created ticket #1" -- \
  "$hd" create --requester zoe@example.com --subject "Zoe Quinn's invoice" --body "My IBAN is X"
check "contact export" 0 "exported contact [0-9]+ to" -- \
  "$hd" contact export zoe@example.com --out "$dir/zoe.tar"
if command -v tar > /dev/null; then
  check "export is a tar archive" 0 "contact.json" -- tar -tf "$dir/zoe.tar"
fi
check "export holds the message" 0 "My IBAN is X" -- tar -xOf "$dir/zoe.tar" contact.json
check "contact export needs --out" 1 "INVALID_ARGUMENT.*--out" -- \
  "$hd" contact export zoe@example.com
check "contact export unknown" 1 "NOT_FOUND" -- "$hd" contact export 999 --out "$dir/x.tar"
check "contact erase an agent" 1 "FAILED_PRECONDITION.*agent" -- \
  bash -c "'$hd' create --requester pat@example.com --subject s --body b > /dev/null && '$hd' contact erase pat@example.com"
check "contact erase" 0 "erased contact [0-9]+: 1 tickets, 1 messages" -- \
  "$hd" contact erase zoe@example.com
check "erased contact is gone" 1 "NOT_FOUND" -- "$hd" contact export zoe@example.com --out "$dir/y.tar"
check "erased subject" 0 "\[erased\]" -- "$hd" show 1
check "contact bad subcommand" 1 "unknown subcommand" -- "$hd" contact frob 1
check "retention run" 0 "purged 0 closed tickets" -- "$hd" retention run --days 30
check "retention bad days" 1 "INVALID_ARGUMENT.*--days" -- "$hd" retention run --days 0

finish cli

#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the PostgreSQL tests and benchmarks.
#
#   scripts/pg-test-cluster.sh start DIR   # prints the connection string
#   scripts/pg-test-cluster.sh stop DIR
#
# start: initdb in DIR/data (DIR is created; as root the cluster belongs to the
# unprivileged user `nobody`, since PostgreSQL refuses to run as root), then
# pg_ctl start listening on 127.0.0.1 on a free port with its unix socket in
# DIR, trust authentication, fsync off (a test cluster need not survive a power
# loss). Prints "postgresql://helpdesk@127.0.0.1:PORT/helpdesk" on stdout (also
# kept in DIR/url); the log is DIR/postgres.log.
# stop: pg_ctl stop -m fast, then removes DIR.
#
# The server binaries are found with pg_config --bindir or under
# /usr/lib/postgresql/<version>/bin (Debian's postgresql package).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
dir=$2

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
  [[ -x "$candidate/initdb" ]] && bindir=$candidate
done
if [[ -z "$bindir" ]] && command -v initdb >/dev/null; then
  bindir=$(dirname "$(command -v initdb)")
fi
[[ -n "$bindir" ]] || { echo "pg-test-cluster: no initdb found (install Debian's postgresql)" >&2; exit 1; }

# Runs a command as the cluster's owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then chown nobody: "$dir"; chmod 700 "$dir"; fi
    as_owner "$bindir/initdb" -D "$dir/data" -U helpdesk --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null ||
      { cat "$dir/postgres.log" >&2; exit 1; }
    as_owner "$bindir/createdb" -h "$dir" -p "$port" -U helpdesk helpdesk
    url="postgresql://helpdesk@127.0.0.1:$port/helpdesk"
    echo "$url" | as_owner tee "$dir/url" >/dev/null
    echo "$url"
    ;;
  stop)
    [[ -d "$dir/data" ]] || exit 0
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *) usage ;;
esac

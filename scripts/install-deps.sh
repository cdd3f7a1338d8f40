#!/usr/bin/env bash
# Installs libhelpdesk's build and test dependencies from Debian 12's packages.
# Run as root (CI does) or with sudo available. With --fuzz it also installs
# clang 14 with its libFuzzer and sanitizer runtimes and llvm-symbolizer, for
# the `fuzz` preset (tests/fuzz/). With --browser: chromium, chromium-driver and
# python3-selenium for the browser test of `helpdesk serve` (tests/browser/).
#
# The tests start their own mail servers on 127.0.0.1 (aiosmtpd; dovecot with
# a private configuration), so the system's dovecot service is not wanted:
# while apt-get runs, and unless the machine already has one (Debian's
# container images do: it refuses every service), a temporary
# /usr/sbin/policy-rc.d keeps dovecot-core's postinst from starting dovecot
# on ports 143/993 (on a machine with systemd or sysvinit; in a container
# without an init system invoke-rc.d finds no runlevel and starts nothing
# anyway). dovecot.service stays enabled for the next boot on a systemd
# machine; `systemctl disable dovecot` if you do not want it there.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libabsl-dev libprotobuf-dev protobuf-compiler
  libsqlite3-dev libssl-dev libre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgmime-3.0-dev libcurl4-openssl-dev
  python3-aiosmtpd dovecot-imapd openssl
  libcmark-dev libstemmer-dev
  libcpp-httplib-dev libsodium-dev   # helpdesk serve (examples/server)
  # PostgresStore: libpq; the server binaries for the throwaway test cluster
  # (scripts/pg-test-cluster.sh), whose own service is not wanted either.
  libpq-dev postgresql
)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang-14 libclang-rt-14-dev llvm-14) ;;
    # The browser test of `helpdesk serve` (tests/browser/).
    --browser) packages+=(chromium chromium-driver python3-selenium) ;;
  esac
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  # Denies every action on dovecot and postgresql (invoke-rc.d names it "dovecot", maybe
  # after --quiet; deb-systemd-invoke "dovecot.service" / "dovecot.socket");
  # allows the rest.
  printf '%s\n' '#!/bin/sh' \
    '# Temporary: written and removed by libhelpdesk scripts/install-deps.sh.' \
    'for arg; do case "$arg" in dovecot|dovecot.*|postgresql|postgresql.*|postgresql@*) exit 101 ;; esac; done' 'exit 0' |
    $SUDO tee "$policy" >/dev/null
  $SUDO chmod 0755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ${#packages[@]} packages present"

#!/usr/bin/env bash
# Installs libhelpdesk's build and test dependencies from Debian 12's packages.
# Run as root (CI does) or with sudo available.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libabsl-dev libprotobuf-dev protobuf-compiler
  libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgmime-3.0-dev libcurl4-openssl-dev python3-aiosmtpd
)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ${#packages[@]} packages present"

#!/usr/bin/env bash
# Installs the Debian packages Almanac builds against and runs with, when missing.
# Safe to run repeatedly: it only calls apt-get when something is absent.
#   --browser   also Debian's chromium and chromium-driver, for the console's browser tests
set -euo pipefail

packages=(libxapian-dev libhiredis-dev libssl-dev libsqlite3-dev redis-server redis-tools pkg-config tzdata python3 prometheus)
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium chromium-driver)
fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.x (https://swift.org/install) first" >&2
  exit 1
fi

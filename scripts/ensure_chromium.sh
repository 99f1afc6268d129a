#!/usr/bin/env bash
# Make sure Debian's Chromium is on PATH for the browser tests (Playwright drives it; we never download
# browsers with `playwright install`). Installs it with apt-get when we are root; otherwise says how.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  command -v chromium >/dev/null 2>&1 && exit 0
fi
echo "chromium is not installed and cannot be installed here: run 'sudo apt-get install -y chromium'" \
  "(the browser tests skip without it, and fail under CI)." >&2
exit 0

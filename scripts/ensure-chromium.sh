#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (vitest browser mode
# drives it through playwright-core; Playwright's own browser downloads are not used).
# Exits 0 when it is there; otherwise installs the `chromium` package with apt-get, which needs root.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

echo "ensure-chromium: $CHROMIUM not found; installing Debian's chromium package" >&2

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: error: installing chromium needs root. Run as root, or install it yourself:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: error: apt-get not found; install Chromium so that $CHROMIUM exists." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: error: apt-get installed chromium but $CHROMIUM is still missing." >&2
  exit 1
fi
"$CHROMIUM" --version >&2 || true

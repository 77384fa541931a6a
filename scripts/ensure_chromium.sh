#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the KPI card's browser tests.
#
# Idempotent: does nothing when `chromium` is already on PATH. Otherwise installs
# the Debian package (needs root and the Debian mirror; about 40 s). The tests
# drive it with Python Playwright, which must never download a browser of its own.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(command -v chromium)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_chromium: chromium is missing and installing it needs root" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
echo "chromium: $(command -v chromium)"

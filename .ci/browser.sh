#!/usr/bin/env bash
# Install Debian's Chromium and its driver for the HTML report's browser test
# (tests/reports/test_html_browser.py), unless /usr/bin/chromium is already there.
#
#   .ci/browser.sh
#
# Needs no stdin. Any failure exits non-zero with a message, so that CI, which also sets
# CRM_AUDIT_BROWSER_REQUIRED=1, never silently skips the browser test.
set -euo pipefail

say() { echo "browser.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "Chromium is not installed and there is no root or sudo to install it"
    sudo=(sudo -n)
fi
command -v apt-get >/dev/null 2>&1 || die "Chromium is not installed and apt-get is not available"
say "installing Chromium (apt-get install chromium chromium-driver)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq </dev/null >/dev/null || die "apt-get update failed"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver </dev/null >/dev/null \
    || die "apt-get install chromium chromium-driver failed"
[[ -x /usr/bin/chromium ]] || die "apt-get installed Chromium but /usr/bin/chromium is missing"

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
# shellcheck source=.ci/apt-install.sh
source "$(dirname "$0")/apt-install.sh"

if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
apt_install Chromium chromium chromium-driver
[[ -x /usr/bin/chromium ]] || die "apt-get installed Chromium but /usr/bin/chromium is missing"

#!/usr/bin/env bash
# Make sure a Java runtime (17 or later) is there for the Spark engine's tests: when `java` is
# missing, install Debian's headless JRE. Idempotent; needs no stdin; any failure exits non-zero
# with a message, so CI never silently skips the Spark tests.
set -euo pipefail

say() { echo "java.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
# shellcheck source=.ci/apt-install.sh
source "$(dirname "$0")/apt-install.sh"

if command -v java >/dev/null 2>&1; then
    say "using $(java -version 2>&1 | head -n 1)"
    exit 0
fi
# slim images drop man pages, but the JRE's postinst links some into this directory
mkdir -p /usr/share/man/man1 2>/dev/null || sudo -n mkdir -p /usr/share/man/man1 || true
apt_install Java openjdk-17-jre-headless
command -v java >/dev/null 2>&1 || die "java is still missing after the install"
say "installed $(java -version 2>&1 | head -n 1)"

#!/usr/bin/env bash
# Make sure a Java runtime (17 or later) is there for the Spark engine's tests: when `java` is
# missing, install Debian's headless JRE. Idempotent; needs no stdin; any failure exits non-zero
# with a message, so CI never silently skips the Spark tests.
set -euo pipefail

say() { echo "java.sh: $*" >&2; }

if command -v java >/dev/null 2>&1; then
    say "using $(java -version 2>&1 | head -n 1)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# slim images drop man pages, but the JRE's postinst links some into this directory
mkdir -p /usr/share/man/man1
apt-get update -qq || { say "error: apt-get update failed"; exit 1; }
apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null \
    || { say "error: could not install openjdk-17-jre-headless"; exit 1; }
command -v java >/dev/null 2>&1 || { say "error: java is still missing after the install"; exit 1; }
say "installed $(java -version 2>&1 | head -n 1)"

#!/usr/bin/env bash
# Install (Debian packages) and start a throw-away PostgreSQL server for the test-suite.
#
#   .ci/postgres.sh start [DIR]   # prints `CRM_AUDIT_PG_URL=postgresql+psycopg://...` on the last line
#   .ci/postgres.sh stop [DIR]
#
# Idempotent: packages already installed are not installed again, a server already running in
# DIR is reused. Needs no stdin. Any failure (apt, initdb, start) exits non-zero with a message,
# so CI never silently skips the database tests. The server listens on 127.0.0.1:$CRM_AUDIT_PG_PORT
# (default 54329) with trust authentication, fsync off: it is for tests only.
set -euo pipefail

action=${1:-start}
dir=${2:-${CRM_AUDIT_PG_DIR:-/tmp/crm-audit-pg}}
port=${CRM_AUDIT_PG_PORT:-54329}
user=crm_audit
db=crm_audit

say() { echo "postgres.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
# shellcheck source=.ci/apt-install.sh
source "$(dirname "$0")/apt-install.sh"

pg_bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$found" && -x "$found/initdb" ]]; then echo "$found"; return; fi
    if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
        pg_config --bindir; return
    fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; fi
}

install_postgres() {
    apt_install PostgreSQL postgresql
}

# Run a server binary as an unprivileged user: PostgreSQL refuses to run as root.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to own the server"
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

url="postgresql+psycopg://$user@127.0.0.1:$port/$db"

case "$action" in
start)
    bindir=$(pg_bindir)
    if [[ -z "$bindir" ]]; then
        install_postgres
        bindir=$(pg_bindir)
        [[ -n "$bindir" ]] || die "PostgreSQL installed but initdb not found"
    fi
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
        say "reusing the server on port $port"
    else
        mkdir -p "$dir"
        if [[ $(id -u) -eq 0 ]]; then chown postgres "$dir"; fi
        chmod 700 "$dir"
        if [[ ! -f "$dir/PG_VERSION" ]]; then
            as_owner "$bindir/initdb" -D "$dir" -U "$user" -A trust -E UTF8 --no-sync >/dev/null \
                || die "initdb failed in $dir"
        fi
        as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" \
            start >/dev/null || { cat "$dir/server.log" >&2 || true; die "the server did not start (log above)"; }
    fi
    if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$user" "$db" || die "createdb failed"
    fi
    echo "CRM_AUDIT_PG_URL=$url"
    ;;
stop)
    bindir=$(pg_bindir)
    if [[ -n "$bindir" && -f "$dir/postmaster.pid" ]]; then
        as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    fi
    ;;
*)
    die "usage: $0 start|stop [DIR]"
    ;;
esac

#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 cluster, and stops and removes the cluster
# afterwards, whether the command passes or fails (or is interrupted).
#
#   tests/scripts/with_postgres.sh [--durable] COMMAND [ARGS...]
#
# The command sees ESCALATION_PG_URL (a libpq URL: database `escalation`, user `escalation`, on a
# free loopback port). The cluster runs with fsync off (tests check logic, not the disk) unless
# --durable is given (benchmarks). PostgreSQL refuses to run as root: as root the cluster runs as
# the system user `postgres` (created if missing). When the server binaries are missing they
# are installed from Debian's `postgresql-15` package. If the cluster cannot start, this fails
# and says why; it never runs the command without a database.
set -euo pipefail

durable=0
if [[ "${1:-}" == "--durable" ]]; then durable=1; shift; fi
[[ $# -gt 0 ]] || { echo "usage: $0 [--durable] COMMAND [ARGS...]" >&2; exit 2; }

fail() { echo "with_postgres: $*" >&2; exit 1; }

bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$bin/initdb" ]]; then
    echo "with_postgres: $bin/initdb is missing; installing Debian's postgresql-15" >&2
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15; } \
        || fail "could not install postgresql-15 (apt-get needs root and Debian's package registry)"
fi
[[ -x "$bin/initdb" ]] || fail "no PostgreSQL server binaries under $bin (set PG_BIN)"

as_pg=()
if [[ "$(id -u)" == 0 ]]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres \
        || fail "could not create the system user postgres"
    as_pg=(runuser -u postgres --)
fi

dir="$(mktemp -d /tmp/escalation-pg.XXXXXX)"
chmod 700 "$dir"
[[ ${#as_pg[@]} -eq 0 ]] || chown postgres "$dir"

stop() {
    local rc=$?
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    exit $rc
}
trap stop EXIT
trap 'exit 130' INT TERM

# A free loopback port: ask the kernel for one.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U escalation -A trust --no-sync -E UTF8 \
    --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; fail "initdb failed"; }

opts="-p $port -h 127.0.0.1 -k $dir -c max_connections=200 -c shared_buffers=256MB"
[[ $durable == 1 ]] || opts="$opts -F -c synchronous_commit=off -c full_page_writes=off"
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start \
    >/dev/null || { cat "$dir/server.log" >&2; fail "the PostgreSQL server did not start"; }
"${as_pg[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U escalation escalation \
    || fail "createdb failed"

export ESCALATION_PG_URL="postgres://escalation@127.0.0.1:$port/escalation"
echo "with_postgres: PostgreSQL 15 on 127.0.0.1:$port ($([[ $durable == 1 ]] && echo durable || echo fsync off))" >&2
set +e
"$@"
rc=$?
set -e
exit $rc

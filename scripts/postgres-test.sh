#!/usr/bin/env bash
# A PRIVATE PostgreSQL cluster (Debian's) for the tests of the PostgreSQL store.
#
# Installs Debian's postgresql package when missing (after `apt-get update`, without starting
# the system's cluster), then initialises a cluster of its own in a directory, owned by an
# unprivileged user (`postgres` when run as root), listening only on a free loopback port,
# with fsync and synchronous commit on (the store's durability is what the tests check).
#
# Usage: scripts/postgres-test.sh --install     only install the package
#        scripts/postgres-test.sh start DIR     init (when empty) and start a cluster in DIR;
#                                               prints its URL (postgres://…/postgres)
#        scripts/postgres-test.sh stop DIR      stop it (fast shutdown)
#
# scripts/test-all.sh starts one, exports HEALTHGUARD_TEST_POSTGRES=URL and
# HEALTHGUARD_REQUIRE_POSTGRES=1 (tests fail rather than skip) and stops it at the end. Tests
# make a database of their own in it for each case.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

if [ -z "$(bindir)" ]; then
    echo "postgres-test: installing postgresql from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    # No service start: the tests run their own cluster.
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    [ -n "$made_policy" ] && $sudo rm -f /usr/sbin/policy-rc.d
fi
[ "${1:-}" = "--install" ] && exit 0

bin=$(bindir) || { echo "postgres-test: FAIL: no initdb under /usr/lib/postgresql" >&2; exit 1; }
cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: $0 --install | start DIR | stop DIR" >&2; exit 2; }

# initdb and postgres refuse to run as root: as root, the cluster belongs to `postgres`.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { # a loopback port nothing listens on
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

case "$cmd" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    port=$(free_port)
    # Loopback TCP only, the socket in DIR (not /var/run/postgresql), enough connections for
    # several `serve` processes and parallel tests.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=on -c synchronous_commit=on" \
        start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
*)
    echo "usage: $0 --install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac

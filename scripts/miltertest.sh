#!/usr/bin/env bash
# Protocol edge cases of `healthguard milter` with Debian's miltertest (the MTA side of
# libmilter, scripted in Lua): body chunks, aborted transactions, 501 recipients, a body past
# max_message_bytes, a client vanishing mid-body. Script: scripts/miltertest/edge-cases.lua.
#
# Usage: scripts/miltertest.sh [PATH-TO-healthguard]   (default: builds it with cargo)
#        scripts/miltertest.sh --install               (only install miltertest)
# Exit 0 only when every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v miltertest >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "miltertest: installing Debian's miltertest"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends miltertest >/dev/null
fi
[ "${1:-}" = "--install" ] && exit 0

bin=${1:-}
if [ -z "$bin" ]; then
    cargo build --locked -q -p healthguard
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/healthguard"
fi

tmp=$(mktemp -d /tmp/hg-miltertest.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

while :; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
cat >"$tmp/healthguard.toml" <<EOT
[milter]
listen = "inet:127.0.0.1:$port"
max_message_bytes = 1048576
[milter.domains."reject.example"]
phishing = "reject"
EOT
"$bin" milter --config "$tmp/healthguard.toml" 2>"$tmp/milter.log" &
pid=$!

if miltertest -D port="$port" -s scripts/miltertest/edge-cases.lua >"$tmp/out" 2>&1; then
    cat "$tmp/out"
    grep -q "miltertest: done" "$tmp/out" || { echo "miltertest: FAIL: the script did not finish" >&2; exit 1; }
    kill -0 "$pid" || { echo "miltertest: FAIL: the milter died" >&2; exit 1; }
    grep -q "failure=oversized" "$tmp/milter.log" || { echo "miltertest: FAIL: oversized not logged" >&2; exit 1; }
    echo "miltertest: all checks passed; the oversized message was logged as a failure"
else
    cat "$tmp/out" >&2
    echo "--- milter log" >&2
    tail -20 "$tmp/milter.log" >&2
    exit 1
fi

#!/usr/bin/env bash
# HTTP benchmark of `healthguard serve` with wrk, on this machine only (127.0.0.1):
#   1. POST /v1/check with an SMS (goal: >= 10,000 checks/s, p99 < 10 ms);
#   2. POST /v1/reports, each answered only after its commit (goal: >= 1,000 reports/s).
# Installs wrk (Debian package) when missing, builds the server in release, starts it on a
# fresh data directory with rate limiting off, runs wrk with the Lua scripts beside this
# file, prints wrk's results and the server's own counters, and stops the server.
#
#   bash bench/http.sh            # 10 s per run, 2 wrk threads; checks over 32 connections,
#                                 # then 64 (ceiling); reports over 64 connections
#   DURATION=30s CONNECTIONS=16 REPORT_CONNECTIONS=128 bash bench/http.sh
#   DATABASE=postgres://… ONLY=reports bash bench/http.sh   # reports into PostgreSQL
#                                 # (scripts/postgres-test.sh start DIR prints a URL); only
#                                 # the reports run
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
REPORT_CONNECTIONS="${REPORT_CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18181}"
DATABASE="${DATABASE:-}"
ONLY="${ONLY:-}"

if ! command -v wrk >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

cargo build --release --locked -p healthguard
data="$(mktemp -d)"
store=(--data "$data")
[ -n "$DATABASE" ] && store+=(--database "$DATABASE")
"${CARGO_TARGET_DIR:-target}/release/healthguard" serve --dns off --listen "127.0.0.1:$PORT" "${store[@]}" --no-rate-limit 2>"$data/server.log" &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null

echo "== machine: $(nproc) cores, wrk -t$THREADS -d$DURATION; the server and wrk share the cores"
echo
echo "== warm-up"
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s bench/check_sms.lua "http://127.0.0.1:$PORT/v1/check" >/dev/null
if [ "$ONLY" != reports ]; then
    echo
    echo "== POST /v1/check (SMS), $CONNECTIONS connections"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/check_sms.lua "http://127.0.0.1:$PORT/v1/check"
    echo
    echo "== POST /v1/check (SMS), 64 connections (throughput ceiling; latency grows with the queue)"
    wrk -t"$THREADS" -c64 -d"$DURATION" --latency -s bench/check_sms.lua "http://127.0.0.1:$PORT/v1/check"
fi
echo
if [ -n "$DATABASE" ]; then
    echo "== POST /v1/reports (durable: PostgreSQL synchronous commit, group commit), $REPORT_CONNECTIONS connections"
else
    echo "== POST /v1/reports (durable: WAL, synchronous=FULL, group commit), $REPORT_CONNECTIONS connections"
fi
wrk -t"$THREADS" -c"$REPORT_CONNECTIONS" -d"$DURATION" --latency -s bench/report.lua "http://127.0.0.1:$PORT/v1/reports"
echo
echo "== server counters"
curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E '^healthguard_(reports_total|http_requests_total\{route="/v1/(check|reports)")'

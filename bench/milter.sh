#!/usr/bin/env bash
# Throughput of a private Postfix instance with and without `healthguard milter`, on this
# machine only (loopback). Postfix accepts every message over SMTP (smtp-source, from the
# postfix package) and discards it after queueing, so the numbers measure the SMTP path the
# milter sits on: connection, envelope, DATA, queue file, the milter's verdict.
#   1. without a milter;  2. with the milter (release build);
#   3. a burst with the milter killed with SIGKILL halfway: every message still accepted once
#      (milter_default_action = accept), counted in Postfix's log.
# Messages: the project's fixtures nfz_impersonation.eml (phishing) and
# newsletter_clinic.eml (legitimate), half each, in parallel sessions.
#
#   bash bench/milter.sh                       # 2000 messages, 8 sessions
#   MESSAGES=10000 SESSIONS=16 bash bench/milter.sh
#   CORPUS=../shared/corpus/email bash bench/milter.sh   # latency runs replay real mail
# Needs root (a private Postfix drops to the postfix user); installs postfix when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

MESSAGES="${MESSAGES:-2000}"
SESSIONS="${SESSIONS:-8}"

bash scripts/postfix-test.sh --install
export PATH="/usr/sbin:$PATH"
cargo build --release --locked -q -p healthguard
bin="${CARGO_TARGET_DIR:-target}/release/healthguard"

. scripts/postfix-instance.sh
tmp=$(mktemp -d /tmp/hg-bench-milter.XXXXXX)
chmod 755 "$tmp"
milter_pid=""
cleanup() {
    postfix -c "$tmp/etc" stop >/dev/null 2>&1 || true
    [ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

smtp_port=$(free_port)
milter_port=$(free_port)
while [ "$milter_port" = "$smtp_port" ]; do milter_port=$(free_port); done
postfix_instance "$tmp" "$smtp_port" ""
postconf -c "$tmp/etc" -e "relay_domains = bench.example" "relay_transport = discard:" \
    "default_transport = discard:" "smtpd_client_connection_count_limit = 0"
postfix -c "$tmp/etc" start >/dev/null
wait_port "$smtp_port"

fixtures=crates/mail/tests/fixtures
half=$((MESSAGES / 2))
per=$(( SESSIONS / 2 > 0 ? SESSIONS / 2 : 1 ))

# Sends MESSAGES messages (half of each fixture) and prints the seconds it took.
burst() {
    local start end
    start=$(date +%s.%N)
    smtp-source -s "$per" -m "$half" -f bounce@tehrad.io -t user@bench.example -M client.example \
        -F "$fixtures/nfz_impersonation.eml" "127.0.0.1:$smtp_port" &
    local a=$!
    smtp-source -s "$per" -m "$half" -f news@przychodnia-sloneczna.pl -t user@bench.example -M client.example \
        -F "$fixtures/newsletter_clinic.eml" "127.0.0.1:$smtp_port" &
    local b=$!
    wait "$a" "$b"
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.3f", $2 - $1}'
}

# Waits until Postfix's queue is empty.
drain() {
    for _ in $(seq 1 600); do
        postqueue -c "$tmp/etc" -p 2>/dev/null | grep -q "Mail queue is empty" && return 0
        sleep 0.1
    done
    echo "bench: the queue did not drain" >&2
    return 1
}

discarded() { grep -c "status=sent" "$tmp/postfix.log" || true; }

rate() { awk -v n="$MESSAGES" -v t="$1" 'BEGIN {printf "%.0f", n / t}'; }

echo "bench: Postfix $(postconf -c "$tmp/etc" -h mail_version), $MESSAGES messages, $SESSIONS sessions, load $(cut -d' ' -f1-3 /proc/loadavg)"

t=$(burst); drain
echo "1. without milter:      $t s, $(rate "$t") messages/s ($(discarded) delivered)"

# Latency of one message at a time (no load beside it), in ms: what a milter adds to each
# transaction end to end. With CORPUS=DIR (e.g. ../shared/corpus/email), real mail replayed:
# its .eml files under 1 MiB, in name order, cycled; else the two fixtures.
LATENCY_MESSAGES="${LATENCY_MESSAGES:-1000}"
latency_files=("$fixtures/nfz_impersonation.eml" "$fixtures/newsletter_clinic.eml")
if [ -n "${CORPUS:-}" ]; then
    mapfile -t latency_files < <(find "$CORPUS" -type f -name '*.eml' -size -1024k | LC_ALL=C sort | head -n "$LATENCY_MESSAGES")
    [ "${#latency_files[@]}" -gt 0 ] || { echo "bench: no .eml files under $CORPUS" >&2; exit 66; }
    echo "   latency runs replay ${#latency_files[@]} files of $CORPUS"
fi
latency() {
    python3 bench/smtp-latency.py 127.0.0.1 "$smtp_port" "$LATENCY_MESSAGES" "${latency_files[@]}"
}
plain_latency=$(latency); drain
echo "   one message at a time, without milter: $plain_latency"

cat >"$tmp/healthguard.toml" <<EOF
[milter]
listen = "inet:127.0.0.1:$milter_port"
EOF
"$bin" milter --config "$tmp/healthguard.toml" 2>"$tmp/milter.log" &
milter_pid=$!
wait_port "$milter_port"
postconf -c "$tmp/etc" -e "smtpd_milters = inet:127.0.0.1:$milter_port"
postfix -c "$tmp/etc" reload >/dev/null 2>&1
sleep 1
t=$(burst); drain
checked=$(grep -c " checked " "$tmp/milter.log" || true)
# CPU seconds the milter process used (user + system, clock ticks in /proc/PID/stat).
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$milter_pid/stat")
echo "2. with the milter:     $t s, $(rate "$t") messages/s ($checked checked by the milter, $cpu s of milter CPU)"
milter_latency=$(latency); drain
echo "   one message at a time, with the milter: $milter_latency"
echo "$plain_latency $milter_latency" | awk '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (i <= NF / 2) a[kv[1]] = kv[2]; else b[kv[1]] = kv[2] }
    printf "   added by the milter: p50 %.2f ms, p99 %.2f ms\n", b["p50"] - a["p50"], b["p99"] - a["p99"] }'
checked=$(grep -c " checked " "$tmp/milter.log" || true)
grep -o "ms=[0-9.]*" "$tmp/milter.log" | cut -d= -f2 | sort -n | awk '
    { v[NR] = $1 }
    END {
        if (NR == 0) exit
        p99 = int(NR * 0.99) + 1; if (p99 > NR) p99 = NR
        printf "   check time per message (milter log): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", v[int(NR * 0.5) + 1], v[p99], v[NR]
    }'

before=$(discarded)
burst >"$tmp/t3" &
burst_pid=$!
while [ "$(grep -c " checked " "$tmp/milter.log" || true)" -lt $((checked + MESSAGES / 2)) ]; do sleep 0.05; done
kill -9 "$milter_pid"
wait "$milter_pid" 2>/dev/null || true
milter_pid=""
wait "$burst_pid"
drain
after=$(discarded)
# smtp-source stops at the first refused message, so a full count is neither lost nor doubled.
echo "3. kill -9 of the milter halfway through a burst: $((after - before)) of $MESSAGES accepted and delivered once, $(cat "$tmp/t3") s"
[ "$((after - before))" -eq "$MESSAGES" ] || { echo "bench: FAIL: lost or duplicated messages" >&2; exit 1; }

#!/usr/bin/env bash
# Side-by-side comparison of HealthGuard with SpamAssassin and rspamd, in one run, on the
# same e-mail files, all three offline (no DNS, no blocklists, no Bayes, no fuzzy hashes,
# no SPF/DKIM/DMARC: see ../shared/reference/peers.md). It prints one Markdown table
# ready for BENCHMARKS.md and keeps every per-file result for a second look.
#
#   bash bench/peers.sh [--limit N] [CORPUS_DIR]
#       CORPUS_DIR  default ../shared/corpus/email (relative to the repository root)
#       --limit N   scan at most N files per set (a fixed pseudo-random sample), for a
#                   quick run; the table then says so
#   Environment: JOBS (parallel clients / threads, default: nproc), OUT (results dir,
#   default $CARGO_TARGET_DIR/peers/DATE or target/peers/DATE), SPAMD_PORT (17830),
#   RSPAMD_PORT (17833; RSPAMD_PORT+1 for its controller).
#
# What it does:
#   1. Lists the sets and their labels: phishing_pot/*.eml = phishing,
#      spamassassin/ham/** = legitimate, spamassassin/spam/** = spam (reported apart, never
#      counted as phishing or as ham), and when present modern/ham/**/*.eml and
#      modern/phishing/**/*.eml (columns of their own). Empty files are skipped and counted.
#   2. Installs spamassassin/spamc/spamd and rspamd from Debian when missing (needs root).
#   3. Starts spamd (-L: local tests only, RBL and DNS off, Bayes and auto-whitelist off)
#      and rspamd (network modules disabled, resolver pointed at 127.0.0.1:53 so every
#      lookup fails at once) on 127.0.0.1 with JOBS children/workers each, waits until they
#      answer (and until rspamd's hyperscan database is loaded), and stops both on exit.
#   4. Runs the three tools one after the other over the same file list, timing each on
#      the wall clock over the whole set:
#        HealthGuard   `healthguard scan --format jsonl --threads JOBS FILES...`; the time
#                      includes start-up (registry load), not the build;
#        rspamd        one `rspamc -n 2*JOBS` (parallel requests) over all files;
#        SpamAssassin  `spamc -c` per file, JOBS clients in parallel (xargs -P).
#   5. bench/peers_report.py turns the per-file results into the table.
#
# How to read the table: "flagged" is, for SpamAssassin, is-spam (score >= 5); for rspamd,
# any action but "no action" (a second row: "reject" only); for HealthGuard, verdict
# suspicious or phishing (a second row: phishing only). Recall is over phishing_pot, FPR
# over ham, precision and F1 over phishing_pot + ham only (so they depend on this corpus's
# 1:2 mix). The spam column is the share of SpamAssassin spam flagged, for context only.
# A third rspamd row (diagnostic) subtracts the symbols that fire only because of this
# offline set-up (HFILTER_HOSTNAME_UNKNOWN: no client host given; *_NORES*, RDNS_*: failed
# DNS) before applying the greylist threshold 4: offline, they alone put most
# phishing_pot mail over it (see the corpus README: "measure the threat, not the corpus").
# msg/s counts every non-empty file of every set. The machine is shared: read the load
# average printed beside the table before trusting a speed. Offline, the peers lose most
# of their strength (network tests); these are rules-only baselines, not the products.
#
# Results in OUT: files.tsv (path, label), empty.tsv, healthguard.jsonl, rspamd.tsv
# (path, flagged, score, action, symbols), spamassassin.tsv (path, flagged, score),
# timing.tsv, versions.txt, report.md, and the daemons' logs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

LIMIT=""
CORPUS=""
while [ $# -gt 0 ]; do
    case "$1" in
        --limit) LIMIT="${2:?--limit needs a number}"; shift 2 ;;
        --limit=*) LIMIT="${1#--limit=}"; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option: $1 (see --help)" >&2; exit 64 ;;
        *) CORPUS="$1"; shift ;;
    esac
done
CORPUS="${CORPUS:-../shared/corpus/email}"
if [ ! -d "$CORPUS/phishing_pot" ] || [ ! -d "$CORPUS/spamassassin/ham" ]; then
    echo "peers.sh: no e-mail corpus at $CORPUS (expected phishing_pot/ and spamassassin/{ham,spam}/)." >&2
    echo "          Give its path: bash bench/peers.sh /path/to/corpus/email" >&2
    exit 66
fi
if [ -n "$LIMIT" ] && ! [ "$LIMIT" -gt 0 ] 2>/dev/null; then
    echo "peers.sh: --limit wants a positive number, not '$LIMIT'" >&2
    exit 64
fi
CORPUS="$(cd "$CORPUS" && pwd -P)"
HG_REV="$(git describe --always --dirty 2>/dev/null || echo unknown)"
JOBS="${JOBS:-$(nproc)}"
SPAMD_PORT="${SPAMD_PORT:-17830}"
RSPAMD_PORT="${RSPAMD_PORT:-17833}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="${OUT:-$TARGET/peers/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd -P)"
echo "peers.sh: corpus $CORPUS, $JOBS jobs, results in $OUT" >&2

# --- 1. files and labels -------------------------------------------------------------
: >"$OUT/files.tsv"
: >"$OUT/empty.tsv"
add_set() { # label dir [name-pattern]
    local label="$1" dir="$2" pattern="${3:-*}" sample
    sample="$(mktemp)"
    find "$dir" -type f -name "$pattern" ! -name cmds ! -name '.*' | LC_ALL=C sort >"$sample"
    if [ -n "$LIMIT" ]; then
        shuf -n "$LIMIT" --random-source=<(yes peers) "$sample" | LC_ALL=C sort >"$sample.l"
        mv "$sample.l" "$sample"
    fi
    while IFS= read -r f; do
        if [ -s "$f" ]; then
            printf '%s\t%s\n' "$f" "$label" >>"$OUT/files.tsv"
        else
            printf '%s\t%s\n' "$f" "$label" >>"$OUT/empty.tsv"
        fi
    done <"$sample"
    rm -f "$sample"
}
add_set phishing "$CORPUS/phishing_pot" '*.eml'
add_set ham "$CORPUS/spamassassin/ham"
add_set spam "$CORPUS/spamassassin/spam"
# Real mail of 2015-2026 (issue 9), when the corpus has it: one message per .eml file (the few
# mailbox exports are left out, since spamc and rspamc read a file as one message).
if [ -d "$CORPUS/modern/ham" ]; then
    add_set modern_ham "$CORPUS/modern/ham" '*.eml'
    add_set modern_phishing "$CORPUS/modern/phishing" '*.eml'
fi
cut -f1 "$OUT/files.tsv" >"$OUT/list.txt"
tr '\n' '\0' <"$OUT/list.txt" >"$OUT/list.0"
N="$(wc -l <"$OUT/list.txt")"
echo "peers.sh: $N files to scan, $(wc -l <"$OUT/empty.tsv") empty skipped" >&2

# --- 2. peers installed? -------------------------------------------------------------
if ! command -v spamd >/dev/null || ! command -v spamc >/dev/null \
    || ! command -v spamassassin >/dev/null || ! command -v rspamd >/dev/null \
    || ! command -v rspamc >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "peers.sh: installing spamassassin, spamc, spamd, rspamd (Debian)" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq spamassassin spamc spamd rspamd >/dev/null
fi

# --- 3. HealthGuard build (before the daemons, so it does not compete with them) ------
HG_BIN="$TARGET/release/healthguard"
cargo build --release --locked -q -p healthguard
HG_CMD=("$HG_BIN" scan --format jsonl --no-progress --threads "$JOBS")
HG_HOW="healthguard scan --format jsonl --threads $JOBS"

# --- 4. daemons ----------------------------------------------------------------------
SA_DIR="$OUT/spamassassin"
RS_DIR="$OUT/rspamd"
cleanup() {
    local pidfile pid
    for pidfile in "$SA_DIR/spamd.pid" "$RS_DIR/run/rspamd.pid"; do
        if [ -s "$pidfile" ]; then
            pid="$(cat "$pidfile")"
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# SpamAssassin: a private copy of the site config with every network and learning
# feature off; -L (local tests only) and -x (no per-user config) on the command line.
mkdir -p "$SA_DIR/home"
cp -r /etc/spamassassin "$SA_DIR/conf"
cat >>"$SA_DIR/conf/local.cf" <<'EOF'

# bench/peers.sh: offline, rules only
use_bayes 0
bayes_auto_learn 0
use_auto_whitelist 0
skip_rbl_checks 1
dns_available no
EOF
chown -R nobody "$SA_DIR/home"
spamd -d -L -x --siteconfigpath="$SA_DIR/conf" -i 127.0.0.1 -p "$SPAMD_PORT" -u nobody \
    -H "$SA_DIR/home" -r "$SA_DIR/spamd.pid" -m "$JOBS" -s "$SA_DIR/spamd.log"

# rspamd: the stock configuration with network modules disabled (peers.md), private
# directories, workers on our own ports, proxy and fuzzy workers off.
mkdir -p "$RS_DIR/conf/local.d" "$RS_DIR/conf/override.d" "$RS_DIR/db" "$RS_DIR/run" "$RS_DIR/log"
cat >"$RS_DIR/conf/local.d/options.inc" <<'EOF'
# every lookup goes to a closed local port and fails at once: nothing leaves the machine
dns {
  nameserver = ["127.0.0.1:53"];
  timeout = 0.1s;
  retransmits = 0;
}
EOF
for m in rbl surbl emails spf dkim dmarc arc asn fuzzy_check rspamd_update mx_check \
    url_redirector whitelist multimap mime_types mid bimi reputation ratelimit greylist \
    neural replies history_redis dcc; do
    echo 'enabled = false;' >"$RS_DIR/conf/local.d/$m.conf"
done
printf '%s\n' 'openphish_enabled = false;' 'phishtank_enabled = false;' \
    >"$RS_DIR/conf/override.d/phishing.conf"
printf 'bind_socket = "127.0.0.1:%s";\ncount = %s;\n' "$RSPAMD_PORT" "$JOBS" \
    >"$RS_DIR/conf/override.d/worker-normal.inc"
printf 'bind_socket = "127.0.0.1:%s";\n' "$((RSPAMD_PORT + 1))" \
    >"$RS_DIR/conf/override.d/worker-controller.inc"
echo 'enabled = false;' >"$RS_DIR/conf/override.d/worker-proxy.inc"
echo 'enabled = false;' >"$RS_DIR/conf/override.d/worker-fuzzy.inc"
chown -R _rspamd "$RS_DIR"
rspamd -c /etc/rspamd/rspamd.conf -u _rspamd -g _rspamd \
    --var=LOCAL_CONFDIR="$RS_DIR/conf" --var=DBDIR="$RS_DIR/db" \
    --var=RUNDIR="$RS_DIR/run" --var=LOGDIR="$RS_DIR/log" 2>>"$RS_DIR/log/startup.log"

PROBE="$OUT/probe.eml"
printf 'From: a@example.org\r\nTo: b@example.org\r\nSubject: probe\r\n\r\nprobe\r\n' >"$PROBE"
ready=""
for _ in $(seq 120); do
    if spamc -d 127.0.0.1 -p "$SPAMD_PORT" -K >/dev/null 2>&1; then ready=1; break; fi
    sleep 1
done
[ -n "$ready" ] || { echo "peers.sh: spamd did not start (see $SA_DIR/spamd.log)" >&2; exit 69; }
ready=""
for _ in $(seq 120); do
    if rspamc -h "127.0.0.1:$RSPAMD_PORT" -t 5 "$PROBE" 2>/dev/null | grep -q '^Action:'; then
        ready=1; break
    fi
    sleep 1
done
[ -n "$ready" ] || { echo "peers.sh: rspamd did not start (see $RS_DIR/log/rspamd.log)" >&2; exit 69; }
# Regular expressions run through hyperscan once the helper has compiled them (tens of
# seconds on a fresh DBDIR); measure only after every normal worker has loaded them.
for _ in $(seq 300); do
    loaded="$(grep -c '(normal).*rspamd_worker_hyperscan_ready' "$RS_DIR/log/rspamd.log" || true)"
    [ "${loaded:-0}" -ge "$JOBS" ] && break
    sleep 1
done
[ "${loaded:-0}" -ge "$JOBS" ] \
    || echo "peers.sh: warning: rspamd hyperscan not loaded after 300 s; measuring anyway" >&2
spamc -d 127.0.0.1 -p "$SPAMD_PORT" -c <"$PROBE" >/dev/null || true

# --- 5. scans -------------------------------------------------------------------------
now() { date +%s.%N; }
# one process for the whole list (half of ARG_MAX holds ~10,000 corpus paths), so start-up
# is paid once and rspamc keeps its parallel requests going to the end
XARGS_SIZE="$(( $(getconf ARG_MAX) / 2 ))"
: >"$OUT/timing.tsv"
timed() { # name command...
    local name="$1" t0 t1
    shift
    echo "peers.sh: $name ..." >&2
    t0="$(now)"
    "$@"
    t1="$(now)"
    awk -v a="$t0" -v b="$t1" -v n="$N" -v name="$name" \
        'BEGIN { printf "%s\t%.3f\t%s\n", name, b - a, n }' >>"$OUT/timing.tsv"
    echo "peers.sh: $name done in $(tail -n1 "$OUT/timing.tsv" | cut -f2) s" >&2
}

run_healthguard() {
    local rc=0
    xargs -0 -s "$XARGS_SIZE" -a "$OUT/list.0" "${HG_CMD[@]}" >"$OUT/healthguard.jsonl" 2>"$OUT/healthguard.err" || rc=$?
    # exit code 3 (some file unreadable) comes back from xargs as 123; the errors are lines
    # of the JSON output and counted by the report
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 123 ]; then
        echo "peers.sh: HealthGuard exited with $rc (see $OUT/healthguard.err)" >&2
    fi
}
run_rspamd() {
    xargs -0 -s "$XARGS_SIZE" -a "$OUT/list.0" rspamc -h "127.0.0.1:$RSPAMD_PORT" -n "$((2 * JOBS))" -t 60 \
        >"$OUT/rspamd.txt" 2>"$OUT/rspamd.err" || true
}
run_spamassassin() {
    # one spamc per file (it reads one message on stdin), JOBS at a time; -s raises the
    # 500 KB default so the few big mails are scanned like by the other two
    # shellcheck disable=SC2016
    xargs -0 -a "$OUT/list.0" -P "$JOBS" -n 16 bash -c '
        port="$1"; shift
        for f; do
            r="$(spamc -d 127.0.0.1 -p "$port" -c -s 52428800 -t 120 <"$f" 2>/dev/null)"
            printf "%s\t%s\n" "$f" "$r"
        done' _ "$SPAMD_PORT" >"$OUT/spamassassin.txt" 2>"$OUT/spamassassin.err" || true
}

uptime >"$OUT/load.txt"
timed healthguard run_healthguard
timed rspamd run_rspamd
timed spamassassin run_spamassassin
uptime >>"$OUT/load.txt"

# --- 6. per-file tables and the report --------------------------------------------------
# rspamc text output: "Results for file: PATH (T seconds)", "Action: A", "Score: S / R",
# "Symbol: NAME (W)[options]" -> path, flagged, score, action, NAME=W,...
awk -v OFS='\t' '
    function emit() { if (path != "") print path, (action != "no action" && action != "" ? 1 : 0), score, action, syms }
    /^Results for file: / { emit(); path = $0; sub(/^Results for file: /, "", path); sub(/ \([0-9.]+ seconds\)$/, "", path); action = ""; score = ""; syms = ""; next }
    /^Action: / { action = substr($0, 9); next }
    /^Score: / { score = $2; next }
    /^Symbol: / { w = $3; sub(/^\(/, "", w); sub(/\).*$/, "", w); syms = syms (syms == "" ? "" : ",") $2 "=" w; next }
    END { emit() }
' "$OUT/rspamd.txt" >"$OUT/rspamd.tsv"
# spamc -c prints "score/threshold"; "0/0" (or nothing) means it could not check the file
awk -F'\t' -v OFS='\t' '{
    split($2, a, "/")
    if ($2 == "" || a[2] + 0 == 0) print $1, "?", ""
    else print $1, (a[1] + 0 >= a[2] + 0 ? 1 : 0), a[1]
}' "$OUT/spamassassin.txt" >"$OUT/spamassassin.tsv"

{
    echo "healthguard	$HG_REV via $HG_HOW"
    echo "spamassassin	$(spamassassin -V | head -n1 | sed 's/^SpamAssassin version //') (spamd -L -x, packaged rules$([ -d /var/lib/spamassassin/4.0.1 ] && echo ' + sa-update'))"
    echo "rspamd	$(rspamd --version 2>/dev/null | head -n1 | sed 's/^Rspamd daemon version //')"
    echo "machine	$(nproc) cores, jobs $JOBS; load at start/end: $(sed 's/.*load average: //' "$OUT/load.txt" | paste -sd'|' | sed 's/|/ \/ /')"
    [ -n "$LIMIT" ] && echo "limit	at most $LIMIT files per set (fixed sample)"
    true
} >"$OUT/versions.txt"

python3 "$ROOT/bench/peers_report.py" "$OUT" | tee "$OUT/report.md"
echo "peers.sh: per-file results in $OUT" >&2

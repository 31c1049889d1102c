#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets of fuzz/ (cargo-fuzz + libFuzzer, nightly toolchain),
# one after the other, each for SECONDS (default 60), at the lowest CPU priority.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     # targets: mail text host registry api milter archive
#
# Seeds come from the project's own test fixtures (written to fuzz/seeds/, regenerated each
# run); what a target learns stays in fuzz/corpus/TARGET (both ignored by git). Every input
# is bounded: -rss_limit_mb (FUZZ_RSS_MB, default 2048: a malloc or a peak above it is a
# failure), -timeout (FUZZ_TIMEOUT, default 30 s of wall time for one input: a hang detector on a
# shared, niced machine, where a starved fuzzer can wait seconds for a core; the slowest
# input's real time is printed as slowest_unit_time_sec), -max_len (FUZZ_MAX_LEN,
# default 262144 bytes). A crash, hang or out-of-memory input is written to
# fuzz/artifacts/TARGET/ and the script exits 1; keep it as a regression test (SECURITY.md).
#
# Environment: FUZZ_NO_BUILD=1 runs the binaries already built; FUZZ_RUNS=N runs N inputs per target from a fixed seed (SECONDS still caps
# the time), as CI's smoke run does; FUZZ_TARGET_DIR (default fuzz/target), FUZZ_INSTALL=1 installs cargo-fuzz
# from crates.io when missing; FUZZ_SKIP_OK=1 exits 0 with a message when nightly or
# cargo-fuzz cannot be had (CI's smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-60}
[[ $# -gt 0 ]] && shift
all=(mail text host registry api milter archive)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")

rss=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-30}
max_len=${FUZZ_MAX_LEN:-262144}
target_dir=${FUZZ_TARGET_DIR:-$root/fuzz/target}

skip() {
    echo "fuzz: skipped: $*"
    if [[ ${FUZZ_SKIP_OK:-0} == 1 ]]; then exit 0; fi
    exit 2
}

if ! cargo +nightly --version >/dev/null 2>&1; then
    skip "no nightly toolchain (rustup toolchain install nightly)"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    if [[ ${FUZZ_INSTALL:-0} == 1 ]]; then
        echo "fuzz: installing cargo-fuzz from crates.io"
        cargo install cargo-fuzz --locked >/dev/null 2>&1 || skip "cargo install cargo-fuzz failed"
    else
        skip "cargo-fuzz is not installed (cargo install cargo-fuzz, or FUZZ_INSTALL=1)"
    fi
fi

for t in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz: unknown target $t (one of: ${all[*]})" >&2; exit 2; }
done

# Seeds from the repository's fixtures.
seeds=$root/fuzz/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{mail,text,host,registry,api,milter,archive}
mails=(crates/mail/tests/fixtures/*.eml crates/cli/tests/fixtures/corpus/*/*.eml crates/cli/tests/fixtures/maildir/*/*[0-9]*)
for f in "${mails[@]}"; do
    [[ -f $f ]] || continue
    cp "$f" "$seeds/mail/$(basename "$f" | tr ':,' '__')"
    # The milter target: 0x01 frames the mail into a conversation itself.
    { printf '\x01'; cat "$f"; } >"$seeds/milter/$(basename "$f" | tr ':,' '__')"
    # The API: 0x02 is a raw upload to /v1/check/email.
    { printf '\x02'; cat "$f"; } >"$seeds/api/upload-$(basename "$f" | tr ':,' '__')"
done
# Feed samples: hosts and URLs as the feeds list them.
for f in crates/cli/tests/fixtures/feeds/*.txt; do
    [[ -f $f ]] || continue
    head -c 4096 "$f" >"$seeds/host/$(basename "$f")"
done
# Texts, SMS, links and numbers written in the core's and CLI's tests.
python3 - "$seeds" <<'PY' || echo "fuzz: python3 missing: text/api/milter/archive seeds are the fixtures only"
import json, os, re, struct, sys, zipfile, io, warnings
warnings.simplefilter("ignore")
seeds = sys.argv[1]
root = os.getcwd()
strings = set()
for d in ("crates/core/tests", "crates/core/src", "crates/cli/tests", "crates/domains/tests"):
    for dirpath, _, files in os.walk(os.path.join(root, d)):
        for name in files:
            if name.endswith(".rs"):
                text = open(os.path.join(dirpath, name), encoding="utf-8", errors="replace").read()
                for m in re.finditer(r'"((?:[^"\\\n]|\\.){12,400})"', text):
                    s = m.group(1)
                    if " " in s or "." in s:
                        strings.add(s.encode().decode("unicode_escape", errors="ignore").encode("latin-1", errors="ignore").decode("utf-8", errors="ignore"))
strings = sorted(strings)[:600]
for i, s in enumerate(strings):
    b = s.encode()
    open(f"{seeds}/text/s{i}", "wb").write(bytes([i % 5]) + b)
    if "." in s and len(s) < 120:
        open(f"{seeds}/host/h{i}", "wb").write(b)
# API bodies.
api = [
    (0, {"kind": "sms", "sender": "NFZ", "text": "NFZ: zwrot 312 zl, potwierdz: nfz-zwrot-pl.com", "lang": "pl"}),
    (0, {"kind": "url", "url": "https://nfz.gov.pl.secure-login.example/"}),
    (0, {"kind": "phone", "number": "+48 22 572 60 00"}),
    (0, {"kind": "text", "text": "Twoja e-recepta czeka: https://e-recepta.example"}),
    (0, {"kind": "email", "raw": "From: NFZ <a@nfz-zwrot.pl>\nSubject: Zwrot\n\nhttps://nfz-zwrot.pl"}),
    (1, {"kind": "sms", "sender": "CNAS", "text": "Card expirat, actualizati: cnas-ro.info", "contact": "a@b.pl", "consent": True, "lang": "ro"}),
]
for i, (route, body) in enumerate(api):
    open(f"{seeds}/api/json{i}", "wb").write(bytes([route]) + json.dumps(body).encode())
form = "--hgfuzz\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nsms\r\n--hgfuzz\r\nContent-Disposition: form-data; name=\"sender\"\r\n\r\nNFZ\r\n--hgfuzz\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nZwrot: nfz-zwrot.pl\r\n--hgfuzz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/m.eml\"\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b.pl\r\nSubject: x\r\n\r\nhello\r\n--hgfuzz--\r\n"
for route in (3, 4, 7):
    open(f"{seeds}/api/form{route}", "wb").write(bytes([route]) + form.encode())
for route, body in ((5, "kind=sms&sender=NFZ&text=Zwrot+312+zl%3A+nfz-zwrot.pl&lang=pl"), (6, "kind=text&text=hello&contact=a%40b.pl&consent=on")):
    open(f"{seeds}/api/urlenc{route}", "wb").write(bytes([route]) + body.encode())
for i, path in enumerate(("/", "/about?lang=uk", "/v1/institutions?lang=ro", "/v1/institutions/pl.nfz", "/v1/advisories", "/reports/abc?token=x", "/v1/reports/abc?token=y", "/assets/app.css", "/healthz", "/openapi.json")):
    open(f"{seeds}/api/get{i}", "wb").write(bytes([9]) + path.encode())
# Raw milter packets: a conversation written packet by packet (mode byte 0x00).
def pkt(cmd, data):
    return struct.pack(">I", len(data) + 1) + cmd + data
conv = pkt(b"O", struct.pack(">III", 6, 0x1FF, 0)) + pkt(b"C", b"client.example\x004\x00\x19198.51.100.7\x00") + pkt(b"H", b"client.example\x00")
conv += pkt(b"M", b"<a@example.org>\x00") + pkt(b"R", b"<b@przychodnia-sloneczna.pl>\x00")
conv += pkt(b"L", b"From\x00NFZ <nfz@nfz-zwrot.pl>\x00") + pkt(b"L", b"Subject\x00Zwrot\x00") + pkt(b"N", b"")
conv += pkt(b"B", b"Prosimy potwierdzic dane: https://nfz-zwrot.pl/\r\n") + pkt(b"E", b"") + pkt(b"A", b"") + pkt(b"Q", b"")
open(f"{seeds}/milter/packets", "wb").write(b"\x00" + conv)
open(f"{seeds}/milter/macros", "wb").write(b"\x00" + pkt(b"O", struct.pack(">III", 6, 0x1FF, 0)) + pkt(b"D", b"Ci\x00ABC123\x00") + pkt(b"T", b"") + pkt(b"U", b"XYZ\x00"))
# Archives: a small zip, a zip inside a zip, and the magic bytes of other formats.
def mkzip(entries, deflate=True):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()
inner = mkzip([("faktura.pdf.exe", b"MZ" + b"\0" * 64), ("readme.txt", b"hello")])
open(f"{seeds}/archive/plain.zip", "wb").write(inner)
open(f"{seeds}/archive/nested.zip", "wb").write(mkzip([("inner.zip", inner), ("doc.docm", b"PK\x03\x04")], deflate=False))
for name, magic in (("rar", b"Rar!\x1a\x07\x00"), ("7z", b"7z\xbc\xaf\x27\x1c"), ("gz", b"\x1f\x8b\x08\x00"), ("ole", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)):
    open(f"{seeds}/archive/{name}", "wb").write(magic + b"\0" * 32)
PY
# Registry: the built-in packs, NUL-separated as the target reads them.
for pack in data/registry/pl/nfz.toml data/registry/ro/cnas.toml data/registry/pl/cez.toml; do
    country=$(dirname "$pack")/country.toml
    name=$(basename "$(dirname "$pack")")-$(basename "$pack" .toml)
    { cat data/registry/registry.toml; printf '\0'; cat "$country"; printf '\0'; cat "$pack"; } >"$seeds/registry/$name"
    { cat data/registry/registry.toml; printf '\0'; cat "$country"; printf '\0'; cat "$pack"; printf '\0'
      printf 'healthguard-registry-signature-ed25519\nAAAA\n'; } >"$seeds/registry/$name-sig"
done

# Build every asked target once (release, debug assertions on, ASan off: libFuzzer's own
# -rss_limit_mb/-malloc_limit_mb bound memory; the Rust code has no unsafe of its own).
if [[ ${FUZZ_NO_BUILD:-0} == 1 ]]; then
    echo "fuzz: FUZZ_NO_BUILD=1: running the binaries already built"
else
echo "fuzz: building ${targets[*]}"
(cd fuzz && nice -n 19 cargo +nightly fuzz build --target-dir "$target_dir" -s none -a) \
    >"$root/fuzz/build.log" 2>&1 || { tail -30 "$root/fuzz/build.log"; echo "fuzz: build failed"; exit 1; }
fi
bins=$target_dir/x86_64-unknown-linux-gnu/release

# FUZZ_RUNS=N: N executions per target from seed 1 instead of SECONDS (deterministic: CI).
if [[ -n ${FUZZ_RUNS:-} ]]; then
    budget=(-runs="$FUZZ_RUNS" -seed=1 -max_total_time="$seconds")
else
    budget=(-max_total_time="$seconds")
fi

status=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/artifacts/$t.log"
    echo "fuzz: $t for ${FUZZ_RUNS:+$FUZZ_RUNS runs, at most }${seconds}s (rss ≤ ${rss} MB, ≤ ${timeout} s per input, inputs ≤ ${max_len} bytes)"
    set +e
    # Regression inputs (fuzz/regressions/TARGET) are seeds too: a fixed bug stays fixed.
    extra=()
    [[ -d fuzz/regressions/$t ]] && extra+=("fuzz/regressions/$t")
    nice -n 19 "$bins/$t" "fuzz/corpus/$t" "fuzz/seeds/$t" "${extra[@]}" \
        "${budget[@]}" -rss_limit_mb="$rss" -malloc_limit_mb="$rss" -timeout="$timeout" \
        -max_len="$max_len" -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{print $2}' | tail -1 || true)
    secs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $5}' || true)
    if [[ $rc -ne 0 ]]; then
        status=1
        found=$(ls -t "fuzz/artifacts/$t/" 2>/dev/null | head -1)
        summary+=("$t: FAILED (exit $rc) after ${runs:-?} runs; input fuzz/artifacts/$t/$found; log $log")
        grep -E 'ERROR: libFuzzer|panicked at|SUMMARY|Test unit written' "$log" | head -5 || true
    else
        slow=$(grep -Eo 'slowest_unit_time_sec: *[0-9]+' "$log" | awk '{print $2}' | tail -1 || true)
        peak=$(grep -Eo 'peak_rss_mb: *[0-9]+' "$log" | awk '{print $2}' | tail -1 || true)
        summary+=("$t: ok, ${runs:-?} runs in ${secs:-?} s, slowest input ${slow:-?} s, peak RSS ${peak:-?} MB, corpus $(ls "fuzz/corpus/$t" | wc -l) inputs")
    fi
done
echo "fuzz summary:"
printf '  %s\n' "${summary[@]}"
exit $status

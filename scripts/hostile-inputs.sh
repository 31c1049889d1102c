#!/usr/bin/env bash
# Measures time and peak memory of the release CLI on the hostile inputs of SECURITY.md's
# bad-input table (the same shapes as the tests in crates/*/tests/hostile.rs, which assert
# the outcomes). Writes the inputs to a scratch directory, runs each through
# `/usr/bin/time -v healthguard check …`, and prints one Markdown row per input:
# input | size | verdict (or error) | wall time | peak RSS.
#
#   bash scripts/hostile-inputs.sh [BINARY]     # default: target/release/healthguard (built)
#
# Needs python3 (to write the inputs) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [[ -z $bin ]]; then
    nice -n 10 cargo build --release --locked -p healthguard >&2
    bin=${CARGO_TARGET_DIR:-target}/release/healthguard
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import base64, io, os, sys, zipfile, zlib, struct
w = sys.argv[1]
HEAD = "From: NFZ <nfz@nfz-zwrot.pl>\nSubject: Zwrot\n"
def put(name, data):
    open(os.path.join(w, name), "wb").write(data if isinstance(data, bytes) else data.encode())

line = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod\n"
big = (HEAD + "Content-Type: text/plain\n\nPotwierdz dane: https://nfz-zwrot.pl/\n").encode()
big += line * ((50 * 1024 * 1024) // len(line) + 2)
put("mail-50MB.eml", big)
parts = HEAD + 'Content-Type: multipart/mixed; boundary="p"\n\n'
parts += "".join(f'--p\nContent-Type: application/octet-stream; name="f{i}.exe"\n\nMZ{i}\n' for i in range(10000)) + "--p--\n"
put("mime-10000-parts.eml", parts)
deep = HEAD + 'Content-Type: multipart/mixed; boundary="b0"\n\n'
deep += "".join(f'--b{i-1}\nContent-Type: multipart/mixed; boundary="b{i}"\n\n' for i in range(1, 1000))
deep += "--b999\nContent-Type: text/plain\n\nhttps://nfz-zwrot.pl/\n"
put("multipart-1000-deep.eml", deep)
def zipped(entries, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for n, d in entries:
            z.writestr(n, d)
    return b.getvalue()
level = zipped([("payload.exe", b"\0" * (16 * 1024 * 1024))])
for l in range(4):
    level = zipped([(f"l{l}-{i}.zip", level) for i in range(16)])
def attach(name, data):
    return (HEAD + f'Content-Type: multipart/mixed; boundary="z"\n\n--z\nContent-Type: text/plain\n\nw zalaczniku\n--z\nContent-Type: application/zip; name="{name}"\nContent-Disposition: attachment; filename="{name}"\nContent-Transfer-Encoding: base64\n\n').encode() + base64.encodebytes(data) + b"\n--z--\n"
put("zip-bomb-nested.eml", attach("bomb.zip", level))
words = "=?utf-8?B?TkZa?= " * 200000
put("encoded-word-bomb.eml", f"From: {words}<nfz@nfz-zwrot.pl>\nSubject: {words}\n\nhttps://nfz-zwrot.pl/\n")
b64 = (HEAD + 'Content-Type: multipart/mixed; boundary="q"\n\n--q\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n').encode()
b64 += b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n" * (20 * 1024 * 1024 // 73)
b64 += b"--q\n" + b"".join(b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYUBiLmV4YW1wbGUKU3ViamVjdDogeAoKeA==\n--q" + (b"--" if i == 399 else b"") + b"\n" for i in range(400))
put("base64-bomb.eml", b64)
long = "x" * (1024 * 1024)
put("header-1MB.eml", f'From: NFZ <nfz@nfz-zwrot.pl{long}>\nSubject: {long}\nX-Long: {"a " * (512*1024)}\nReceived: from {long}\nContent-Type: text/plain; charset="{long}"\n\nhttps://nfz-zwrot.pl/\n')
nul = b"From: NFZ\0\xff <nfz@nfz\0-zwrot.pl>\nSubject: Zw\xc3\x28rot\0\xfe\xff\nContent-Type: text/html; charset=utf-8\n\n"
nul += b"<a href=\"https://nfz-zwrot.pl/\0\xff\">\xed\xa0\x80\0kliknij</a>\xf8\x88\x80\x80\x80 " * 10000
put("nul-invalid-utf8.eml", nul)
put("html-million-tags.eml", HEAD + "Content-Type: text/html\n\n<html><body>" + "<div>" * 1000000 + "</body></html>\n")
put("html-nested-anchors.eml", HEAD + "Content-Type: text/html\n\n" + '<a href="https://nfz-zwrot.pl/">' * 300000)
put("html-unclosed-attrs.eml", HEAD + "Content-Type: text/html\n\n" + '<a href="' * 1000000)
cyr = "nfz.gоv.рl " * 20000
bold = "𝐍𝐅𝐙 𝐳𝐰𝐫𝐨𝐭 " * 20000
zw = "N\u200dF\u200bZ\u2060 " * 50000
put("homoglyph-flood.eml", f'From: {bold} <nfz@nfz.gоv.рl>\nSubject: {zw}\nContent-Type: text/html; charset=utf-8\n\n<a href="https://nfz.gоv.рl/">{cyr}</a> {bold} {zw}\n')
# Texts (SMS): regex/fold backtracking and floods.
put("sms-dotted-labels.txt", "a." * 200000)
put("sms-at-signs.txt", "a@" * 200000)
put("sms-one-long-word.txt", "x" * 1000000)
put("sms-defanged-flood.txt", "hxxp[:]//a[.]b[.]" * 50000)
put("sms-combining-marks.txt", "a" + "\u0301" * 300000)
put("sms-homoglyph-flood.txt", "nfz.gоv.рl " * 50000 + "𝐍𝐅𝐙 𝐳𝐰𝐫𝐨𝐭 " * 50000)
put("sms-nul-invalid.txt", (b"NFZ\0: zwrot \xff\xfe 312 z\xc5\0 nfz-zwrot\0.pl \xed\xa0\x80 " * 8000))
# A registry directory with one pack over the size limit.
os.makedirs(os.path.join(w, "registry-huge/pl"))
with open(os.path.join(w, "registry-huge/pl/huge.toml"), "wb") as f:
    f.truncate(100 * 1024 * 1024)
PY

row() {
    local what=$1 size=$2
    shift 2
    local out=$work/out err=$work/err
    set +e
    /usr/bin/time -v "$@" >"$out" 2>"$err"
    local rc=$?
    set -e
    local wall rss verdict
    wall=$(grep -F 'Elapsed (wall clock)' "$err" | awk '{print $NF}')
    rss=$(grep -F 'Maximum resident set size' "$err" | awk '{printf "%.0f MB", $NF/1024}')
    verdict=$(python3 -c 'import json,sys
try:
    d=json.load(open(sys.argv[1])); print(d["verdict"] + " (" + ", ".join(sorted({f["code"] for f in d["findings"] if "LIMIT" in f["code"] or "TRUNC" in f["code"]})) + ")")
except Exception:
    print("")' "$out")
    if [[ -z $verdict ]]; then
        verdict="exit $rc: $(grep -v -E '^\s|Command being timed|Exit status' "$err" | head -1 | cut -c1-80)"
    fi
    echo "| $what | $size | $verdict | $wall | $rss |"
}

echo "| input | size | outcome | wall time | peak RSS |"
echo "|---|---|---|---|---|"
for f in "$work"/*.eml; do
    row "$(basename "$f")" "$(du -h "$f" | cut -f1)" "$bin" check --dns off --format json "$f"
done
for f in "$work"/sms-*.txt; do
    row "$(basename "$f") (SMS)" "$(du -h "$f" | cut -f1)" sh -c "\"$bin\" check --sms --sender NFZ --format json < \"$f\""
    row "$(basename "$f") (text)" "$(du -h "$f" | cut -f1)" sh -c "\"$bin\" check --text --format json < \"$f\""
done
# A host far past the length limit (crates/domains/tests/props.rs asserts such hosts are
# refused before any work); 100 KB, as one argument may not exceed 128 KiB.
host=$(python3 -c 'print("nfz-" * 25000 + ".pl")')
row "100 KB host (URL)" "100K" "$bin" check --url "https://$host/" --format json
row "registry with a 100 MB pack" "100M" "$bin" registry lint "$work/registry-huge"

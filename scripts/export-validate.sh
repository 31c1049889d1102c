#!/usr/bin/env bash
# Validates the triage exports with the real tools, on files produced by the CLI:
#   - STIX 2.1 bundle: OASIS stix2-validator (PyPI), --strict;
#   - MISP event: MISP's JSON schema and PyMISP (PyPI), with the phishing object template
#     (scripts/misp-check.py);
#   - RPZ zone: named-checkzone (Debian bind9-utils);
#   - ARF: Python's e-mail parser (multipart/report; report-type=feedback-report, a
#     message/feedback-report part, the attached message).
# Installs the tools when missing, files reports to a real `healthguard serve`, stops it,
# exports offline with `healthguard triage export`, then runs the triage crate's tool tests.
# Fails when a tool is missing or any validation fails.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

pip_install() {
    python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}
python3 -c 'import stix2validator' 2>/dev/null || pip_install stix2-validator
python3 -c 'import pymisp, jsonschema' 2>/dev/null || pip_install pymisp jsonschema
if ! command -v named-checkzone >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends bind9-utils >/dev/null
fi
command -v stix2_validator >/dev/null || { echo "export-validate: stix2_validator missing" >&2; exit 1; }
command -v named-checkzone >/dev/null || { echo "export-validate: named-checkzone missing" >&2; exit 1; }

cargo build -q --locked -p healthguard
bin="${CARGO_TARGET_DIR:-target}/debug/healthguard"
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin" serve --dns off --no-rate-limit --listen "127.0.0.1:$port" --data "$work/data" >/dev/null 2>&1 &
server=$!
# Reports written by the project, with personal data of every kind.
python3 - "$port" <<'PY'
import json, sys, time, urllib.request
port = sys.argv[1]
base = f"http://127.0.0.1:{port}"
for _ in range(300):
    try:
        urllib.request.urlopen(base + "/healthz", timeout=1); break
    except Exception:
        time.sleep(0.1)
reports = [
    {"kind": "sms", "sender": "NFZ", "text": "Szanowny Panie Jan Kowalski, NFZ: masz zwrot 312 zl. Potwierdz: https://nfz-zwrot-pl.com/login?id=9 lub zadzwon +48 600 111 333. Info: nfz.gov.pl",
     "contact": "reporter@example.org", "consent": True},
    {"kind": "sms", "sender": "NFZ-INFO", "text": "NFZ: zwrot 97 zl czeka, PESEL 44051401359, konto PL61 1090 1014 0000 0712 1981 2874: nfz-zwrot-pl.com/zwrot"},
    {"kind": "email", "raw": "From: \"CNAS\" <plati@cnas-rambursare.com>\r\nTo: Ion Popescu <ion.popescu@example.com>\r\nSubject: Rambursare\r\n"
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
     "Stimate domnule Ion Popescu, CNP 1800101221144, card 4111 1111 1111 1111. Accesati https://cnas-rambursare.com/plata sau bit.ly/cnas1\r\n"
     "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=f.pdf\r\n\r\n%PDF-1.4\r\n--b--\r\n"},
    {"kind": "url", "url": "hxxps://ikp-konto-login[.]online/verify"},
]
for r in reports:
    req = urllib.request.Request(base + "/v1/reports", data=json.dumps(r).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status in (200, 201, 202), resp.status
PY
kill "$server"; wait "$server" 2>/dev/null || true; server=""

for f in stix misp arf domains hosts rpz adblock; do
    "$bin" triage export --data "$work/data" --format "$f" --output "$work/export.$f"
done
# stix2_validator reads only files named *.json.
cp "$work/export.stix" "$work/bundle.json"
echo "export-validate: STIX"
stix2_validator --strict "$work/bundle.json" | tee "$work/stix.log"
if ! grep -q "STIX JSON: Valid" "$work/stix.log" || grep -q "\[X\]" "$work/stix.log"; then
    echo "export-validate: STIX bundle invalid" >&2; exit 1
fi
echo "export-validate: MISP"
python3 scripts/misp-check.py "$work/export.misp"
echo "export-validate: RPZ"
named-checkzone rpz.healthguard "$work/export.rpz"
echo "export-validate: ARF"
python3 - "$work/export.arf" <<'PY'
import email, sys
from email import policy
text = open(sys.argv[1], encoding="utf-8").read()
messages = [m for m in text.split("\nFrom healthguard@localhost ") if m.strip()] if text.startswith("From ") else [text]
assert messages, "no ARF message"
for raw in messages:
    raw = raw.split("\n", 1)[1] if raw.startswith("From ") or not raw.startswith("From:") else raw
    m = email.message_from_string(raw, policy=policy.default)
    assert m.get_content_type() == "multipart/report", m.get_content_type()
    assert m.get_param("report-type") == "feedback-report", m.get_param("report-type")
    parts = [p.get_content_type() for p in m.iter_parts()]
    assert parts[0] == "text/plain" and parts[1] == "message/feedback-report" and parts[2] in ("message/rfc822", "text/rfc822-headers"), parts
    fields = str(list(m.iter_parts())[1].get_payload()[0]) if list(m.iter_parts())[1].is_multipart() else list(m.iter_parts())[1].get_payload()
    for need in ("Feedback-Type:", "User-Agent:", "Version: 1"):
        assert need in str(fields), (need, fields)
print(f"{sys.argv[1]}: {len(messages)} ARF message(s) valid")
PY
for f in domains hosts rpz adblock; do
    if grep -E '(^|[ |.*])([a-z0-9-]+\.)*gov\.pl' "$work/export.$f"; then
        echo "export-validate: an official domain in the $f blocklist" >&2; exit 1
    fi
done
for personal in Kowalski Popescu 44051401359 1800101221144 "4111 1111" reporter@example.org ion.popescu; do
    if grep -rqF "$personal" "$work"/export.*; then
        echo "export-validate: personal data ($personal) in an export" >&2; exit 1
    fi
done
echo "export-validate: the triage crate's tool tests"
cargo test -q --locked -p healthguard-triage --test tools -- --nocapture 2>&1 | tee "$work/tools.log"
if grep -q SKIPPED "$work/tools.log"; then echo "export-validate: a tool test was skipped" >&2; exit 1; fi
echo "export-validate: all exports valid"

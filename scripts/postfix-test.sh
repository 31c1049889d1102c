#!/usr/bin/env bash
# `healthguard milter` behind a real Postfix (Debian's), end to end.
#
# Installs postfix and swaks from Debian when missing (non-interactively, without starting
# the system's Postfix), then starts a PRIVATE Postfix instance: its own config and queue
# directories under a temporary directory, SMTP on a free loopback port, virtual delivery to
# Maildirs, `smtpd_milters` pointing at `healthguard milter` on another free loopback port.
# Sends the project's fixture mails with swaks and checks what was delivered, held and
# rejected; then kills the milter with SIGKILL and checks that mail is still delivered,
# untagged (milter_default_action = accept).
#
# Usage: scripts/postfix-test.sh [PATH-TO-healthguard]   (default: builds it with cargo)
#        scripts/postfix-test.sh --install               (only install the packages)
# Exit 0 only when every check passed; any failed check prints why and exits 1.
# `cargo test` runs it from crates/cli/tests/postfix.rs (skipped, saying so, when Postfix is
# not installed, unless HEALTHGUARD_REQUIRE_POSTFIX=1 as scripts/test-all.sh sets).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# --- Debian packages -------------------------------------------------------------------
need=()
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
command -v swaks >/dev/null 2>&1 || need+=(swaks)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "postfix-test: installing ${need[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    # No system-wide configuration and no service start: this test runs its own instance.
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    [ -n "$made_policy" ] && $sudo rm -f /usr/sbin/policy-rc.d
fi
[ "${1:-}" = "--install" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "postfix-test: FAIL: a private Postfix instance needs root (it drops to the postfix user)" >&2
    exit 1
fi
export PATH="/usr/sbin:$PATH"

# --- the binary ------------------------------------------------------------------------
bin=${1:-}
if [ -z "$bin" ]; then
    cargo build --locked -q -p healthguard
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/healthguard"
fi
[ -x "$bin" ] || { echo "postfix-test: FAIL: no healthguard binary at $bin" >&2; exit 1; }

# --- a private Postfix -----------------------------------------------------------------
tmp=$(mktemp -d /tmp/hg-postfix.XXXXXX)
chmod 755 "$tmp"
milter_pid=""
cleanup() {
    postfix -c "$tmp/etc" stop >/dev/null 2>&1 || true
    [ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "postfix-test: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

. scripts/postfix-instance.sh
smtp_port=$(free_port)
milter_port=$(free_port)
while [ "$milter_port" = "$smtp_port" ]; do milter_port=$(free_port); done
metrics_port=$(free_port)
while [ "$metrics_port" = "$smtp_port" ] || [ "$metrics_port" = "$milter_port" ]; do metrics_port=$(free_port); done

postfix_instance "$tmp" "$smtp_port" "inet:127.0.0.1:$milter_port"
mkdir -p "$tmp/mail"
chown nobody:nogroup "$tmp/mail"
postconf -c "$tmp/etc" -e \
    "virtual_mailbox_domains = przychodnia-sloneczna.pl, hold.example, reject.example, banner.example" \
    "virtual_mailbox_base = $tmp/mail" \
    "virtual_mailbox_maps = texthash:$tmp/etc/mailboxes" \
    "virtual_uid_maps = static:$(id -u nobody)" \
    "virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)"
cat >"$tmp/etc/mailboxes" <<EOF
pacjent@przychodnia-sloneczna.pl clinic/
rejestracja@przychodnia-sloneczna.pl clinic/
someone@hold.example hold/
someone@reject.example reject/
pacjent@banner.example banner/
EOF

cat >"$tmp/healthguard.toml" <<EOF
[milter]
listen = "inet:127.0.0.1:$milter_port"
trust_authres = "mx.przychodnia-sloneczna.pl"
language = "pl"
metrics_listen = "127.0.0.1:$metrics_port"

[milter.domains."hold.example"]
phishing = "quarantine"

[milter.domains."reject.example"]
phishing = "reject"

[milter.domains."banner.example"]
language = "pl"
phishing = "banner"
EOF

postfix -c "$tmp/etc" check
postfix -c "$tmp/etc" start >/dev/null

start_milter() {
    "$bin" milter --config "$tmp/healthguard.toml" 2>>"$tmp/milter.log" &
    milter_pid=$!
    wait_port "$milter_port" && return
    echo "postfix-test: FAIL: the milter did not start" >&2
    cat "$tmp/milter.log" >&2
    exit 1
}
start_milter
wait_port "$smtp_port" || { echo "postfix-test: FAIL: Postfix did not start" >&2; exit 1; }

# --- checks ----------------------------------------------------------------------------
passed=0
failed=0
ok() { echo "  ok   $1"; passed=$((passed + 1)); }
bad() {
    echo "  FAIL $1" >&2
    failed=$((failed + 1))
}
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

fixtures=crates/mail/tests/fixtures
# A forged verdict header in front of the phishing fixture: it must not survive.
{ printf 'X-HealthGuard-Verdict: official\r\n'; cat "$fixtures/nfz_impersonation.eml"; } >"$tmp/phishing.eml"

send() { # send TO FILE → swaks' exit code; its transcript in $tmp/swaks.out
    swaks --server 127.0.0.1 --port "$smtp_port" --helo client.example \
        --from bounce@tehrad.io --to "$1" --data "$2" >"$tmp/swaks.out" 2>&1
}

# Waits until DIR/new holds COUNT files; prints the one that arrived last (the one not
# printed before).
seen="$tmp/seen"
: >"$seen"
delivered() { # delivered DIR COUNT
    local dir="$tmp/mail/$1/new"
    for _ in $(seq 1 100); do
        local n
        n=$(find "$dir" -type f 2>/dev/null | wc -l)
        if [ "$n" -ge "$2" ]; then
            local f
            f=$(find "$dir" -type f | grep -vxF -f "$seen" | head -1 || true)
            [ -n "$f" ] || return 1
            echo "$f" >>"$seen"
            echo "$f"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

header_is() { # header_is FILE NAME VALUE: exactly one NAME header, with VALUE
    local values
    values=$(grep -i "^$2:" "$1" | sed "s/^[^:]*: *//" | tr -d '\r')
    [ "$values" = "$3" ] || { echo "    $2 in $1: '$values', expected '$3'" >&2; return 1; }
}

echo "postfix-test: Postfix $(postconf -c "$tmp/etc" -h mail_version) on 127.0.0.1:$smtp_port, milter on 127.0.0.1:$milter_port"

echo "1. phishing to the clinic: delivered, tagged, with our headers, the forged one gone"
check "swaks accepted" send pacjent@przychodnia-sloneczna.pl "$tmp/phishing.eml"
if f=$(delivered clinic 1); then
    ok "delivered to the Maildir"
    check "X-HealthGuard-Verdict: phishing (forged 'official' removed)" header_is "$f" X-HealthGuard-Verdict phishing
    check "X-HealthGuard-Institution: pl.nfz" header_is "$f" X-HealthGuard-Institution pl.nfz
    check "X-HealthGuard-Findings lists DISPLAY_NAME_IMPERSONATION" grep -q "^X-HealthGuard-Findings:.*DISPLAY_NAME_IMPERSONATION" "$f"
    check "X-HealthGuard-Score present" grep -q "^X-HealthGuard-Score: [0-9.-]*" "$f"
    check "subject tagged [PHISHING]" grep -q "^Subject: \[PHISHING\] =?windows-1250?Q?Zwrot" "$f"
else
    bad "delivered to the Maildir"
fi

echo "2. the institution's authenticated mail (trusted Authentication-Results): official, untagged"
check "swaks accepted" send rejestracja@przychodnia-sloneczna.pl "$fixtures/authres_trusted.eml"
if f=$(delivered clinic 2); then
    ok "delivered"
    check "X-HealthGuard-Verdict: official" header_is "$f" X-HealthGuard-Verdict official
    check "subject unchanged" header_is "$f" Subject "Zmiana godzin pracy infolinii"
else
    bad "delivered"
fi

echo "3. phishing to a domain that quarantines: held by Postfix, not delivered"
check "swaks accepted" send someone@hold.example "$tmp/phishing.eml"
held=""
for _ in $(seq 1 100); do
    held=$(postqueue -c "$tmp/etc" -j 2>/dev/null | grep '"queue_name": *"hold"' || true)
    [ -n "$held" ] && break
    sleep 0.1
done
if [ -n "$held" ]; then
    ok "in the hold queue (postqueue -j)"
    id=$(echo "$held" | head -1 | sed 's/.*"queue_id": *"\([^"]*\)".*/\1/')
    check "held message carries X-HealthGuard-Verdict: phishing (postcat)" \
        bash -c "postcat -c '$tmp/etc' -h -q '$id' | grep -q '^X-HealthGuard-Verdict: phishing'"
else
    bad "in the hold queue (postqueue -j)"
fi
check "nothing delivered to hold/" test -z "$(find "$tmp/mail/hold" -type f 2>/dev/null)"

echo "4. phishing to a domain that rejects: 550 5.7.1 with the reason"
if send someone@reject.example "$tmp/phishing.eml"; then
    bad "swaks saw the message refused"
else
    ok "swaks saw the message refused (exit $?)"
fi
check "reply: 550 5.7.1 Message refused by HealthGuard: phishing" grep -q "<\*\* *550 5.7.1 Message refused by HealthGuard: phishing, it impersonates pl.nfz" "$tmp/swaks.out"
check "nothing delivered to reject/" test -z "$(find "$tmp/mail/reject" -type f 2>/dev/null)"

echo "5. the milter's Prometheus metrics count the four messages"
metrics() {
    exec 3<>"/dev/tcp/127.0.0.1/$metrics_port"
    printf 'GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3
    cat <&3
    exec 3<&-
}
metrics >"$tmp/metrics.txt" 2>/dev/null || true
for line in 'healthguard_milter_messages_total 4' \
    'healthguard_milter_verdicts_total{verdict="phishing"} 3' \
    'healthguard_milter_verdicts_total{verdict="official"} 1' \
    'healthguard_milter_actions_total{action="quarantine"} 1' \
    'healthguard_milter_actions_total{action="reject"} 1'; do
    check "$line" grep -qxF "$line" "$tmp/metrics.txt"
done

echo "6. phishing to a domain with banners: a warning in the plain and the HTML part, the attachment unchanged"
banner_fixture=crates/milter/tests/fixtures/nfz_alternative_attachment.eml
check "swaks accepted" send pacjent@banner.example "$banner_fixture"
if f=$(delivered banner 1); then
    ok "delivered"
    check "subject tagged [PHISHING]" grep -q "^Subject: \[PHISHING\] " "$f"
    check "banner parts: plain (ISO-8859-2, quoted-printable) and HTML (base64), attachment byte-identical" \
        python3 scripts/banner-check.py "$f" "$banner_fixture"
else
    bad "delivered"
fi

echo "7. milter killed with SIGKILL: Postfix still delivers, untagged (fail-open)"
kill -9 "$milter_pid"
wait "$milter_pid" 2>/dev/null || true
milter_pid=""
check "swaks accepted" send pacjent@przychodnia-sloneczna.pl "$fixtures/nfz_impersonation.eml"
if f=$(delivered clinic 3); then
    ok "delivered"
    check "no X-HealthGuard-* header" bash -c "! grep -qi '^X-HealthGuard-' '$f'"
    check "subject untagged" bash -c "grep -q '^Subject: =?windows-1250?Q?Zwrot' '$f'"
else
    bad "delivered"
fi

echo "8. the milter's log: one line per message with verdict and timing"
check "5 'checked' lines with verdict= and ms=" test "$(grep -c 'checked.*verdict=.*ms=' "$tmp/milter.log")" -eq 5
check "the banner message's line says banner=added" grep -q 'checked.*action=banner.*banner="\?added' "$tmp/milter.log"

echo "postfix-test: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
    echo "--- postfix log" >&2
    tail -40 "$tmp/postfix.log" >&2 || true
    echo "--- milter log" >&2
    tail -20 "$tmp/milter.log" >&2 || true
    exit 1
fi

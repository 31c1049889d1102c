#!/usr/bin/env bash
# Installs what the browser tests and the HTTP benchmark need, when missing:
# Debian's chromium and chromium-driver (headless browser tests of the web page) and wrk
# (bench/http.sh). Nothing is downloaded outside Debian's packages. Safe to run twice.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ "${1:-}" = "--bench" ]; then
    command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi

if [ ${#need[@]} -eq 0 ]; then
    echo "install-test-deps: nothing to install"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "install-test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-test-deps: done"

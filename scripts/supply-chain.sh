#!/usr/bin/env bash
# Supply chain: every crate in Cargo.lock (and fuzz/Cargo.lock) has an allowed licence, no
# banned crate is in the tree, and everything comes from crates.io (deny.toml). No advisory
# database is used (cargo metadata may fetch manifests of crates for other platforms from
# crates.io, which CI reaches). Advisories need a copy of
# the RustSec database, which cannot be fetched at CI time: with one at hand, run
# `cargo deny check advisories`.
#
# Installs cargo-deny from crates.io when missing (SUPPLY_CHAIN_NO_INSTALL=1: fail instead).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deny --version >/dev/null 2>&1; then
    if [[ ${SUPPLY_CHAIN_NO_INSTALL:-0} == 1 ]]; then
        echo "supply-chain: cargo-deny is not installed" >&2
        exit 2
    fi
    echo "supply-chain: installing cargo-deny from crates.io"
    nice -n 10 cargo install cargo-deny --locked --version "${CARGO_DENY_VERSION:-0.20.2}" >/dev/null
fi
cargo deny --version
cargo deny --locked check licenses bans sources
echo "supply-chain: licences, bans and sources ok"

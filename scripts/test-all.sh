#!/usr/bin/env bash
# Runs every test of the project on a fresh machine with only Rust installed.
# Installs what the tests need first (nothing beyond Rust yet), then the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked

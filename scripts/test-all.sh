#!/usr/bin/env bash
# Runs every test of the project on a fresh machine with only Rust installed.
# First installs what the tests need from Debian when missing (headless Chromium and its
# driver for the web-page tests), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked

# Triage exports validated with the real tools (stix2-validator, PyMISP, named-checkzone);
# installs them when missing, fails when a validation fails.
bash scripts/export-validate.sh

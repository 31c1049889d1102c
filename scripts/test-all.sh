#!/usr/bin/env bash
# Runs every test of the project on a fresh machine with only Rust installed.
# First installs what the tests need from Debian when missing (headless Chromium and its
# driver for the web-page tests), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
# The milter behind a real Postfix and under miltertest (crates/cli/tests/postfix.rs runs
# scripts/postfix-test.sh and scripts/miltertest.sh): install Debian's postfix, swaks and
# miltertest, and make those tests fail rather than skip without them.
bash scripts/postfix-test.sh --install
bash scripts/miltertest.sh --install
export HEALTHGUARD_REQUIRE_POSTFIX=1
# The PostgreSQL store's tests against a real, private PostgreSQL cluster (Debian's package):
# installed when missing, started on a loopback port, stopped at the end.
bash scripts/postgres-test.sh --install
pg_dir=$(mktemp -d /tmp/hg-postgres.XXXXXX)
trap 'bash scripts/postgres-test.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
HEALTHGUARD_TEST_POSTGRES=$(bash scripts/postgres-test.sh start "$pg_dir")
export HEALTHGUARD_TEST_POSTGRES HEALTHGUARD_REQUIRE_POSTGRES=1
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked

# Triage exports validated with the real tools (stix2-validator, PyMISP, named-checkzone);
# installs them when missing, fails when a validation fails.
bash scripts/export-validate.sh

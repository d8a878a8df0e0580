#!/usr/bin/env bash
# Runs every test of the workspace. Installs missing oracle tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-oracles.sh
cargo test --workspace --locked "$@"

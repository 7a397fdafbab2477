#!/usr/bin/env bash
# The official Argo clients against the simulator's Argo face, unchanged: the Python
# `argo-workflows` package and Hera drive stop, terminate, suspend, resume, retry and
# resubmit, and a refusal comes back as the client's own exception with Argo's words.
# Needs python3 with venv and access to the package index (not part of `cargo test`).
#
#   bash benches/official_argo_clients.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet argo-workflows==6.7.18 hera==7.1.0
target/debug/flightdeck sim --listen 127.0.0.1:0 > "$work/banner" 2>&1 &
sim=$!
for _ in $(seq 100); do grep -q '^ready:' "$work/banner" && break; sleep 0.1; done
argo=$(sed -n 's/^ready:.* argo=\([^ ]*\).*/\1/p' "$work/banner")
token=$(sed -n "s/.*export FLIGHTDECK_SIM_TOKEN='\([^']*\)'.*/\1/p" "$work/banner")
"$work/venv/bin/python" benches/argo_control.py "$argo" "$token" argo
"$work/venv/bin/python" benches/hera_control.py "$argo" "$token" data
echo "both official clients: ok"

#!/usr/bin/env bash
# The idle dashboard's work as instructions, which the machine's state does not change
# (its CPU time does: the same binary measured 0.4% and 2.8% of a core an hour apart, as
# a process that wakes a few times a second runs on cold caches). The dashboard runs under
# `valgrind --tool=callgrind` in a tmux pane against `flightdeck sim` at 1/100 speed, with
# 50 runs started and followed; the count is zeroed once they are on screen, and dumped
# after each idle window: the Executions pane (running durations tick every second), then
# the Approvals pane filtered to one project (its times move once a minute).
#
#     bash benches/idle_instructions.sh      # needs valgrind and tmux; builds the release binary
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in valgrind callgrind_control callgrind_annotate tmux; do
  command -v "$tool" > /dev/null || { echo "idle instructions: not measured ($tool missing)"; exit 0; }
done
cargo build --release --quiet
bin=$PWD/target/release/flightdeck
work=$(mktemp -d)
token=pat.BenchAccount000000001.0123456789abcdef01234567.benchsecret000000001
window=30
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tmux_() { tmux -S "$work/tmux.sock" "$@"; }
cleanup() {
  tmux_ kill-server 2> /dev/null || true
  kill "$sim" 2> /dev/null || true
  rm -rf "$work"
}
"$bin" sim --listen "127.0.0.1:$port" --speed 0.01 --token "$token" > "$work/sim.out" 2>&1 &
sim=$!
trap cleanup EXIT
until grep -q '^ready:' "$work/sim.out" 2> /dev/null; do sleep 0.1; done
"$bin" sim --print-config --listen "127.0.0.1:$port" --token "$token" > "$work/sim.toml"
tmux_ new-session -d -s idle -x 120 -y 40 \
  "env FLIGHTDECK_SIM_TOKEN=$token FLIGHTDECK_AUDIT_LOG=$work/audit.jsonl RUST_LOG=flightdeck=debug \
   valgrind --tool=callgrind --callgrind-out-file=$work/cg.out $bin --config $work/sim.toml --log $work/fd.log"
# Waits, up to a minute, for `what` to show in the pane.
wait_for() {
  for _ in $(seq 600); do
    tmux_ capture-pane -p -t idle | grep -q "$1" && return 0
    sleep 0.1
  done
  echo "idle instructions: timed out waiting for $1" >&2
  exit 1
}

yes '{}' | head -50 > "$work/runs.jsonl" || true
FLIGHTDECK_SIM_TOKEN=$token "$bin" --config "$work/sim.toml" start harness/platform/base_image_rebuild \
  --records "$work/runs.jsonl" > /dev/null 2>&1
wait_for "Demo Admin"
# The service settles (the gates re-read after the runs appeared) before the count starts.
sleep 10
# Frames drawn: written to the terminal, or found unchanged (which write nothing).
frames() { grep -c 'frame drawn\|frame unchanged' "$work/fd.log" || true; }
measure() {
  local pane=$1 before after dump
  callgrind_control --zero > /dev/null 2>&1
  before=$(frames)
  sleep "$window"
  callgrind_control --dump > /dev/null 2>&1
  after=$(frames)
  dump=$(ls -t "$work"/cg.out.* | head -1)
  local total
  total=$(callgrind_annotate "$dump" 2> /dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  awk -v pane="$pane" -v total="$total" -v frames=$((after - before)) -v s="$window" \
    'BEGIN { printf "  %s pane: %.2f M instructions/s, %.2f frames/s drawn (%d s)\n", pane, total / s / 1e6, frames / s, s }'
}
echo "idle instructions under callgrind, 50 runs started and followed (simulator at 1/100 speed):"
measure "Executions"
for key in Tab / project:payments Enter; do tmux_ send-keys -t idle "$key"; done
sleep 5
measure "Approvals "

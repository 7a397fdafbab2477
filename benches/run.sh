#!/usr/bin/env bash
# Prints every performance figure the README's table records: builds the benchmarks once
# (release profile), then runs each in turn. Figures only; nothing is asserted about time.
# `terminal` and `pty` need tmux; `pty` reports its `watch` figures as not measured without
# watch, curl or jq, and `argo_list` its Python side without python3 and venv.
# `idle_instructions` (a script, not a cargo bench) needs valgrind.
#
#     bash benches/run.sh            # every benchmark
#     bash benches/run.sh render     # some of them
set -euo pipefail
cd "$(dirname "$0")/.."

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(render batch terminal pty polling argo_list idle_instructions)
fi
flags=()
for b in "${benches[@]}"; do
  [ "$b" = idle_instructions ] || flags+=(--bench "$b")
done

[ ${#flags[@]} -eq 0 ] || cargo bench --quiet --no-run "${flags[@]}"
for b in "${benches[@]}"; do
  echo "== $b"
  if [ "$b" = idle_instructions ]; then
    bash benches/idle_instructions.sh
  else
    cargo bench --quiet --bench "$b"
  fi
  echo
done

#!/usr/bin/env bash
# Prints every performance figure the README's table records: builds the benchmarks once
# (release profile), then runs each in turn. Figures only; nothing is asserted about time.
# `terminal` and `pty` need tmux; `pty` reports its `watch` figures as not measured without
# watch, curl or jq, and `argo_list` its Python side without python3 and venv.
#
#     bash benches/run.sh            # every benchmark
#     bash benches/run.sh render     # some of them
set -euo pipefail
cd "$(dirname "$0")/.."

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(render batch terminal pty polling argo_list)
fi
flags=()
for b in "${benches[@]}"; do flags+=(--bench "$b"); done

cargo bench --quiet --no-run "${flags[@]}"
for b in "${benches[@]}"; do
  echo "== $b"
  cargo bench --quiet --bench "$b"
  echo
done

#!/usr/bin/env bash
# Prints every performance figure the README's table records: builds the benchmarks once
# (release profile), then runs each in turn. Figures only; nothing is asserted about time.
# Needs tmux for `terminal` and `pty`; `pty` also uses watch, curl and jq, and `argo_list`
# python3 with venv, each reporting its figure as not measured when they are missing.
#
#     bash benches/run.sh            # every benchmark
#     bash benches/run.sh render     # some of them
set -euo pipefail
cd "$(dirname "$0")/.."

benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
  benches=(render batch terminal argo_list)
fi
flags=()
for b in "${benches[@]}"; do flags+=(--bench "$b"); done

cargo bench --quiet --no-run "${flags[@]}"
for b in "${benches[@]}"; do
  echo "== $b"
  cargo bench --quiet --bench "$b"
  echo
done

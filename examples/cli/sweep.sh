#!/usr/bin/env bash
# A small many-model sweep with the native CLI: the first N jobs of a sweep preset, then
# the merge into one row per grid cell (best run by last-step loss, mean loss over runs).
#
#   bash examples/cli/sweep.sh                   # fig3 quick, first 4 jobs, into build/sweep-example/
#   bash examples/cli/sweep.sh fig4 24 out/      # fig4 quick, first 24 jobs (dense 2x1 cells)
#   SWEEP_FIDELITY=paper bash examples/cli/sweep.sh fig3 8
#   SWEEP_FIDELITY=quick-xoshiro bash examples/cli/sweep.sh fig4 8   # the data_rng xoshiro stream
#
# The whole sweep is the same command without --limit (docs/scaling.md: shards, GNU parallel,
# Slurm). The .jsonl file is restartable: jobs already in it are skipped.
# TOYMOE_CLI selects the binary (default: build/toymoe of this checkout).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOYMOE="${TOYMOE_CLI:-$ROOT/build/toymoe}"
preset="${1:-fig3}"
limit="${2:-4}"
out="${3:-$ROOT/build/sweep-example}"
fidelity="${SWEEP_FIDELITY:-quick}"
[ -x "$TOYMOE" ] || { echo "sweep.sh: $TOYMOE not found: build first (bash scripts/test.sh or cmake --build build)" >&2; exit 2; }

mkdir -p "$out"
"$TOYMOE" sweep --quiet --preset "$preset" --fidelity "$fidelity" --limit "$limit" --out "$out/$preset.jsonl"
"$TOYMOE" merge --json "$out/$preset.json" --csv "$out/$preset.csv" "$out/$preset.jsonl"
cat "$out/$preset.csv"
[ -z "$(tail -c 1 "$out/$preset.csv")" ] || echo
echo "sweep.sh: $(wc -l < "$out/$preset.jsonl") models in $out/$preset.jsonl; cells in $out/$preset.csv and $out/$preset.json" >&2

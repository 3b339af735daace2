#!/usr/bin/env bash
# Train one paper preset with the native CLI, with exactly the flags of the lab's preset
# (web/js/presets.js). The JSON result (config, loss history, metrics) goes to stdout,
# progress to stderr.
#
#   bash examples/cli/train.sh fig1                      # Figure 1, 10,000 steps
#   bash examples/cli/train.sh fig5-diagonal --seed 4    # extra flags override the preset's
#   bash examples/cli/train.sh fig6c --steps 500 | node examples/cli/summarize.mjs
#   bash examples/cli/train.sh --list                    # the preset names
#
# TOYMOE_CLI selects the binary (default: build/toymoe of this checkout).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOYMOE="${TOYMOE_CLI:-$ROOT/build/toymoe}"
# the preset names: the case labels below (one list to edit)
PRESETS="$(grep -oE '^  [a-z0-9-]+\)' "${BASH_SOURCE[0]}" | tr -d ' )' | xargs)"
usage() { echo "usage: bash examples/cli/train.sh PRESET [toymoe train flags...]   (PRESET: ${PRESETS// /, })" >&2; }

[ $# -ge 1 ] || { usage; exit 2; }
preset="$1"; shift
if [ "$preset" = "--list" ]; then echo "$PRESETS"; exit 0; fi
if [ "$preset" = "-h" ] || [ "$preset" = "--help" ]; then usage; exit 0; fi
[ -x "$TOYMOE" ] || { echo "train.sh: $TOYMOE not found: build first (bash scripts/test.sh or cmake --build build)" >&2; exit 2; }

# Shared by every single-model figure: batch 1024, 10,000 steps, sum loss, AdamW 1e-3, wd 0.01, no load balancing.
common=(--batch 1024 --steps 10000 --loss sum --lr 0.001 --weight-decay 0.01 --load-balance false)
decay=(--importance decay --importance-base 0.7)
case "$preset" in
  # Figure 1: dense, n=20 features in m=6 dimensions, reference (Xavier) bias init
  fig1)           flags=("${common[@]}" "${decay[@]}" --n 20 --m 6 --experts 1 --k 1 --p 0.1 --bias-init xavier --router-init xavier --seed 2) ;;
  # Figure 1 with zero bias init (Anthropic convention): no dead features
  fig1-zero-bias) flags=("${common[@]}" "${decay[@]}" --n 20 --m 6 --experts 1 --k 1 --p 0.1 --bias-init zero --router-init xavier --seed 0) ;;
  # Figure 2: 3 experts with m=2 each, top-1
  fig2)           flags=("${common[@]}" "${decay[@]}" --n 20 --m 2 --experts 3 --k 1 --p 0.1 --bias-init xavier --router-init xavier --seed 1) ;;
  # Figure 5: n=2, 3 one-dimensional experts, p=0.5, uniform importance, batch 100; three router inits
  fig5-zero)      flags=("${common[@]}" --batch 100 --importance uniform --n 2 --m 1 --experts 3 --k 1 --p 0.5 --bias-init xavier --router-init zero --seed 1) ;;
  fig5-xavier)    flags=("${common[@]}" --batch 100 --importance uniform --n 2 --m 1 --experts 3 --k 1 --p 0.5 --bias-init xavier --router-init xavier --seed 1) ;;
  fig5-diagonal)  flags=("${common[@]}" --batch 100 --importance uniform --n 2 --m 1 --experts 3 --k 1 --p 0.5 --bias-init xavier --router-init diagonal --seed 1) ;;
  # Figure 6: n=20, 4 experts with m=5, top-1; router init decides what each expert specialises in
  fig6a)          flags=("${common[@]}" "${decay[@]}" --n 20 --m 5 --experts 4 --k 1 --p 0.09 --bias-init xavier --router-init diagonal --seed 0) ;;
  fig6b)          flags=("${common[@]}" "${decay[@]}" --n 20 --m 5 --experts 4 --k 1 --p 0.1 --bias-init xavier --router-init khot_ordered --seed 2) ;;
  fig6c)          flags=("${common[@]}" --importance decay_perm --importance-base 0.7 --n 20 --m 5 --experts 4 --k 1 --p 0.1 --bias-init xavier --router-init khot_random --seed 2) ;;
  *) echo "train.sh: unknown preset '$preset'" >&2; usage; exit 2 ;;
esac

# Flags given after the preset name come last, so they override the preset's.
exec "$TOYMOE" train "${flags[@]}" --metrics "$@"

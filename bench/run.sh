#!/usr/bin/env bash
# toymoe benchmark suite: training throughput of every workload (bench/bench_train.c) in
#   native scalar (gcc -O3)                    build/bench_train
#   native SIMD (the wasm SIMD128 path, SIMDe) build/bench_train_simde
#   wasm scalar and wasm SIMD in Node          build/wasm/bench_train{-scalar,}.js
#   wasm SIMD in a Chromium Web Worker         bench/chromium.mjs (bench/worker-bench.html)
#   PyTorch CPU, 1 thread (the main workloads) bench/pytorch_ref.py (Debian's python3-torch)
# plus the scaling series and sweep estimates; prints the tables and writes them to
# bench/RESULTS.md (full run) or build/bench/RESULTS-<mode>.md. The phase workload and the 8
# Figure-4 architectures (fig4-*) time one step of all their 2262 models through tm_train_many /
# lab.trainMany on groups of 4 (one model per SIMD lane, one step per call); phase-single times
# one tm_train per model. The Chromium sweep samples train consecutive sampled jobs of one small
# architecture 4 per lab.trainMany call, as the sweeps page does.
#
#   bash bench/run.sh [--quick | --smoke] [--rounds N] [--parts LIST] [--no-build] [--out FILE] [--raw DIR]
#
# full      3 rounds of every part (11 repeats of ~150 ms each) and of the Chromium sweep samples (~27 min on 2 cores)
# --quick   1 round of 5 repeats of ~30 ms, multi-model workloads on 100 of their 2262 models (scaled), small sweep samples (~3 min)
# --smoke   the harness only: 1 repeat of 1 step, 8 models per multi-model workload, no sweeps (numbers meaningless)
# --rounds  run every part N times, in turn; each workload keeps its best round (default 3 full, 1 otherwise)
# --parts   comma list of native-scalar,native-simd,wasm-scalar-node,wasm-simd-node,chromium,pytorch (default: all)
# --no-build  use the binaries as they are (default: build the bench targets, incrementally)
# Needs a configured build: `bash scripts/test.sh` (or scripts/setup.sh) first; without one
# this runs scripts/setup.sh, which installs and builds everything. TOYMOE_BUILD: build dir.
# The pytorch part installs python3-torch and OpenBLAS (apt, ~1 min) when they are missing,
# except under --smoke, which leaves the column out unless PyTorch is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${TOYMOE_BUILD:-$ROOT/build}"
MODE=full ROUNDS="" PARTS=native-scalar,native-simd,wasm-scalar-node,wasm-simd-node,chromium,pytorch DO_BUILD=1 OUT="" RAW=""
COMMAND="bash bench/run.sh $*"
while (($#)); do
  case "$1" in
    --quick) MODE=quick ;;
    --smoke) MODE=smoke ;;
    --parts) PARTS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --no-build) DO_BUILD=0 ;;
    --out) OUT="$2"; shift ;;
    --raw) RAW="$2"; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }
log() { echo "[bench] $*" >&2; }
case ":${NODE_PATH:-}:" in *:/usr/share/nodejs:*) ;; *) export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs" ;; esac
WASM="$BUILD/wasm"
RAW="${RAW:-$BUILD/bench/raw-$MODE}"
[[ -n "$ROUNDS" ]] || { [[ $MODE == full ]] && ROUNDS=3 || ROUNDS=1; }
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] || { echo "bench/run.sh: --rounds must be 1..99" >&2; exit 2; }
if [[ -z "$OUT" ]]; then
  if [[ $MODE == full ]]; then OUT="$ROOT/bench/RESULTS.md"; else OUT="$BUILD/bench/RESULTS-$MODE.md"; fi
fi

case $MODE in  # for the report; bench/suite.mjs holds the same settings
  full) REPS=11 TARGET=150 PHASE_MODELS=2262 WARMUP=3 ;;
  quick) REPS=5 TARGET=30 PHASE_MODELS=100 WARMUP=3 ;;
  smoke) REPS=1 TARGET=0 PHASE_MODELS=8 WARMUP=1 ;;
esac

# ---------------------------------------------------------------- build
NOTES=()
if ((DO_BUILD)); then
  if [[ ! -f "$BUILD/CMakeCache.txt" || ! -f "$WASM/CMakeCache.txt" ]]; then
    log "no configured build in $BUILD: running scripts/setup.sh (install + full build)"
    bash scripts/setup.sh
  fi
  log "building the bench targets"
  cmake --build "$BUILD" --target bench_train -j2 >&2
  if has_part native-simd && ! cmake --build "$BUILD" --target bench_train_simde -j2 >&2; then
    log "bench_train_simde did not build (libsimde-dev missing? run scripts/setup.sh): no native SIMD column"
    NOTES+=("bench_train_simde did not build, so there is no native SIMD column")
  fi
  cmake --build "$WASM" --target bench_train bench_train-scalar toymoe_wasm toymoe_wasm-scalar -j2 >&2
fi
# PyTorch for the measured reference column: Debian's build (PyPI is out of reach here), with
# OpenBLAS rather than the reference BLAS, so PyTorch gets its fastest matrix products.
if has_part pytorch && [[ $MODE != smoke ]] && ! "${TOYMOE_PYTHON:-/usr/bin/python3}" -c 'import torch' 2>/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing python3-torch and libopenblas0-pthread for the PyTorch column"
    apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread >&2 ||
      NOTES+=("apt-get could not install python3-torch, so there is no measured PyTorch column")
  else
    NOTES+=("python3-torch is not installed and this is not root with apt-get, so there is no measured PyTorch column")
  fi
fi
# Chromium loads web/build/: the same modules as this build (a relink copies them; make sure).
if [[ $DO_BUILD == 1 ]] && has_part chromium; then
  for f in toymoe.wasm toymoe-scalar.wasm; do
    if [[ -f "$WASM/$f" ]] && ! cmp -s "$WASM/$f" "web/build/$f"; then
      cp "$WASM/$f" "web/build/$f"; log "copied $WASM/$f to web/build/"
    fi
  done
fi

# ---------------------------------------------------------------- run
mkdir -p "$RAW" "$(dirname "$OUT")"
rm -f "$RAW"/*.jsonl "$RAW"/notes.txt
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# Every round runs each workload in every build in turn (bench/suite.mjs), so load from other
# work hits a workload's builds alike; each workload keeps its best round.
# The code measured: its commit, and whether its sources differed from it as the run began.
CODE="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "unknown (not a git checkout)")"
if [[ -n "$(git -C "$ROOT" status --porcelain -- src web bench CMakeLists.txt ':!bench/RESULTS.md' 2>/dev/null)" ]]; then
  CODE="$CODE with uncommitted changes"
fi
node bench/suite.mjs --build "$BUILD" --raw "$RAW" --mode "$MODE" --rounds "$ROUNDS" --parts "$PARTS"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- machine + report
json_str() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }
first_line() { ("$@" 2>/dev/null || true) | head -n1; }
MHZ="$(awk -F: '/^cpu MHz/ {gsub(/ /, "", $2); print $2; exit}' /proc/cpuinfo)"
MHZ="${MHZ:-0}"
CPU_MODEL="$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
cat >"$RAW/meta.json" <<EOF
{"date": $(json_str "$(date -u '+%Y-%m-%d %H:%M UTC')"), "command": $(json_str "$COMMAND"), "mode": "$MODE", "code": $(json_str "$CODE"),
 "cpu_model": $(json_str "$CPU_MODEL"), "cores": $(nproc), "threads_per_core": $(lscpu | sed -n 's/^Thread(s) per core: *//p' | head -n1),
 "hypervisor": $(json_str "$(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -n1)"),
 "mhz": $MHZ, "peak_gflops": $(awk -v m="$MHZ" 'BEGIN {print 4 * 2 * m / 1000}'),
 "os": $(json_str "$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}") $(uname -r)"),
 "gcc": $(json_str "$(first_line gcc --version)"), "emcc": $(json_str "$(first_line emcc --version)"),
 "node": $(json_str "$(node --version)"), "chromium": $(json_str "$(first_line "${TOYMOE_CHROMIUM:-/usr/bin/chromium}" --version)"),
 "load_before": $(json_str "$LOAD_BEFORE"), "load_after": $(json_str "$LOAD_AFTER"),
 "rounds": $ROUNDS, "reps": $REPS, "target_ms": $TARGET, "warmup": $WARMUP, "phase_models": $PHASE_MODELS,
 "notes": [$(IFS=,; for n in "${NOTES[@]+"${NOTES[@]}"}"; do printf '%s,' "$(json_str "$n")"; done | sed 's/,$//')]}
EOF
node bench/report.mjs --dir "$RAW" --out "$OUT"
log "raw results: $RAW; tables written to $OUT"

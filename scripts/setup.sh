#!/usr/bin/env bash
# toymoe: idempotent machine + build setup. Run it, or source it from another script.
#   - installs missing Debian packages (C toolchain, Emscripten, binaryen, wabt, chromium, ...)
#   - installs node/npm if missing, then `npm ci` when node_modules is missing or stale
#   - exports NODE_PATH (emcc needs /usr/share/nodejs to find acorn)
#   - configures + builds with CMake into ./build
# Knobs: TOYMOE_SKIP_APT=1 (never call apt), TOYMOE_SKIP_BUILD=1, BUILD_TYPE (Release), JOBS (2).
set -euo pipefail

_setup_fail() { echo "[setup] ERROR: $*" >&2; exit 1; }
trap 'rc=$?; echo "[setup] FAILED (exit $rc) at ${BASH_SOURCE[0]}:${LINENO}: ${BASH_COMMAND}" >&2' ERR

TOYMOE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TOYMOE_ROOT
cd "$TOYMOE_ROOT"

# ---------------------------------------------------------------- Debian packages
_setup_pkgs=(cmake build-essential clang emscripten binaryen wabt chromium parallel libclang-rt-14-dev libsimde-dev)
_setup_missing=()
if [[ "${TOYMOE_SKIP_APT:-0}" != 1 ]] && command -v dpkg-query >/dev/null 2>&1; then
  for p in "${_setup_pkgs[@]}"; do
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
      _setup_missing+=("$p")
    fi
  done
  # node/npm: keep whatever node is on PATH (e.g. a newer one); only fill the gaps with Debian's.
  command -v node >/dev/null 2>&1 || _setup_missing+=(nodejs npm)
  if command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then _setup_missing+=(npm); fi
fi

if ((${#_setup_missing[@]})); then
  echo "[setup] installing Debian packages: ${_setup_missing[*]}"
  _setup_sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || _setup_fail "not root and no sudo: install manually: apt-get install ${_setup_missing[*]}"
    _setup_sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || _setup_fail "apt-get not found; install manually: ${_setup_missing[*]}"
  "${_setup_sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    || _setup_fail "apt-get update failed"
  "${_setup_sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${_setup_missing[@]}" \
    || _setup_fail "apt-get install failed for: ${_setup_missing[*]}"
else
  echo "[setup] Debian packages: ok"
fi

for tool in cmake cc node npm; do
  command -v "$tool" >/dev/null 2>&1 || _setup_fail "'$tool' not found on PATH after package install"
done
echo "[setup] node $(node --version), npm $(npm --version 2>/dev/null)"

# ---------------------------------------------------------------- npm dependencies
if [[ -f package-lock.json ]]; then
  if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "[setup] npm ci"
    npm ci --no-audit --no-fund || _setup_fail "npm ci failed"
  else
    echo "[setup] node_modules: up to date"
  fi
else
  _setup_fail "package-lock.json missing in $TOYMOE_ROOT"
fi

# ---------------------------------------------------------------- environment
# emcc's JS optimizer needs Debian's acorn from /usr/share/nodejs. Do NOT set EM_CACHE (frozen prebuilt cache).
case ":${NODE_PATH:-}:" in
  *:/usr/share/nodejs:*) ;;
  *) export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs" ;;
esac
if [[ -z "${TOYMOE_CHROMIUM:-}" ]]; then
  TOYMOE_CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
  export TOYMOE_CHROMIUM
fi
echo "[setup] NODE_PATH=$NODE_PATH"

# ---------------------------------------------------------------- build
if [[ "${TOYMOE_SKIP_BUILD:-0}" == 1 ]]; then
  echo "[setup] build skipped (TOYMOE_SKIP_BUILD=1)"
else
  [[ -f CMakeLists.txt ]] || _setup_fail "CMakeLists.txt missing in $TOYMOE_ROOT"
  _setup_build_dir="$TOYMOE_ROOT/build"
  # A cache made for another checkout (copied/moved tree) cannot be reused.
  if [[ -f "$_setup_build_dir/CMakeCache.txt" ]] && \
     ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$TOYMOE_ROOT" "$_setup_build_dir/CMakeCache.txt"; then
    echo "[setup] build/ belongs to another source tree: removing it"
    rm -rf "$_setup_build_dir"
  fi
  if [[ ! -f "$_setup_build_dir/CMakeCache.txt" ]]; then
    echo "[setup] cmake configure (${BUILD_TYPE:-Release})"
    cmake -S . -B build -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" || _setup_fail "cmake configure failed"
  else
    echo "[setup] cmake configure: already done"
  fi
  echo "[setup] cmake build -j${JOBS:-2}"
  cmake --build build -j"${JOBS:-2}" || _setup_fail "cmake build failed"
fi
echo "[setup] done"
trap - ERR

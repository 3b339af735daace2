#!/usr/bin/env bash
# toymoe: set up + build, then run the whole CTest suite. Extra args go to ctest.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/setup.sh"
cd "$TOYMOE_ROOT"
echo "[test] ctest --test-dir build --output-on-failure -j${JOBS:-2} $*"
set +e
ctest --test-dir build --output-on-failure -j"${JOBS:-2}" "$@"
rc=$?
set -e
echo "[test] ctest exit code: $rc"
exit "$rc"

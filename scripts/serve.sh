#!/usr/bin/env bash
# toymoe: set up + build, then serve ./web on 127.0.0.1 ($PORT, default 8420; a free port if busy).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/setup.sh"
cd "$TOYMOE_ROOT"
[[ -d web ]] || { echo "[serve] ERROR: $TOYMOE_ROOT/web does not exist" >&2; exit 1; }
port="${PORT:-8420}"
# The server prints its URL as the first stdout line; relabel it, then pass the rest through.
node scripts/static-server.mjs --root web --port "$port" "$@" | {
  IFS= read -r url || { echo "[serve] ERROR: server did not start" >&2; exit 1; }
  echo "toymoe lab: $url"
  echo "(Ctrl-C to stop)"
  cat
}

#!/usr/bin/env bash
# Create the project's two virtual environments when they are missing.
#   .venv      current stack: torch 2.13.0 (CPU) + PyG 2.8
#   .venv-dgl  DGL stack:     torch 2.2.1 + dgl 2.1.0 + PyG 2.8 (the newest DGL pip installs here)
# Usage: scripts/setup_env.sh [main|dgl|all]   (default: all)
# pip's download cache (~/.cache/pip) is kept between runs, so a re-run is fast.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
which_env=${1:-all}

stamp_ok() { [ -f "$1/.iterative-gnn-ready" ] && cmp -s "$1/.iterative-gnn-ready" "$2"; }

make_env() {  # make_env DIR REQUIREMENTS_FILE
  local dir=$1 req=$2
  if stamp_ok "$dir" "$req"; then return 0; fi
  echo "[setup] creating $dir from $req" >&2
  rm -rf "$dir"
  "$PY" -m venv "$dir"
  # this machine's pip config names local indexes that may be absent: drop those warnings only
  "$dir/bin/python" -m pip install -q --upgrade "pip<25" 2> >(grep -v "is ignored" >&2)
  "$dir/bin/python" -m pip install -q -r "$req" 2> >(grep -v "is ignored" >&2)
  "$dir/bin/python" -m pip install -q --no-deps -e . 2> >(grep -v "is ignored" >&2)
  cp "$req" "$dir/.iterative-gnn-ready"
}

case "$which_env" in
  main) make_env .venv requirements/main.txt ;;
  dgl)  make_env .venv-dgl requirements/dgl.txt ;;
  all)  make_env .venv requirements/main.txt; make_env .venv-dgl requirements/dgl.txt ;;
  *) echo "usage: $0 [main|dgl|all]" >&2; exit 2 ;;
esac

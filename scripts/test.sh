#!/usr/bin/env bash
# Run every test: the API docs build (scripts/build_docs.sh, warnings are errors), then the DGL tests
# in .venv-dgl and all others in both environments. Creates the environments when missing
# (scripts/setup_env.sh); when the DGL stack cannot be installed (it needs Python 3.10-3.12) the
# .venv-dgl run is skipped with a note. Extra arguments go to pytest (and skip the docs build).
# The runs go on side by side, in three processes: .venv's prints as it goes; .venv-dgl's, split in two
# (tests/adapters, the rest), print their logs after it, so that the last summary is theirs. Each
# .venv-dgl process keeps its caches (the loaders' copies of the data, matplotlib's) in a folder of its
# own, so that no two processes write the same file.
set -euo pipefail
source "$(dirname "$0")/_prelude.sh"
if [ $# -eq 0 ]; then
  scripts/build_docs.sh
fi
pytest_args=(-q -p no:cacheprovider "$@")
dgl_parts=("tests/adapters" "tests --ignore=tests/adapters")
if [ "$HAVE_DGL" = 1 ]; then
  dgl_tmp=$(mktemp -d "${TMPDIR:-/tmp}/iterative-gnn-tests.XXXXXX")
  dgl_pids=()
  for i in "${!dgl_parts[@]}"; do
    # shellcheck disable=SC2086  # a part is a path and its options
    XDG_CACHE_HOME=$dgl_tmp/cache$i .venv-dgl/bin/python -m pytest "${pytest_args[@]}" ${dgl_parts[$i]} \
      >"$dgl_tmp/log$i" 2>&1 &
    dgl_pids+=($!)
  done
  trap 'kill "${dgl_pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dgl_tmp"' EXIT
fi

codes=()  # pytest's exit status of each run; 5 is "no test selected" (extra arguments may select none in a part)
echo "== .venv (torch 2.13 + PyG 2.8): all tests but the DGL ones"
rc=0
.venv/bin/python -m pytest "${pytest_args[@]}" tests --ignore=tests/dgl_iterative || rc=$?
codes+=("$rc")
if [ "$HAVE_DGL" = 1 ]; then
  for i in "${!dgl_parts[@]}"; do
    echo "== .venv-dgl (torch 2.2.1 + dgl 2.1.0 + PyG 2.8): ${dgl_parts[$i]} (run alongside the one above)"
    rc=0
    wait "${dgl_pids[$i]}" || rc=$?
    cat "$dgl_tmp/log$i"
    codes+=("$rc")
  done
else
  echo "NOTE: the DGL tests did not run: no DGL environment (see the note above); the tests above ran in .venv only" >&2
fi
ran=0
for rc in "${codes[@]}"; do
  case $rc in
    0) ran=1 ;;
    5) ;;
    *) echo "FAILED: pytest exit statuses ${codes[*]} (.venv first, then the .venv-dgl parts)" >&2; exit 1 ;;
  esac
done
if [ "$ran" = 0 ]; then
  echo "FAILED: no test selected in any run (pytest exit statuses ${codes[*]})" >&2
  exit 5
fi

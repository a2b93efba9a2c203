#!/usr/bin/env bash
# Run every test: the API docs build (scripts/build_docs.sh, warnings are errors), then the DGL tests
# in .venv-dgl and all others in both environments. Creates the environments when missing
# (scripts/setup_env.sh); when the DGL stack cannot be installed (it needs Python 3.10-3.12) the
# .venv-dgl run is skipped with a note. Extra arguments go to pytest (and skip the docs build).
# The runs go on side by side, in three processes: .venv's prints as it goes; .venv-dgl's, split in two
# (tests/adapters, the rest), print their logs after it, so that the last summary is theirs. They share
# the data as any processes of one user do: the loaders copy through files of their own and prepare a
# dataset under a lock in the user's cache. Ctrl-C stops all three.
set -euo pipefail
source "$(dirname "$0")/_prelude.sh"
if [ $# -eq 0 ]; then
  scripts/build_docs.sh
fi
pytest_args=(-q -p no:cacheprovider "$@")
dgl_parts=("tests/adapters" "tests --ignore=tests/adapters")
dgl_pids=()
dgl_tmp=
printed=0  # how many .venv-dgl logs were printed whole
stop_parts() {  # on any exit: stop the parts still running (each is a process group), show what they logged
  local i
  for i in "${!dgl_pids[@]}"; do
    kill -- "-${dgl_pids[$i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ -n "$dgl_tmp" ]; then
    for ((i = printed; i < ${#dgl_parts[@]}; i++)); do
      if [ -s "$dgl_tmp/log$i" ]; then
        echo "== .venv-dgl: ${dgl_parts[$i]} (stopped), the end of its log:" >&2
        tail -n 20 "$dgl_tmp/log$i" >&2
        echo >&2
      fi
    done
    rm -rf "$dgl_tmp"
  fi
}
trap stop_parts EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$HAVE_DGL" = 1 ]; then
  dgl_tmp=$(mktemp -d "${TMPDIR:-/tmp}/iterative-gnn-tests.XXXXXX")
  set -m  # each part in a process group of its own: stopping it stops what its tests started
  for i in "${!dgl_parts[@]}"; do
    # shellcheck disable=SC2086  # a part is a path and its options
    .venv-dgl/bin/python -m pytest "${pytest_args[@]}" ${dgl_parts[$i]} \
      </dev/null >"$dgl_tmp/log$i" 2>&1 &
    dgl_pids+=($!)
  done
  set +m
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
    printed=$((i + 1))
    codes+=("$rc")
  done
  dgl_pids=()
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

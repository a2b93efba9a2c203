#!/usr/bin/env bash
# Create or update the project's two virtual environments.
#   .venv      current stack: torch 2.13.0 (CPU) + PyG 2.8, Sphinx    (Python 3.10 or newer)
#   .venv-dgl  DGL stack:     torch 2.2.1 + dgl 2.1.0 + PyG 2.8       (Python 3.10 to 3.12: torch 2.2.1 and
#                                                                    dgl 2.1.0 publish no wheels for 3.13+)
# Usage: scripts/setup_env.sh [main|dgl|all]   (default: all)
#   main  .venv only: everything but DGL (scripts/test.sh and scripts/main.sh fall back to it when the
#         DGL stack cannot be installed)
# Interpreter: $PYTHON (default python3) for .venv; for .venv-dgl $PYTHON_DGL, else the first of
# $PYTHON, python3.12, python3.11, python3.10 whose version fits.
# An environment is made once and recorded (a copy of its requirements file inside it); when the file
# changes, the environment is updated in place (pip install -r), so commands running in it meanwhile
# keep working; it is made anew only when its interpreter is missing or of another version.
set -euo pipefail
cd "$(dirname "$0")/.."
which_env=${1:-all}

say() { echo "[setup] $*" >&2; }

py_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }

fits() {  # fits VERSION MIN_MINOR MAX_MINOR: a Python 3.x with MIN <= x <= MAX (MAX empty: no upper bound)
  local minor=${1#3.}
  [[ $1 == 3.* && $minor -ge $2 && ( -z $3 || $minor -le $3 ) ]]
}

pick_python() {  # pick_python NAME MIN_MINOR MAX_MINOR CANDIDATES...: print the first interpreter that fits
  local name=$1 lo=$2 hi=$3; shift 3
  local tried=() cand v
  for cand in "$@"; do
    [ -n "$cand" ] || continue
    v=$(py_version "$cand") || { tried+=("$cand (not found)"); continue; }
    if fits "$v" "$lo" "$hi"; then echo "$cand"; return 0; fi
    tried+=("$cand (Python $v)")
  done
  local want="3.$lo or newer"; [ -n "$hi" ] && want="3.$lo to 3.$hi"
  say "no interpreter for $name: it needs Python $want; tried: ${tried[*]:-nothing}."
  [ "$name" = .venv-dgl ] && say "torch 2.2.1 and dgl 2.1.0 publish wheels for Python <= 3.12 only: set PYTHON_DGL to such an interpreter, or use 'scripts/setup_env.sh main' (everything but DGL)."
  return 1
}

stamp_ok() { [ -f "$1/.iterative-gnn-ready" ] && cmp -s "$1/.iterative-gnn-ready" "$2"; }

pip_q() {  # pip_q DIR ARGS...: quiet pip; this machine's pip config names local indexes that may be absent
  "$1/bin/python" -m pip install -q "${@:2}" 2> >(grep -v "is ignored" >&2)
}

make_env() {  # make_env DIR REQUIREMENTS_FILE PYTHON
  local dir=$1 req=$2 py=$3
  if stamp_ok "$dir" "$req"; then return 0; fi
  local want have
  want=$(py_version "$py")
  have=$(py_version "$dir/bin/python" || true)
  if [ -n "$have" ] && [ "$have" = "$want" ]; then
    say "updating $dir from $req (Python $have)"
  else
    say "creating $dir from $req with $py (Python $want)"
    rm -rf "$dir"
    "$py" -m venv "$dir"
  fi
  rm -f "$dir/.iterative-gnn-ready"
  pip_q "$dir" --upgrade "pip<25"
  pip_q "$dir" -r "$req"
  pip_q "$dir" --no-deps -e .
  cp "$req" "$dir/.iterative-gnn-ready"
}

setup_main() {
  local py
  py=$(pick_python .venv 10 "" "${PYTHON:-python3}") || return 1
  make_env .venv requirements/main.txt "$py"
}

setup_dgl() {
  local py
  if [ -n "${PYTHON_DGL:-}" ]; then
    py=$(pick_python .venv-dgl 10 12 "$PYTHON_DGL") || return 1
  else
    py=$(pick_python .venv-dgl 10 12 "${PYTHON:-python3}" python3.12 python3.11 python3.10) || return 1
  fi
  make_env .venv-dgl requirements/dgl.txt "$py"
}

case "$which_env" in
  main) setup_main ;;
  dgl)  setup_dgl ;;
  all)  setup_main; setup_dgl ;;
  *) echo "usage: $0 [main|dgl|all]" >&2; exit 2 ;;
esac

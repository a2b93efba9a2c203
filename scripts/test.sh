#!/usr/bin/env bash
# Run every test: the API docs build (scripts/build_docs.sh, warnings are errors), then the DGL tests
# in .venv-dgl and all others in both environments. Creates the environments when missing
# (scripts/setup_env.sh); when the DGL stack cannot be installed (it needs Python 3.10-3.12) the
# .venv-dgl run is skipped with a note. Extra arguments go to pytest (and skip the docs build).
set -euo pipefail
source "$(dirname "$0")/_prelude.sh"
if [ $# -eq 0 ]; then
  scripts/build_docs.sh
fi
echo "== .venv (torch 2.13 + PyG 2.8): all tests but the DGL ones"
.venv/bin/python -m pytest -q -p no:cacheprovider tests --ignore=tests/dgl_iterative "$@"
if [ "$HAVE_DGL" = 1 ]; then
  echo "== .venv-dgl (torch 2.2.1 + dgl 2.1.0 + PyG 2.8): all tests"
  .venv-dgl/bin/python -m pytest -q -p no:cacheprovider tests "$@"
else
  echo "NOTE: the DGL tests did not run: no DGL environment (see the note above); the tests above ran in .venv only" >&2
fi

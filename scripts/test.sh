#!/usr/bin/env bash
# Run every test: the DGL tests in .venv-dgl, all others in both environments.
# Creates the environments when missing (scripts/setup_env.sh). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/_prelude.sh"
echo "== .venv (torch 2.13 + PyG 2.8): all tests but the DGL ones"
.venv/bin/python -m pytest -q -p no:cacheprovider tests --ignore=tests/dgl_iterative "$@"
echo "== .venv-dgl (torch 2.2.1 + dgl 2.1.0 + PyG 2.8): all tests"
.venv-dgl/bin/python -m pytest -q -p no:cacheprovider tests "$@"

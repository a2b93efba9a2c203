#!/usr/bin/env bash
# The main job: train PIGN on Cora with both backends and print test accuracy and convergence.
# Creates the environments when missing. Extra arguments go to `iterative-gnn train`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup_env.sh all
if [ -z "${ITERATIVE_GNN_DATA:-}" ] && [ -d ../shared/data/planetoid ]; then
  export ITERATIVE_GNN_DATA="$(cd ../shared/data && pwd)"
fi
export DGLBACKEND=pytorch PYTHONWARNINGS=ignore
.venv/bin/iterative-gnn train --backend pyg "$@"
.venv-dgl/bin/iterative-gnn train --backend dgl "$@"

#!/usr/bin/env bash
# The main job: a quick reproduce of the paper's claims with PyG (PIGN iterations against stacked GCN
# layers on Cora, with feature noise, iterations at inference and residuals per iteration), written to
# results/quick/ as CSV, PNG and summary.md; then PIGN with the library's defaults on the same data
# with the DGL backend. Without Cora under the data root it runs the chains benchmark instead, which
# needs no files. A few minutes on 2 CPU cores. Creates the environments when missing; when the DGL
# environment cannot be installed (it needs Python 3.10-3.12) the DGL part is skipped with a note.
# Extra arguments go to `iterative-gnn reproduce`.
set -euo pipefail
source "$(dirname "$0")/_prelude.sh"
export PYTHONWARNINGS=ignore
# one thread: on 2 busy cores a second OpenMP thread spins and slows every epoch many times over
# --overwrite: results/quick/ is this command's own folder, rewritten on every run
.venv/bin/iterative-gnn reproduce --quick --backend pyg --out results/quick --overwrite --threads 1 "$@"
if [ "$HAVE_DGL" != 1 ]; then
  echo "NOTE: DGL part skipped: the DGL environment could not be installed (see the note above)" >&2
elif [ -d "${ITERATIVE_GNN_DATA:-/nonexistent}/planetoid/Cora/raw" ]; then
  # DGL: PIGN with the library's defaults, as PIGN(in, 64, out, 8) or PIGNConv(64, num_iterations=8) gives it
  .venv-dgl/bin/iterative-gnn train --backend dgl --dataset cora --preset default --iterations 8 --seeds 2 --threads 1
else
  .venv-dgl/bin/iterative-gnn train --backend dgl --dataset chains --length 50 --threads 1
fi

#!/usr/bin/env bash
# The drop-in script (examples/drop_in_gcn.py) on Cora and CiteSeer: GCNConv, PIGNConv with the
# library's defaults, and a Linear first layer with PIGNConv last (pign-last), 10 seeds each; appends
# to docs/results/drop_in/drop_in.log. CONVS="pign-last" runs a subset; HIDDEN=64 another hidden width
# (PyG's example: 16).
set -euo pipefail
cd "$(dirname "$0")/../../.."
log=docs/results/drop_in/drop_in.log
py=${PYTHON:-.venv/bin/python}
{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm), $(nproc) cores (shared); git $(git rev-parse --short HEAD)"
  echo "# $py $($py -c 'import torch, torch_geometric as g; print("torch", torch.__version__, "torch_geometric", g.__version__)')"
} >> "$log"
for ds in cora citeseer; do
  for conv in ${CONVS:-pign pign-last gcn}; do
    cmd="$py -W ignore examples/drop_in_gcn.py --backend pyg --conv $conv --dataset $ds --seeds 0,1,2,3,4,5,6,7,8,9${HIDDEN:+ --hidden $HIDDEN}"
    echo "\$ $cmd" >> "$log"
    $cmd >> "$log"
  done
done

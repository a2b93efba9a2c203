#!/usr/bin/env bash
# The benchmark suite on CUDA, for a GPU machine with torch + PyG and no DGL or network (under 5 minutes).
# Results go to benchmarks/results/*_cuda.{json,md} (or to $ITERATIVE_GNN_BENCH_RESULTS) and, when $OUT is
# set, are copied there.
set -uo pipefail
source "$(dirname "$0")/../scripts/_bench_results.sh"  # (before the cd below)
cd "$(dirname "$0")"
results="${ITERATIVE_GNN_BENCH_RESULTS:-$PWD/results}"
export PYTHONWARNINGS=ignore PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/../common:$PWD/..:${PYTHONPATH:-}"
PY=${PYTHON:-python3}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
$PY bench_iteration.py --device cuda --edges 100000 1000000 10000000 20000000
$PY bench_scaling.py --device cuda
$PY bench_layers.py --device cuda --edges 1000000 20000000
$PY bench_gradients.py --device cuda --nodes 100000 --edges 1000000 --channels 128 --iterations 10 50 100 --name gradients_cuda_100k
$PY bench_gradients.py --device cuda --nodes 1000000 --edges 20000000 --channels 128 --iterations 10 --name gradients_cuda_1m
$PY bench_solvers.py --device cuda
if [ -n "${OUT:-}" ]; then (cd "$results/.." && tar czf "$OUT/cuda_results.tgz" "$(basename "$results")"/*cuda*); fi

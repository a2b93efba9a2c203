#!/usr/bin/env bash
# The performance targets (benchmarks/README.md, "Targets") measured in one run on this machine's CPU,
# one benchmark after another; results go to benchmarks/results/ (JSON + Markdown, each with its date,
# machine, command, commit and load average) and the whole log to benchmarks/results/targets_run.log, or
# all of it to the folder $ITERATIVE_GNN_BENCH_RESULTS names (a trial run: the committed ones stay).
# Run on an otherwise idle machine (wall-clock timings): 35-50 minutes on 2 cores (the two logged runs,
# results/targets_run.log and targets_run_intel.log, took 48 and 37 minutes).
set -euo pipefail
source "$(dirname "$0")/../scripts/_prelude.sh"
export PYTHONWARNINGS=ignore PYTHONUNBUFFERED=1
cd benchmarks
results="${ITERATIVE_GNN_BENCH_RESULTS:-results}"
mkdir -p "$results"
{
  echo "# targets run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$HAVE_DGL" = 1 ]; then
    ../.venv-dgl/bin/python bench_setup.py --rounds 7       # 1 + 2. DGL against PyG, the set-up left per call (torch 2.2.1)
  fi
  ../.venv/bin/python bench_setup.py --rounds 7             # 2. the set-up left per call, PyG (torch 2.13)
  ../.venv/bin/python bench_training.py --budget 120        # 3. training steps against bare autograd loops (torch 2.13)
  if [ "$HAVE_DGL" = 1 ]; then
    ../.venv-dgl/bin/python bench_training.py --budget 120 --no-bare-torch  # 3. ... both adapters (torch 2.2.1)
  fi
  ../.venv/bin/python bench_scaling.py --memory             # 5. time and peak memory per edge, 10^5 to 10^7 edges
  ../.venv/bin/python bench_floor.py                        # 6. per iteration against the memory-traffic floor
  echo "# done: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$results/targets_run.log"

#!/usr/bin/env bash
# The whole benchmark suite on this machine's CPU; results go to benchmarks/results/ (JSON + Markdown).
# Creates the environments when missing. Run on an otherwise idle machine: timings are wall-clock.
set -euo pipefail
source "$(dirname "$0")/../scripts/_prelude.sh"
export PYTHONWARNINGS=ignore
cd benchmarks
dgl() { if [ "$HAVE_DGL" = 1 ]; then ../.venv-dgl/bin/python "$@"; else echo "skipped without .venv-dgl: $*"; fi; }
../.venv/bin/python bench_iteration.py                       # 1. per-iteration cost against a bare loop
../.venv/bin/python bench_scaling.py                         # 1. ... and its growth with the edges
../.venv/bin/python bench_scaling.py --memory                # 1. time and peak memory per edge, 10^5 to 10^7 edges
../.venv/bin/python bench_kernel_time.py                     # 1. kernel time and page faults per forward at 10^7 edges
../.venv/bin/python bench_layers.py                          # 2. against PyG's own layers (torch 2.13)
dgl bench_layers.py                                          # 2+5. PyG and DGL layers, DGL PIGNConv (torch 2.2.1)
../.venv/bin/python bench_gradients.py                       # 3. unrolled vs implicit: time and peak memory
../.venv/bin/python bench_training.py                        # 3. training steps, each gradient mode, against bare loops
dgl bench_training.py                                        # 3. ... both adapters (torch 2.2.1)
../.venv/bin/python bench_solvers.py                         # 4. Anderson vs Picard
dgl bench_setup.py                                           # 5. DGL vs PyG layer, set-up per call (torch 2.2.1)
../.venv/bin/python bench_setup.py                           # 5. the set-up per call, PyG (torch 2.13)
../.venv/bin/python bench_floor.py                           # 6. per iteration against the memory-traffic floor

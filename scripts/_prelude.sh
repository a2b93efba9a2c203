# Sourced by the repository's commands (scripts/main.sh, scripts/test.sh, scripts/check_wheel.sh,
# benchmarks/run_all.sh): from the repository root, make the environments when missing, point the data
# root at the shared copy when it exists and nothing else was set, and select DGL's PyTorch backend.
# .venv is required. When the DGL stack (.venv-dgl) cannot be installed (no Python 3.10-3.12, or pip
# fails), the commands go on without it: HAVE_DGL=0, and a note says what is skipped and why.
source "$(dirname "${BASH_SOURCE[0]}")/_bench_results.sh"  # (before the cd below)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup_env.sh main
if scripts/setup_env.sh dgl; then
  HAVE_DGL=1
else
  HAVE_DGL=0
  echo "NOTE: the DGL environment (.venv-dgl: torch 2.2.1 + dgl 2.1.0) could not be installed (see the" \
       "[setup] lines above); going on with .venv only (torch 2.13 + PyG), so everything that needs DGL is" \
       "skipped. Retry with: scripts/setup_env.sh dgl" >&2
fi
export HAVE_DGL
if [ -z "${ITERATIVE_GNN_DATA:-}" ] && [ -d ../shared/data/planetoid ]; then
  export ITERATIVE_GNN_DATA="$(cd ../shared/data && pwd)"
fi
export DGLBACKEND=pytorch

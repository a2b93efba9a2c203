# Sourced by the repository's commands (scripts/main.sh, scripts/test.sh, benchmarks/run_all.sh):
# from the repository root, make the environments when missing, point the data root at the shared
# copy when it exists and nothing else was set, and select DGL's PyTorch backend.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup_env.sh all
if [ -z "${ITERATIVE_GNN_DATA:-}" ] && [ -d ../shared/data/planetoid ]; then
  export ITERATIVE_GNN_DATA="$(cd ../shared/data && pwd)"
fi
export DGLBACKEND=pytorch

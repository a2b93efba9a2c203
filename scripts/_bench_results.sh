# Sourced by scripts/_prelude.sh and benchmarks/gpu_suite.sh before they change folders: a trial run's
# results folder for the benchmarks ($ITERATIVE_GNN_BENCH_RESULTS, benchmarks/README.md), made absolute
# from where the caller stood.
if [ -n "${ITERATIVE_GNN_BENCH_RESULTS:-}" ]; then
  case "$ITERATIVE_GNN_BENCH_RESULTS" in
    /*) ;;
    *) ITERATIVE_GNN_BENCH_RESULTS="$PWD/$ITERATIVE_GNN_BENCH_RESULTS" ;;
  esac
  export ITERATIVE_GNN_BENCH_RESULTS
fi

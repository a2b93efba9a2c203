#!/usr/bin/env bash
# Check the distribution as a user gets it. Builds the sdist and, from it, the wheel (python -m build),
# then, from outside the repository:
#   1. a fresh virtual environment: torch==2.13.0 first (this machine's CPU build; without it pip would
#      fetch a CUDA build), then 'iterative-gnn[pyg]' from the wheel; imports iterative_core,
#      pyg_iterative and iterative_gnn from the installed wheel (dgl_iterative must say that DGL is
#      missing), runs `iterative-gnn --help` and a 3-epoch `iterative-gnn train` on Cora;
#   2. the DGL stack: the wheel's files (no dependencies) over .venv-dgl's packages; imports all four
#      packages and runs a 3-epoch `train --backend dgl` on Cora (skipped without .venv-dgl);
#   3. 'iterative-gnn[dgl]' resolved by pip (--dry-run, nothing installed): the dgl and torch it picks
#      must pass the check `import dgl_iterative` makes (on Python 3.13+ pip must refuse it).
# Cora comes from $ITERATIVE_GNN_DATA (the prelude points it at ../shared/data when that exists);
# without it the runs use the chains benchmark. Prints each step's duration. Run by .ci/run.
set -euo pipefail
source "$(dirname "$0")/_prelude.sh"
repo=$PWD
start=$SECONDS
step_start=$SECONDS
step() { echo "[wheel] $* ($((SECONDS - step_start)) s)"; step_start=$SECONDS; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/iterative-gnn-wheel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
quiet() {  # quiet CMD...: run with output to the log, shown only when it fails
  if ! "$@" >"$log" 2>&1; then grep -v "is ignored" "$log" >&2; echo "[wheel] failed: $*" >&2; return 1; fi
}
if [ -d "${ITERATIVE_GNN_DATA:-/nonexistent}/planetoid/Cora/raw" ]; then
  data=(--dataset cora)
else
  echo "[wheel] no Cora under ITERATIVE_GNN_DATA: training on the chains benchmark instead" >&2
  data=(--dataset chains --length 10)
fi
train=(train "${data[@]}" --epochs 3 --seeds 1 --threads 1)
export PYTHONWARNINGS=ignore
cache=(env "XDG_CACHE_HOME=$tmp/cache")  # the loaders' copies of the data go to the temporary folder
mkdir -p "$tmp/run"

quiet .venv/bin/python -m build --outdir "$tmp/dist" .
wheel=$(ls "$tmp"/dist/iterative_gnn-*.whl)
step "built $(basename "$wheel") and its sdist"

# 1. a fresh environment with the PyG extra
"${PYTHON:-python3}" -m venv "$tmp/venv"
quiet "$tmp/venv/bin/python" -m pip install torch==2.13.0
quiet "$tmp/venv/bin/python" -m pip install "$wheel[pyg]"
step "fresh venv: torch 2.13.0, then iterative-gnn[pyg] from the wheel"
cd "$tmp/run"
"$tmp/venv/bin/python" - <<'PY'
import importlib
import sys
from pathlib import Path

site = Path(sys.prefix).resolve()
for name in ("iterative_core", "pyg_iterative", "iterative_gnn"):
    module = importlib.import_module(name)
    assert site in Path(module.__file__).resolve().parents, f"{name} imported from {module.__file__}, not the wheel"
try:
    import dgl_iterative  # noqa: F401
except ModuleNotFoundError as exc:
    assert exc.name == "dgl", exc
else:
    raise AssertionError("dgl_iterative imported without DGL installed")
print("[wheel] imports from the installed wheel: iterative_core, pyg_iterative, iterative_gnn; dgl_iterative needs DGL")
PY
"$tmp/venv/bin/iterative-gnn" --help >/dev/null
"${cache[@]}" "$tmp/venv/bin/iterative-gnn" "${train[@]}"
cd "$repo"
step "fresh venv: imports, --help, ${train[*]}"

# 2. the wheel over the DGL stack
if [ "$HAVE_DGL" = 1 ]; then
  quiet .venv-dgl/bin/python -m pip install --no-deps --target "$tmp/dgl-site" "$wheel"
  cd "$tmp/run"
  PYTHONPATH=$tmp/dgl-site "$repo/.venv-dgl/bin/python" - "$tmp/dgl-site" <<'PY'
import importlib
import sys
from pathlib import Path

site = Path(sys.argv[1]).resolve()
for name in ("iterative_core", "pyg_iterative", "dgl_iterative", "iterative_gnn"):
    module = importlib.import_module(name)
    assert site in Path(module.__file__).resolve().parents, f"{name} imported from {module.__file__}, not the wheel"
print("[wheel] imports from the wheel over the DGL stack: iterative_core, pyg_iterative, dgl_iterative, iterative_gnn")
PY
  "${cache[@]}" PYTHONPATH="$tmp/dgl-site" "$tmp/dgl-site/bin/iterative-gnn" "${train[@]}" --backend dgl
  cd "$repo"
  step "DGL stack: imports, ${train[*]} --backend dgl"
else
  echo "NOTE: the wheel was not tried with DGL: no DGL environment (see the note above)" >&2
fi

# 3. what pip resolves for the DGL extra on this Python
py_minor=$("$tmp/venv/bin/python" -c 'import sys; print(sys.version_info[1])')
if [ "$py_minor" -le 12 ]; then
  quiet "$tmp/venv/bin/python" -m pip install --dry-run --ignore-installed --report "$tmp/dgl.json" "$wheel[dgl]"
  read -r dgl_v torch_v numpy_v < <("$tmp/venv/bin/python" -c '
import json, sys
picked = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.load(open(sys.argv[1]))["install"]}
print(picked["dgl"], picked["torch"], picked["numpy"])' "$tmp/dgl.json")
  echo "[wheel] pip resolves iterative-gnn[dgl] to dgl $dgl_v, torch $torch_v, numpy $numpy_v"
  if [ "$HAVE_DGL" = 1 ]; then  # the pair must pass dgl_iterative's own check at import
    PYTHONPATH=$tmp/dgl-site .venv-dgl/bin/python -c \
      "import sys, dgl_iterative; dgl_iterative._check_versions(sys.argv[1], sys.argv[2])" "$torch_v" "$dgl_v"
  fi
  step "iterative-gnn[dgl] resolved (dry run)"
else
  echo "[wheel] Python 3.$py_minor: pip must refuse iterative-gnn[dgl] (no dgl 2.1.0 / torch 2.2.1 wheels)"
  if "$tmp/venv/bin/python" -m pip install --dry-run --ignore-installed "$wheel[dgl]" >"$log" 2>&1; then
    echo "[wheel] failed: pip resolved iterative-gnn[dgl] on Python 3.$py_minor" >&2; exit 1
  fi
  step "iterative-gnn[dgl] refused on Python 3.$py_minor"
fi
rm -rf "$tmp"
trap - EXIT
step "temporary folder removed"
echo "[wheel] all checks passed in $((SECONDS - start)) s"

#!/usr/bin/env bash
# Build the API reference (Sphinx sources in docs/api/) as HTML into build/docs/html (or $1), with
# every warning an error, then check that each package's public names (its __all__) are all in it and
# that its math is rendered (MathJax). Runs in .venv, where DGL is mocked. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/setup_env.sh main
out=${1:-build/docs/html}
echo "== API docs (Sphinx, warnings are errors) -> $out"
# -E: read every source again (autodoc's input is the packages' code, which Sphinx does not track)
.venv/bin/python -m sphinx -E -W --keep-going -q -b html docs/api "$out"
.venv/bin/python - "$out" <<'PY'
import posixpath
import sys
from pathlib import Path

from sphinx.util.inventory import InventoryFile

out = Path(sys.argv[1])
sys.path.insert(0, "docs/api")
import conf  # noqa: E402  (its public_names and core_reexports say what each page documents)

with open(out / "objects.inv", "rb") as f:
    inventory = InventoryFile.load(f, "", posixpath.join)
entries = inventory.data if hasattr(inventory, "data") else inventory
documented = {name for by_name in entries.values() for name in by_name}
missing, count = [], 0
for package in conf.SOURCES:
    again = set(conf.core_reexports(package))
    for name in conf.public_names(package):
        count += 1
        where = f"{conf.CORE}.{name}" if name in again else f"{package}.{name}"
        if where not in documented:
            missing.append(f"{package}.{name} (looked for {where})")
    page = (out / f"{package}.html").read_text()
    if 'class="math' in page and "mathjax" not in page.lower():
        missing.append(f"{package}.html: math without MathJax")
if missing:
    sys.exit("API docs: public names not documented: " + ", ".join(missing))
print(f"API docs: all {count} public names of {len(conf.SOURCES)} packages documented, in {out}/index.html")
PY

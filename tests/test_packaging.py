"""Packaging: the metadata in pyproject.toml, LICENSE, CITATION.cff and CHANGELOG.md agree with the
code; each backend's extra installs everything the ``iterative-gnn`` command imports; the requirement
files pin what the extras ask for; a missing module is named at start-up with the extra to install.
(scripts/check_wheel.sh builds and installs the wheel itself.)"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib")

import iterative_core  # noqa: E402
import iterative_gnn  # noqa: E402
from iterative_gnn import _deps, cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PACKAGES = ("iterative_core", "pyg_iterative", "dgl_iterative", "iterative_gnn")
#: the backend each extra installs, by import name
BACKEND_MODULE = {"pyg": "torch_geometric", "dgl": "dgl"}


def requirements(lines) -> dict[str, Requirement]:
    """Requirement strings (or requirement-file lines) by canonical distribution name."""
    reqs = [Requirement(line.split("#")[0].strip()) for line in lines if line.split("#")[0].strip()]
    return {canonicalize_name(r.name): r for r in reqs}


def extra(name: str) -> dict[str, Requirement]:
    """What ``pip install 'iterative-gnn[name]'`` asks for: the base dependencies and the extra's."""
    return {**requirements(PROJECT["dependencies"]), **requirements(PROJECT["optional-dependencies"][name])}


# ----------------------------------------------------------------------------------------------- metadata
def test_license_is_spdx_mit_with_the_file_and_a_setuptools_that_reads_it():
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "the iterative-gnn authors" in text
    # an SPDX license expression replaces the License classifier (setuptools refuses both)
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])
    build = requirements(PYPROJECT["build-system"]["requires"])
    assert build["setuptools"].specifier == SpecifierSet(">=77")


def test_one_version_everywhere():
    version = PROJECT["version"]
    assert iterative_gnn.__version__ == iterative_core.__version__ == version
    assert re.search(rf"^version: {re.escape(version)}$", (ROOT / "CITATION.cff").read_text(), re.M)
    assert f"## [{version}]" in (ROOT / "CHANGELOG.md").read_text()


def test_classifiers_state_status_and_the_python_versions_allowed():
    classifiers = PROJECT["classifiers"]
    assert sum(c.startswith("Development Status ::") for c in classifiers) == 1
    pythons = sorted(tuple(map(int, c.rsplit(":: ", 1)[1].split("."))) for c in classifiers
                     if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert pythons and pythons == [(3, m) for m in range(pythons[0][1], pythons[-1][1] + 1)]  # no gaps
    allowed = SpecifierSet(PROJECT["requires-python"])
    assert all(f"{a}.{b}" in allowed for a, b in pythons)
    assert f"3.{pythons[0][1] - 1}" not in allowed  # the lowest one listed is the lowest allowed


def test_authors_description_and_absolute_urls():
    assert PROJECT["authors"] and all(a.get("name") for a in PROJECT["authors"])
    assert 0 < len(PROJECT["description"]) <= 200 and "\n" not in PROJECT["description"]
    urls = PROJECT["urls"]
    assert urls["Paper"] == "https://arxiv.org/abs/2310.01618"
    assert all(u.startswith("https://") for u in urls.values())
    assert "arXiv:2310.01618" in (ROOT / "CITATION.cff").read_text()


def test_the_wheel_ships_the_four_packages_and_the_command():
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert sorted(setuptools["packages"]) == sorted(PACKAGES)
    for package in PACKAGES:
        folder = ROOT / setuptools.get("package-dir", {}).get(package, package)
        assert (folder / "__init__.py").is_file(), package
    module, func = PROJECT["scripts"]["iterative-gnn"].split(":")
    assert module == "iterative_gnn.cli" and callable(getattr(cli, func))


# --------------------------------------------------------------------------------- what the command imports
def third_party_imports(package_dir: Path) -> set[str]:
    """The top-level modules the package's source imports anywhere (also inside functions), less the
    standard library and the project's own packages."""
    found = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PACKAGES)


def test_the_start_up_check_covers_every_module_the_command_imports():
    imported = third_party_imports(ROOT / "iterative_gnn")
    assert "numpy" in imported  # the scan sees the tool's imports
    uncovered = imported - set(_deps.CLI_MODULES) - {"torch"} - set(BACKEND_MODULE.values())
    assert not uncovered, f"iterative_gnn imports {sorted(uncovered)}: add them to _deps.CLI_MODULES and the extras"


@pytest.mark.parametrize("name", ["pyg", "dgl"])
def test_each_backend_extra_installs_the_backend_and_the_command_s_modules(name):
    wanted = {"torch", BACKEND_MODULE[name], *_deps.CLI_MODULES}
    missing = {canonicalize_name(m) for m in wanted} - set(extra(name))
    assert not missing, f"pip install 'iterative-gnn[{name}]' would not install {sorted(missing)}"
    assert _deps.EXTRAS[name] == name


def test_the_dgl_extra_keeps_torch_in_the_range_dgl_iterative_accepts():
    reqs = extra("dgl")
    assert str(reqs["dgl"].specifier) == "==2.1.0"
    torch_spec = reqs["torch"].specifier
    # dgl_iterative's import check: dgl 2.1.x with torch 2.2.0 to 2.2.1 (DGL's range from the library's oldest)
    assert all(v in torch_spec for v in ("2.2.0", "2.2.1"))
    assert not any(v in torch_spec for v in ("1.13.1", "2.0.0", "2.1.2", "2.2.2", "2.3.0", "2.13.0"))
    for name, spec in {"torchdata": "==0.7.1", "numpy": "<2", "pandas": "<2.3", "setuptools": "<70"}.items():
        assert str(reqs[name].specifier) == spec, name
    assert {"pyyaml", "pydantic"} <= set(reqs)


@pytest.mark.parametrize("req_file, name", [("main.txt", "pyg"), ("dgl.txt", "dgl")])
def test_the_requirement_files_hold_what_the_extra_asks_for(req_file, name):
    """The environments scripts/setup_env.sh builds satisfy the extra they stand for."""
    pinned = requirements((ROOT / "requirements" / req_file).read_text().splitlines())
    for dist, req in extra(name).items():
        assert dist in pinned, f"requirements/{req_file} lacks {dist} ([{name}] asks for {req})"
        fixed = [s.version for s in pinned[dist].specifier if s.operator == "=="]
        if fixed:  # a pinned version must satisfy the extra's range
            assert req.specifier.contains(fixed[0], prereleases=True), f"{dist}=={fixed[0]} is outside {req}"
        else:  # an unpinned one carries the extra's bound itself
            assert pinned[dist].specifier == req.specifier, f"requirements/{req_file}: {dist} should be {req}"


# ------------------------------------------------------------------------------------------ start-up check
def test_nothing_is_missing_here():
    assert _deps.missing_modules() == []


def test_missing_modules_uses_the_lookup_given():
    assert _deps.missing_modules(lambda m: m not in ("scipy", "networkx")) == ["scipy", "networkx"]


@pytest.mark.parametrize("backend", ["pyg", "dgl"])
def test_the_command_names_what_is_missing_and_the_extra(monkeypatch, backend):
    monkeypatch.setattr(_deps, "_installed", lambda m: m not in ("scipy", "tqdm"))
    with pytest.raises(SystemExit) as exc:
        cli.main(["train", "--backend", backend, "--dataset", "karate", "--epochs", "1"])
    msg = str(exc.value.code)  # SystemExit(str): printed to stderr, exit status 1
    assert msg.startswith("iterative-gnn: missing Python modules: scipy (the Planetoid raw files hold")
    assert "tqdm (progress bars)" in msg and "matplotlib" not in msg
    assert msg.endswith(f"pip install 'iterative-gnn[{backend}]'")


def test_the_message_for_one_module():
    msg = _deps.missing_message(["matplotlib"], "pyg")
    assert msg == ("iterative-gnn: missing Python module: matplotlib (the reproduce plots). "
                   "Install the command's dependencies with: pip install 'iterative-gnn[pyg]'")


def test_the_base_torch_requirement_is_the_oldest_torch_the_library_accepts():
    spec = requirements(PROJECT["dependencies"])["torch"].specifier
    oldest = ".".join(map(str, iterative_core.MIN_TORCH))
    assert f"{oldest}.0" in spec and "2.1.2" not in spec and "2.13.0" in spec

"""The benchmark scripts refuse a bad argument at once, as a usage error (exit status 2, a message that
names the argument, the value and what is valid) before any timing, and their ``--help`` gives the
whole first paragraph of their docstring.

Every case runs in one child process (``benchmarks/`` imports ``torch`` once there): each script as
``python <script> ARGS`` would, with its result files sent to a temporary folder and a time limit,
so that a script that accepts a bad value is stopped rather than left to time its benchmark."""
import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))
#: seconds one case may take before the driver stops it (parsing takes well under one)
LIMIT = 15
#: modules a script may need beyond torch and the library: a case that finds one missing is skipped
OPTIONAL = ("torch_geometric", "dgl", "torch_sparse", "torch_scatter", "scipy")

CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is available here")

# (script, argv, what stderr must hold). Small sizes throughout, so that a script that wrongly takes
# the bad value (the scripts before these checks) soon ends rather than timing for minutes.
CASES = [
    # 1. two iteration counts, the second the longer step
    ("bench_training.py", ["--iterations", "3", "3", "--edges", "1000", "--forms", "appnp", "--modes", "unrolled",
                           "--rounds", "1", "--budget", "1"],
     "argument --iterations: invalid value '3 3': expected distinct values in increasing order"),
    ("bench_training.py", ["--iterations", "30", "10", "--edges", "1000", "--forms", "appnp", "--modes", "unrolled",
                           "--rounds", "1", "--budget", "1"],
     "argument --iterations: invalid value '30 10': expected distinct values in increasing order"),
    # 2. one node count per edge count
    ("bench_setup.py", ["--edges", "1000", "2000", "--nodes", "100", "--iterations", "1", "--rounds", "1",
                        "--forms", "appnp"],
     "argument --nodes: invalid value '100': expected one node count per edge count"),
    ("bench_training.py", ["--edges", "1000", "--nodes", "100", "200", "--iterations", "1", "2", "--forms", "appnp",
                           "--modes", "unrolled", "--rounds", "1", "--budget", "1"],
     "argument --nodes: invalid value '100 200': expected one node count per edge count"),
    # 3. residual: the former name of appnp (so given with appnp, a form given twice); an unknown form
    ("bench_floor.py", ["--forms", "appnp", "residual", "--edges", "1000", "--iterations", "1", "--rounds", "1",
                        "--copy-mib", "1"],
     "argument --forms: invalid value 'appnp appnp': expected distinct values"),
    ("bench_floor.py", ["--forms", "foo", "--edges", "1000", "--iterations", "1", "--rounds", "1", "--copy-mib", "1"],
     "argument --forms: invalid value 'foo': expected one of appnp, signed, paper; residual: the former name of appnp"),
    # 4. the linear fit needs two distinct iteration counts
    ("memory_gradients.py", ["--iterations", "10", "--nodes", "100", "--edges", "1000", "--channels", "2"],
     "argument --iterations: invalid value '10': expected at least 2 distinct values in increasing order"),
    ("memory_gradients.py", ["--iterations", "5", "5", "--nodes", "100", "--edges", "1000", "--channels", "2"],
     "argument --iterations: invalid value '5 5': expected at least 2 distinct values"),
    # 5. modes and device checked before any child runs
    ("bench_gradients.py", ["--modes", "unrolled", "foo", "--nodes", "100", "--edges", "1000", "--iterations", "2",
                            "--repeat", "1"],
     "argument --modes: invalid value 'foo': expected one of unrolled, implicit, phantom"),
    pytest.param("bench_gradients.py", ["--device", "cuda", "--nodes", "100", "--edges", "1000", "--iterations", "2",
                                        "--repeat", "1"],
                 "argument --device: invalid value 'cuda': expected a device this machine has", marks=CUDA),
    # 6. a result name is a file-name stem
    ("bench_iteration.py", ["--name", "a/b", "--edges", "1000", "--iterations", "1"],
     "argument --name: invalid value 'a/b': expected a file-name stem"),
    ("bench_kernel_time.py", ["--name", "../x", "--size", "100:1000", "--iterations", "1", "--rounds", "1",
                              "--allocators", "default"],
     "argument --name: invalid value '../x': expected a file-name stem"),
    ("bench_fault_cost.py", ["--name", "..", "--sizes", "0.25"],
     "argument --name: invalid value '..': expected a file-name stem"),
    # 7. the options of --memory without it
    ("bench_scaling.py", ["--sizes", "10:100", "--rounds", "1", "--budget", "1", "--iterations", "1"],
     "argument --sizes: invalid value '10:100': expected only together with --memory"),
    # 8. forms, modes, devices, sizes, numbers
    ("bench_setup.py", ["--forms", "foo", "--edges", "1000", "--iterations", "1", "--rounds", "1"],
     "argument --forms: invalid value 'foo': expected one of "),
    ("bench_training.py", ["--modes", "foo", "--edges", "1000", "--iterations", "1", "2", "--forms", "appnp",
                           "--rounds", "1", "--budget", "1"],
     "argument --modes: invalid value 'foo': expected one of unrolled, implicit, phantom"),
    ("bench_iteration.py", ["--device", "foo", "--edges", "1000", "--iterations", "1"],
     "argument --device: invalid value 'foo': expected a torch device"),
    pytest.param("bench_layers.py", ["--device", "cuda", "--edges", "1000", "--iterations", "1"],
                 "argument --device: invalid value 'cuda': expected a device this machine has", marks=CUDA),
    ("bench_scaling.py", ["--memory", "--sizes", "foo", "--iterations", "1", "--rounds", "1", "--budget", "1"],
     "argument --sizes: invalid value 'foo': expected nodes:edges"),
    ("bench_kernel_time.py", ["--size", "foo", "--iterations", "1", "--rounds", "1", "--allocators", "default"],
     "argument --size: invalid value 'foo': expected nodes:edges"),
    ("bench_fault_cost.py", ["--sizes", "nan"], "argument --sizes: invalid value 'nan': expected comma-separated"),
    ("bench_fault_cost.py", ["--pause", "-1", "--sizes", "0.25"],
     "argument --pause: invalid value '-1': expected a finite number >= 0"),
    ("bench_solvers.py", ["--tol", "nan"], "argument --tol: invalid value 'nan': expected a finite number > 0"),
    ("bench_solvers.py", ["--tol", "-1"], "argument --tol: invalid value '-1': expected a finite number > 0"),
    ("bench_solvers.py", ["--smoothing", "2"], "argument --smoothing: invalid value '2': expected a number in [0, 1)"),
    ("bench_solvers.py", ["--data-root", "{tmp}/no-such-root"],
     "argument --data-root: invalid value '{tmp}/no-such-root': expected an existing directory"),
    # 9. values taken without a word before
    ("bench_training.py", ["--budget", "nan", "--edges", "1000", "--iterations", "1", "2", "--forms", "appnp",
                           "--modes", "unrolled", "--rounds", "1"],
     "argument --budget: invalid value 'nan': expected a finite number > 0"),
    ("bench_scaling.py", ["--memory", "--budget", "-1", "--sizes", "10:100", "--iterations", "1", "--rounds", "1"],
     "argument --budget: invalid value '-1': expected a finite number > 0"),
    ("bench_kernel_time.py", ["--allocators", "default", "default", "--size", "100:1000", "--iterations", "1",
                              "--rounds", "1"],
     "argument --allocators: invalid value 'default default': expected distinct values"),
    ("bench_floor.py", ["--edges", "1000", "1000", "--iterations", "1", "--rounds", "1", "--copy-mib", "1"],
     "argument --edges: invalid value '1000 1000': expected distinct values"),
    ("bench_setup.py", ["--edges", "1000", "1000", "--iterations", "1", "--rounds", "1", "--forms", "appnp"],
     "argument --edges: invalid value '1000 1000': expected distinct graphs"),
]

# runs each (script, argv) as ``python script argv`` would, in this one process, and writes what each
# did (exit status or exception, stdout, stderr) as JSON
_DRIVER = r"""
import contextlib, io, json, os, runpy, signal, sys, traceback, warnings
from pathlib import Path

folder, runs, tmp, out, limit = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])


class Slow(BaseException):
    pass


def alarm(*_):
    raise Slow


signal.signal(signal.SIGALRM, alarm)
done = []
for script, argv in runs:
    env, path = dict(os.environ), list(sys.path)
    for name in [m for m in sys.modules if m == "_common" or m.startswith("bench_")]:
        del sys.modules[name]
    sys.path.insert(0, folder)
    import _common
    _common.RESULTS = Path(tmp) / "results"  # never the repository's results
    sys.argv = [os.path.join(folder, script), *argv]
    stdout, stderr, code, missing = io.StringIO(), io.StringIO(), None, None
    signal.alarm(limit)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), warnings.catch_warnings():
            runpy.run_path(sys.argv[0], run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if not isinstance(exc.code, (int, type(None))):
            stderr.write(str(exc.code))
    except ModuleNotFoundError as exc:
        code, missing = "ModuleNotFoundError", exc.name
    except Slow:
        code = f"still running after {limit} s"
    except BaseException as exc:
        code = type(exc).__name__
        stderr.write(traceback.format_exc())
    finally:
        signal.alarm(0)
    os.environ.clear()
    os.environ.update(env)
    sys.path[:] = path
    done.append({"code": code, "stdout": stdout.getvalue()[-5000:], "stderr": stderr.getvalue()[-5000:],
                 "missing": missing})
Path(out).write_text(json.dumps(done))
"""


def _case(case) -> tuple[str, list[str], str]:
    return tuple(case.values) if hasattr(case, "values") else case


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> tuple[str, dict]:
    """The folder that ``{tmp}`` in a case stands for, and what each case and each script's ``--help``
    did, by ``(script, argv)`` as written above."""
    tmp = tmp_path_factory.mktemp("benchmark_args")
    skipped = {id(c) for c in CASES if any(m.name == "skipif" and m.args[0] for m in getattr(c, "marks", ()))}
    runs = [[script, argv] for c in CASES if id(c) not in skipped for script, argv, _ in [_case(c)]] \
        + [[script, ["--help"]] for script in SCRIPTS]  # (a case skipped here, a GPU's, is not run)
    env = {**os.environ, "DGLBACKEND": "pytorch", "PYTHONWARNINGS": "ignore",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "common"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = tmp / "outcomes.json"
    given = [[script, [a.replace("{tmp}", str(tmp)) for a in argv]] for script, argv in runs]
    res = subprocess.run([sys.executable, "-c", _DRIVER, str(BENCHMARKS), json.dumps(given), str(tmp), str(out),
                          str(LIMIT)], capture_output=True, text=True, env=env, cwd=tmp,
                         timeout=LIMIT * len(runs) + 60)
    assert res.returncode == 0 and out.exists(), res.stderr[-3000:]
    return str(tmp), {(script, tuple(argv)): o for (script, argv), o in zip(runs, json.loads(out.read_text()))}


def _outcome(outcomes: tuple[str, dict], script: str, argv: list[str]) -> dict:
    outcome = outcomes[1][(script, tuple(argv))]
    if outcome["missing"] and outcome["missing"].split(".")[0] in OPTIONAL:
        pytest.skip(f"{script} needs {outcome['missing']}, which is not installed here")
    return outcome


@pytest.mark.parametrize("script, argv, message", CASES)
def test_a_bad_argument_is_a_usage_error(outcomes, script, argv, message):
    outcome = _outcome(outcomes, script, argv)
    err = outcome["stderr"]
    assert outcome["code"] == 2, f"{script} {' '.join(argv)}: {outcome['code']}\n{err}"
    assert "usage:" in err and "error: " + message.replace("{tmp}", outcomes[0]) in err, err


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_gives_the_first_paragraph_of_the_docstring(outcomes, script):
    """The description in full, not its first line (``…for working``)."""
    outcome = _outcome(outcomes, script, ["--help"])
    assert outcome["code"] == 0, outcome["stderr"]
    blocks = outcome["stdout"].split("\n\n")  # usage, description, options
    assert len(blocks) > 2 and not blocks[1].startswith("options:"), f"{script}: no description"
    shown = " ".join(blocks[1].replace("``", "").split())
    doc = ast.get_docstring(ast.parse((BENCHMARKS / script).read_text()))
    first = " ".join(doc.split("\n\n")[0].replace("``", "").split())
    assert shown.endswith(".") and shown == first, f"{script}: {shown!r}, not {first!r}"


def test_results_go_where_the_environment_says_and_not_when_every_run_failed(tmp_path, monkeypatch):
    """A trial run replaced the committed results (no folder could be chosen), and a run whose every
    measurement failed wrote them over with NaN rows."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _common

    monkeypatch.setattr(_common, "RESULTS", tmp_path / "committed")
    monkeypatch.setenv("ITERATIVE_GNN_BENCH_RESULTS", str(tmp_path / "trial"))
    path = _common.write_results("x", [{"a": 1.0}], columns=["a"], title="t")
    assert path == tmp_path / "trial" / "x.md" and (tmp_path / "trial" / "x.json").exists()
    assert _common.write_results("y", [{"a": float("nan"), "error": "boom"}], columns=["a"], title="t") is None
    assert not (tmp_path / "trial" / "y.md").exists() and not (tmp_path / "committed").exists()


def test_the_shell_scripts_send_a_trial_run_to_the_folder_named_from_where_the_caller_stood(tmp_path):
    """run_targets.sh wrote its log into benchmarks/results/ whatever the variable said (over the committed
    log), and a relative folder was read from benchmarks/, where the scripts change to."""
    shown = subprocess.run(  # (what scripts/_prelude.sh and gpu_suite.sh source first)
        ["bash", "-c", f'source "{ROOT}/scripts/_bench_results.sh" && echo "$ITERATIVE_GNN_BENCH_RESULTS"'],
        cwd=tmp_path, env={**os.environ, "ITERATIVE_GNN_BENCH_RESULTS": "trial"}, capture_output=True, text=True,
        check=True)
    assert shown.stdout.strip() == str(tmp_path.resolve() / "trial")
    # the folder is made absolute before the scripts change folders: _bench_results.sh sourced before the
    # first cd of scripts/_prelude.sh (which run_targets.sh and run_all.sh source first) and of gpu_suite.sh
    for path in (ROOT / "scripts" / "_prelude.sh", BENCHMARKS / "gpu_suite.sh"):
        code = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
        sources = [i for i, line in enumerate(code) if line.startswith("source ") and "_bench_results.sh" in line]
        cds = [i for i, line in enumerate(code) if line.startswith("cd ")]
        assert sources and cds and sources[0] < cds[0], path.name
    for script in ("run_targets.sh", "run_all.sh"):
        code = [line.split("#")[0].strip() for line in (BENCHMARKS / script).read_text().splitlines()]
        first = next(line for line in code if line.startswith(("source ", "cd ")))
        assert first.startswith("source ") and "scripts/_prelude.sh" in first, script
    for script in ("run_targets.sh", "run_all.sh", "gpu_suite.sh"):
        code = [line.split("#")[0] for line in (BENCHMARKS / script).read_text().splitlines()]
        assert not [line for line in code if re.search(r"(?<![$\w])results/", line)], f"{script} names results/"
        uses = [line for line in code if "results" in line and "_bench_results.sh" not in line]
        assert all("ITERATIVE_GNN_BENCH_RESULTS" in line or "$results" in line for line in uses), (script, uses)

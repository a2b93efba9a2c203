"""Shared helpers of the benchmark scripts: timing, machine description, result files."""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple, NoReturn

import torch

RESULTS = Path(__file__).resolve().parent / "results"


def description(doc: str) -> str:
    """A script's ``--help`` description: the first paragraph of its docstring as one line."""
    return " ".join(doc.strip().split("\n\n")[0].replace("``", "").split())


def count(text: str) -> int:
    """An argument that counts something (edges, channels, iterations, rounds, threads): a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a whole number >= 1")
    return value


def _finite(text: str, *, positive: bool) -> float:
    expected = "a finite number > 0" if positive else "a finite number >= 0"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {expected}")
    return value


def positive_float(text: str) -> float:
    """An argument such as a time budget or a tolerance: a finite number > 0."""
    return _finite(text, positive=True)


def non_negative_float(text: str) -> float:
    """An argument such as a pause in seconds: a finite number >= 0."""
    return _finite(text, positive=False)


def device_name(text: str) -> str:
    """An argument naming the device to run on: ``cpu``, or ``cuda[:N]`` where that GPU is available
    (the benchmarks time nothing else). Returned as torch spells it."""
    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a torch device: cpu, or cuda[:N] "
                                         "on a machine with a CUDA GPU")
    if dev.type == "cuda":
        found = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if found <= (dev.index or 0):
            why = (f"this machine has {found} CUDA device(s)" if found else
                   f"no CUDA device is available here (torch {torch.__version__}, built with CUDA "
                   f"{torch.version.cuda or 'none'})")
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a device this machine has "
                                             f"(cpu, or cuda[:N] with a CUDA GPU): {why}")
    return "cpu" if dev.type == "cpu" else str(dev)


def result_name(text: str) -> str:
    """An argument naming the result files ``results/<name>.json`` and ``.md``: a plain file-name stem."""
    if text in ("", ".", "..") or any(c in text for c in ("/", os.sep, os.altsep or "/", "\0")):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a file-name stem for the files in "
                                         "benchmarks/results/ (not empty, not '.' or '..', no path separator)")
    return text


def one_of(options: Iterable[str], aliases: Mapping[str, str] | None = None) -> Callable[[str], str]:
    """An argument type that takes one of ``options``, a former name in ``aliases`` mapped to its
    current one (``argparse``'s ``choices`` in this module's message form)."""
    options, aliases = tuple(options), dict(aliases or {})
    former = "".join(f"; {old}: the former name of {new}" for old, new in aliases.items())

    def check(text: str) -> str:
        value = aliases.get(text, text)
        if value not in options:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected one of {', '.join(options)}{former}")
        return value

    return check


def form(text: str) -> str:
    """An argument naming a form of PIGNConv (``iterative_core.forms.FORMS``; a former name from
    ``FORM_ALIASES``, ``residual``, taken as the current one, ``appnp``)."""
    from iterative_core.forms import FORM_ALIASES, FORMS

    return one_of(FORMS, FORM_ALIASES)(text)


def grad_mode(text: str) -> str:
    """An argument naming a gradient mode of the library (``iterative_core.GRAD_MODES``)."""
    from iterative_core import GRAD_MODES

    return one_of(GRAD_MODES)(text)


class GraphSize(NamedTuple):
    """A graph's size, ``nodes:edges`` on the command line."""

    nodes: int
    edges: int

    def __str__(self) -> str:
        return f"{self.nodes}:{self.edges}"


def graph_size(text: str) -> GraphSize:
    """An argument ``nodes:edges``: two whole numbers >= 1."""
    parts = text.split(":")
    try:
        size = GraphSize(*(int(v) for v in parts))
    except (TypeError, ValueError):
        size = None
    if size is None or min(size) < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected nodes:edges, two whole numbers >= 1 "
                                         "(e.g. 10000:100000)")
    return size


def _repeated(values: list) -> list:
    """The values of ``values`` that stand at an earlier place too, in order."""
    return [v for i, v in enumerate(values) if v in values[:i]]


def distinct(*, at_least: int = 1, increasing: bool = False, why: str = "") -> type[argparse.Action]:
    """The ``action`` of a list option (sizes, iteration counts, forms) whose values must differ: at
    least ``at_least`` of them, with ``increasing`` in increasing order; ``why``, if given, ends the message."""
    expected = (f"at least {at_least} distinct values" if at_least > 1 else "distinct values") \
        + (" in increasing order" if increasing else "")

    class Distinct(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None) -> None:
            values = list(values)
            twice = _repeated(values)
            if twice or len(values) < at_least or (increasing and values != sorted(values)):
                notes = [f"{v} given twice" for v in twice[:1]] + [why] * bool(why)
                raise argparse.ArgumentError(self, f"invalid value {' '.join(map(str, values))!r}: expected {expected}"
                                             + (f" ({'; '.join(notes)})" if notes else ""))
            setattr(namespace, self.dest, values)

    return Distinct


def refuse(p: argparse.ArgumentParser, option: str, value: object, expected: str) -> NoReturn:
    """A usage error (exit 2) for an option whose value does not fit the others: checked after parsing."""
    if isinstance(value, (list, tuple)):
        value = " ".join(map(str, value))
    p.error(f"argument {option}: invalid value {str(value)!r}: expected {expected}")


def graph_sizes(p: argparse.ArgumentParser, edges: list[int], nodes: list[int] | None) -> list[GraphSize]:
    """The graphs of ``--edges`` and ``--nodes``: one node count per edge count, by default
    ``max(edges // 10, 10)``; a usage error for any other number of node counts or a graph given twice."""
    if nodes is not None and len(nodes) != len(edges):
        refuse(p, "--nodes", nodes,
               f"one node count per edge count (--edges {' '.join(map(str, edges))})")
    sizes = [GraphSize(n, e) for n, e in zip(nodes or [max(e // 10, 10) for e in edges], edges)]
    twice = _repeated(sizes)
    if twice:
        refuse(p, "--edges", edges, f"distinct graphs ({twice[0].edges} edges on {twice[0].nodes} nodes given twice)")
    return sizes


def graph_bench_args(default_edges: list[int], doc: str) -> argparse.Namespace:
    """The options the graph benchmarks share: device, edge counts, channels, iterations, result name;
    ``doc``: the script's docstring, for ``--help``."""
    p = argparse.ArgumentParser(description=description(doc))
    p.add_argument("--device", type=device_name, default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--edges", type=count, nargs="+", action=distinct(), default=default_edges,
                   help="edge counts, one graph each (nodes = edges // 10, at least 10)")
    p.add_argument("--channels", type=count, default=64)
    p.add_argument("--iterations", type=count, default=10)
    p.add_argument("--name", type=result_name, default=None,
                   help="stem of the result files in benchmarks/results/ (or in $ITERATIVE_GNN_BENCH_RESULTS)")
    return p.parse_args()


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__}
    try:
        import torch_geometric

        info["torch_geometric"] = torch_geometric.__version__
    except ImportError:
        pass
    try:
        import dgl

        info["dgl"] = dgl.__version__
    except ImportError:
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def code_state() -> str:
    """The commit the library was measured at, and the library files that differed from it (a run measures
    the working tree)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "common", "pyg_iterative", "dgl_iterative"],
                               cwd=root, capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = sorted(line[3:] for line in dirty if line.strip())
    return head + (f" with uncommitted changes in {', '.join(changed)}" if changed else "")


def cpu_allocated_peak(fn: Callable[[], object]) -> int:
    """Peak bytes of live PyTorch CPU tensors while ``fn()`` runs, above the level at its start: the CPU
    counterpart of ``torch.cuda.max_memory_allocated``, from the profiler's memory events (an op's
    allocations counted at its start, frees when they happen). Unlike the resident set it does not
    count what the C allocator keeps after a free (fragmentation, cached pages)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = []
    for e in prof.events():
        if e.name == "[memory]":  # frees (and allocations outside any op)
            delta = e.cpu_memory_usage
        else:
            delta = e.self_cpu_memory_usage
        if delta:
            events.append((e.time_range.start, delta))
    events.sort()
    cur = peak = 0
    for _, delta in events:
        cur += delta
        peak = max(peak, cur)
    return peak


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_it(fn: Callable[[], object], device: torch.device, *, warmup: int = 2, repeat: int = 7,
            min_time: float = 0.0, budget: float = 8.0) -> float:
    """Fastest wall time of ``fn`` in seconds over the repeats (after ``warmup`` calls): the minimum is
    the estimate least disturbed by other work on a shared machine. A slow ``fn`` stops after 3
    repeats once ``budget`` seconds are spent."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    start_all = time.perf_counter()
    while len(times) < repeat or (time.perf_counter() - start_all) < min_time:
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
        if len(times) >= 50 or (len(times) >= 3 and time.perf_counter() - start_all > budget):
            break
    return min(times)


def interleaved(fns: dict, device: torch.device, rounds: int = 7, budget: float = 60.0):
    """Fastest time of each function, timed in turns (round after round) so that a disturbance on a
    shared machine hits every one of them alike."""
    for fn in fns.values():  # warm-up
        fn()
    best = {key: float("inf") for key in fns}
    start = time.perf_counter()
    for r in range(rounds):
        for key, fn in fns.items():
            sync(device)
            t = time.perf_counter()
            fn()
            sync(device)
            best[key] = min(best[key], time.perf_counter() - t)
        if r >= 2 and time.perf_counter() - start > budget:
            break
    return best


def interleaved_rounds(fns: dict, rounds: int, budget: float, *, warm: bool = False,
                       device: torch.device = torch.device("cpu")) -> dict:
    """Every wall time of each function, timed in turns (round after round, so that a disturbance on a
    shared machine hits every variant alike): ``{key: [seconds per round]}``, for the fastest and for
    the spread over rounds. One untimed warm-up call of each first; with ``warm`` each timed call also
    comes right after an untimed call of the same function (its data in cache, as in a training loop).
    Stops after the round in which ``budget`` seconds are passed (at least 3 rounds)."""
    for fn in fns.values():
        fn()
    times: dict = {key: [] for key in fns}
    start = time.perf_counter()
    for r in range(rounds):
        for key, fn in fns.items():
            if warm:
                fn()
            sync(device)
            t = time.perf_counter()
            fn()
            sync(device)
            times[key].append(time.perf_counter() - t)
        if r >= 2 and time.perf_counter() - start > budget:
            break
    return times


def spread(values) -> tuple[float, float, float]:
    """``(min, median, max)`` of ``values``."""
    v = sorted(values)
    return v[0], v[len(v) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2]), v[-1]


def read_setting(path: str) -> str:
    """A kernel setting or table from /proc or /sys, stripped ("unknown" where the file is absent)."""
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "unknown"


def rss_bytes(key: str = "VmRSS") -> int:
    """This process's resident set (``VmRSS``) or its peak (``VmHWM``) in bytes, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{key} not in /proc/self/status")


def reset_peak_rss() -> None:
    """Set the peak resident set (``VmHWM``) to the current one (Linux: ``clear_refs`` 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def slope(ks, ts) -> float:
    """Least-squares slope of ``ts`` against ``ks``: seconds per iteration, the fixed cost left out."""
    n = len(ks)
    mk, mt = sum(ks) / n, sum(ts) / n
    return sum((k - mk) * (t - mt) for k, t in zip(ks, ts)) / sum((k - mk) ** 2 for k in ks)


def random_graph(num_nodes: int, num_edges: int, device: torch.device, seed: int = 0) -> torch.Tensor:
    """A random undirected graph (both directions of ``num_edges // 2`` pairs) as a [2, E] edge index."""
    g = torch.Generator().manual_seed(seed)
    half = num_edges // 2
    src = torch.randint(0, num_nodes, (half,), generator=g)
    dst = torch.randint(0, num_nodes, (half,), generator=g)
    return torch.stack([torch.cat([src, dst]), torch.cat([dst, src])]).to(device)


def gcn_csr(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """The GCN-normalised adjacency with self-loops as a CSR matrix (rows: destinations), built the way
    one would by hand, for the bare loops the layers are compared with."""
    from iterative_core import gcn_propagation
    from torch_geometric.utils import to_torch_csr_tensor

    prop = gcn_propagation(edge_index[0], edge_index[1], num_nodes)
    return to_torch_csr_tensor(torch.stack([prop.dst, prop.src]), prop.weight, num_nodes)


def write_results(name: str, rows: list[dict], *, columns: list[str], title: str, notes: list[str] | None = None,
                  device: str = "cpu") -> Path | None:
    """Write ``<name>.json`` and ``<name>.md`` with date, machine and command into ``benchmarks/results/``,
    or the folder ``$ITERATIVE_GNN_BENCH_RESULTS`` names (a trial run then leaves the committed results
    as they are). Nothing is written when every row failed (each holds an ``"error"``): those files
    would replace the results with NaN rows."""
    if rows and all("error" in r for r in rows):
        print(f"every run failed: {name}.json and {name}.md are not written", file=sys.stderr)
        return None
    out = Path(os.environ.get("ITERATIVE_GNN_BENCH_RESULTS") or RESULTS)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]),
        "device": device,
        "machine": machine(),
        "code": code_state(),
        "load average (1, 5, 15 min) at the end": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    (out / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [f"# {title}", "", f"- date: {meta['date']}", f"- command: `{meta['command']}`",
             f"- device: {device}; machine: " + ", ".join(f"{k} {v}" for k, v in meta["machine"].items()),
             f"- code: {meta['code']}",
             f"- load average (1, 5, 15 min) at the end: {meta['load average (1, 5, 15 min) at the end']} "
             f"({os.cpu_count()} cores; other work on the machine shows here)", ""]
    for n in notes or []:
        lines.append(f"- {n}")
    if notes:
        lines.append("")
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("| " + " | ".join("---" for _ in columns) + " |")
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    path = out / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    print(path.read_text())
    return path

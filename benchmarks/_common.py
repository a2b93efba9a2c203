"""Shared helpers of the benchmark scripts: timing, machine description, result files."""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable

import torch

RESULTS = Path(__file__).resolve().parent / "results"


def count(text: str) -> int:
    """An argument that counts something (edges, channels, iterations, rounds, threads): a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a whole number >= 1")
    return value


def graph_bench_args(default_edges: list[int]) -> argparse.Namespace:
    """The options the graph benchmarks share: device, edge counts, channels, iterations, result name."""
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu")
    p.add_argument("--edges", type=count, nargs="+", default=default_edges)
    p.add_argument("--channels", type=count, default=64)
    p.add_argument("--iterations", type=count, default=10)
    p.add_argument("--name", default=None)
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
                  device: str = "cpu") -> Path:
    """Write ``results/<name>.json`` and ``results/<name>.md`` with date, machine and command."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]),
        "device": device,
        "machine": machine(),
        "code": code_state(),
        "load average (1, 5, 15 min) at the end": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
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
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    print(path.read_text())
    return path

"""What a page fault costs on this machine: kernel time per first touch of fresh memory, for working
sets of several sizes in turn, without any graph.

The layer's large-graph timings (``bench_kernel_time.py``, ``bench_scaling.py``) spend much of a
forward in the kernel, faulting in fresh iterates. On a bare-metal Linux machine a fault costs about
the same every time. In a virtual machine whose guest reports free pages back to the host (Linux's
free page reporting, e.g. with virtio-balloon), a page that was handed back must be backed by the
host again at its next first touch, which can cost many times more; pages freed and reused within
moments are still backed. This script allocates and fills ``float32`` blocks of 256 MiB up to each
size in ``--sizes`` (GiB), frees them, and reports the kernel time per fault of each pass, so that
the cost of a fault in the timings of the other scripts can be read off for this machine.

    python benchmarks/bench_fault_cost.py [--sizes 2,6,6,10,10,2] [--pause 0]
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (description, non_negative_float, positive_float, read_setting, refuse,  # noqa: E402
                     result_name, write_results)

BLOCK = 64 * 2 ** 20  # float32 elements: 256 MiB
REPORTING_ORDER = "/sys/module/page_reporting/parameters/page_reporting_order"


def _available_gib() -> float:
    for line in read_setting("/proc/meminfo").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2 ** 20
    return float("inf")


def touch(gib: float) -> dict:
    """Allocate and fill ``gib`` GiB in 256 MiB blocks, then free them: wall, kernel time and faults."""
    n = max(1, round(gib * 4))
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    blocks = [torch.empty(BLOCK).fill_(1.0) for _ in range(n)]
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    del blocks
    faults = r1.ru_minflt - r0.ru_minflt
    kernel = r1.ru_stime - r0.ru_stime
    return {"GiB touched": n / 4, "wall s": wall, "kernel s": kernel, "minor faults": faults,
            "kernel us per fault": 1e6 * kernel / max(faults, 1)}


def gib_list(text: str) -> list[float]:
    """The ``--sizes`` argument: comma-separated numbers of GiB, each finite and > 0 (repeats allowed:
    each is one pass)."""
    try:
        return [positive_float(v) for v in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected comma-separated numbers of GiB, each "
                                         "finite and > 0") from None


def main() -> None:
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument("--sizes", type=gib_list, default="2,6,6,10,10,2", help="GiB to touch, one pass each, in this order")
    p.add_argument("--pause", type=non_negative_float, default=0.0, help="seconds to wait before each pass")
    p.add_argument("--name", type=result_name, default="fault_cost_cpu",
                   help="stem of the result files in benchmarks/results/")
    args = p.parse_args()
    sizes = args.sizes
    available = _available_gib()
    if max(sizes) > 0.7 * available:
        refuse(p, "--sizes", ",".join(f"{v:g}" for v in sizes),
               f"at most 70% of the {available:.1f} GiB this machine has available in any one pass: pass smaller sizes")
    torch.set_num_threads(1)
    rows = []
    for i, gib in enumerate(sizes):
        time.sleep(args.pause)
        rows.append({"pass": i + 1, **touch(gib)})
        print(rows[-1], flush=True)
    write_results(
        args.name, rows, device="cpu", title="Kernel time per page fault, fresh memory touched in turn",
        columns=list(rows[0]),
        notes=["float32 blocks of 256 MiB allocated with torch.empty and filled, then freed; one torch thread; "
               f"{args.pause:g} s before each pass",
               "kernel s and minor faults: getrusage of the process around the allocation and filling",
               f"free page reporting order ({REPORTING_ORDER}; 'unknown': the kernel has none): "
               f"{read_setting(REPORTING_ORDER)}",
               f"kernel transparent huge pages: enabled {read_setting('/sys/kernel/mm/transparent_hugepage/enabled')}",
               f"memory available at the start: {available:.1f} GiB"],
    )


if __name__ == "__main__":
    main()

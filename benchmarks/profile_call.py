"""What a forward on a graph seen before costs beyond its iterations, and where it goes: PyG
PIGNConv (appnp and signed forms), 10^5 edges, 64 channels, one thread, eval, no_grad. Fixed part =
t(10) - 10 x per-iteration ((t(40) - t(10)) / 30, fastest of 15 warm rounds); then a cProfile of 50
forwards with K = 10 (functions by their own time).

    python benchmarks/profile_call.py > benchmarks/results/profile_call_cpu.txt
"""
import argparse
import cProfile
import datetime
import io
import os
import pstats
import sys
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

from _common import code_state, description, interleaved_rounds, machine, random_graph  # noqa: E402

argparse.ArgumentParser(description=description(__doc__)).parse_args()  # (--help, and no stray arguments)
from pyg_iterative import PIGNConv  # noqa: E402

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; python {' '.join(sys.argv)}; "
      f"{machine()}; code {code_state()}; load {os.getloadavg()}")
E = 100000
N = E // 10
ei = random_graph(N, E, torch.device("cpu"))
x = torch.randn(N, 64)
for form in ("appnp", "signed"):
    convs = {k: PIGNConv(64, num_iterations=k, form=form).eval() for k in (1, 2, 10, 40)}
    for c in convs.values():
        c.load_state_dict(convs[10].state_dict())
    with torch.no_grad():
        times = interleaved_rounds({k: (lambda c=c: c(x, ei)) for k, c in convs.items()}, rounds=15,
                                   budget=float("inf"), warm=True)
    best = {k: min(v) for k, v in times.items()}
    per = (best[40] - best[10]) / 30
    print(form, {k: round(v * 1e3, 3) for k, v in best.items()}, "per-iter", round(per * 1e3, 3),
          "fixed = t(10)-10*per", round((best[10] - 10 * per) * 1e3, 3), "share", round(best[10] / (10 * per), 3))
    pr = cProfile.Profile()
    with torch.no_grad():
        pr.enable()
        for _ in range(50):
            convs[10](x, ei)
        pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(14)
    print(s.getvalue()[-3000:])

"""Validation sweep for PIGNConv's defaults: the 'default' setup (hidden 64, dropout 0.5 after the
encoder, no input dropout, lr 0.01, wd 5e-4), 8 iterations, conv options varied. Selection on val."""
import argparse, json, statistics, sys, time
import torch
torch.set_num_threads(1)
from iterative_gnn.configs import RunConfig, run_one
from iterative_gnn.data import load_node_dataset
_p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
_p.add_argument("dataset", choices=("cora", "citeseer"))
_p.add_argument("part", type=int, help="which part of the candidates this process runs, 0 to nparts - 1")
_p.add_argument("nparts", type=int, help="how many parts the candidates are split into (processes)")
_a = _p.parse_args()
if not 0 <= _a.part < _a.nparts:
    _p.error(f"argument part: invalid value {_a.part}: expected 0 to nparts - 1 = {_a.nparts - 1}")
ds_name, part, nparts = _a.dataset, _a.part, _a.nparts
ds = load_node_dataset(ds_name, "pyg")
C = [
  dict(alpha=0.1, beta=0.0, act="identity", smoothing=0.0),
  dict(alpha=0.1, beta=None, act="identity", smoothing=0.0),
  dict(alpha=0.1, beta=0.5, act="identity", smoothing=0.0),
  dict(alpha=0.1, beta=0.1, act="identity", smoothing=0.0),
  dict(alpha=0.1, beta=None, act="relu", smoothing=0.0),
  dict(alpha=0.1, beta=None, act="relu", smoothing=0.5),
  dict(alpha=0.1, beta=0.5, act="relu", smoothing=0.5),
  dict(alpha=0.1, beta=None, act="identity", smoothing=0.0, contraction=0.9),
  dict(alpha=0.1, beta=None, act="relu", smoothing=0.5, contraction=0.9),
  dict(alpha=0.0, beta=None, act="relu", smoothing=0.5, inject_input=True),
]
for i, c in enumerate(C):
    if i % nparts != part: continue
    # the model as the sweep ran it: form="appnp", the step these options set before PIGNConv had forms
    # (today's default form, "signed", came later), and no dropout before the decoder (PIGN's came later)
    cfg = RunConfig("pign", depth=8, hidden=64, dropout=0.5, lr=0.01, weight_decay=5e-4,
                    conv=dict(c, form="appnp", conv_dropout=0.0, decoder_dropout=0.0))
    t0 = time.time(); v = []; t = []
    for seed in (0, 1):
        res, _, _ = run_one("pyg", ds, cfg, seed)
        v.append(res.val_acc); t.append(res.test_acc)
    print(ds_name, json.dumps(c), "val %.3f test %.3f (%.3f) %.1fs" % (statistics.mean(v), statistics.mean(t), statistics.stdev(t), time.time()-t0), flush=True)

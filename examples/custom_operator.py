"""Make your own graph layer iterative, in PyG and in DGL.

    python examples/custom_operator.py            # PyG part (and the DGL part when DGL is installed)

Two ways, in each backend:

1. ``IterativeConv(layer)`` wraps a layer instance: the layer's output is fed back in as its next
   input, ``z <- s z + (1 - s) act(layer(z, graph) [+ x])``, until it stops changing (or for a fixed
   number of steps). ``inject_input=True`` adds the input ``x`` at every step (the ``[+ x]``): without
   it the input only starts the iteration, and the fixed point a ``tol`` iterates towards does not
   depend on it.
   The layer must be square (as many channels out as in).
2. ``register_operator(name, factory)`` adds a factory ``factory(channels, **options)`` to the registry,
   after which ``PIGNConv(channels, conv=name, **options)`` and the ``PIGN`` models build it by name.
"""
from __future__ import annotations

import torch
from torch import nn


def pyg_part() -> None:
    from torch_geometric.nn import MessagePassing

    from pyg_iterative import PIGN, IterativeConv, PIGNConv, register_operator

    class ScaledMean(MessagePassing):
        r"""A user-written layer: :math:`z_i \mapsto \gamma \, W \operatorname{mean}_{j \to i} (w_{ji} z_j) + b`.
        ``in_channels``/``out_channels`` let IterativeConv check that it is square."""

        def __init__(self, channels: int, gamma: float = 0.5):
            super().__init__(aggr="mean")
            self.in_channels = self.out_channels = channels
            self.gamma = gamma
            self.lin = nn.Linear(channels, channels)

        def reset_parameters(self):
            super().reset_parameters()  # MessagePassing's: the aggregation only
            self.lin.reset_parameters()

        def forward(self, x, edge_index, edge_weight=None):
            return self.gamma * self.lin(self.propagate(edge_index, x=x, edge_weight=edge_weight))

        def message(self, x_j, edge_weight):
            return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    x = torch.randn(6, 16)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]])

    conv = IterativeConv(ScaledMean(16), num_iterations=60, tol=1e-5, act="tanh", inject_input=True)
    out, info = conv(x, edge_index, return_info=True)
    print("PyG IterativeConv:", conv, "\n   ", info)

    register_operator("scaled_mean", ScaledMean)
    conv = PIGNConv(16, conv="scaled_mean", gamma=0.5, num_iterations=10)
    print("PyG PIGNConv(conv='scaled_mean'):", conv, conv(x, edge_index).shape)
    model = PIGN(16, 32, 3, conv="scaled_mean", num_iterations=4)
    print("PyG PIGN(conv='scaled_mean'):", model(x, edge_index).shape)


def dgl_part() -> None:
    import dgl
    import dgl.function as fn

    from dgl_iterative import IterativeConv, PIGNConv, register_operator

    class ScaledMean(nn.Module):
        """The same layer for DGL, with builtin message functions and a local scope."""

        def __init__(self, channels: int, gamma: float = 0.5):
            super().__init__()
            self._in_feats = self._out_feats = channels
            self.gamma = gamma
            self.lin = nn.Linear(channels, channels)

        def reset_parameters(self):
            self.lin.reset_parameters()

        def forward(self, graph, feat, edge_weight=None):
            with graph.local_scope():
                graph.srcdata["h"] = feat
                if edge_weight is None:
                    graph.update_all(fn.copy_u("h", "m"), fn.mean("m", "h"))
                else:
                    graph.edata["w"] = edge_weight.view(-1, 1)
                    graph.update_all(fn.u_mul_e("h", "w", "m"), fn.mean("m", "h"))
                return self.gamma * self.lin(graph.dstdata["h"])

    g = dgl.graph(([0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]))
    g.edata["w"] = torch.rand(6)
    feat = torch.randn(6, 16)
    conv = IterativeConv(ScaledMean(16), num_iterations=60, tol=1e-5, act="tanh", inject_input=True)
    out, info = conv(g, feat, "w", return_info=True)  # edge weights by edge-feature name
    print("DGL IterativeConv:", info)
    register_operator("scaled_mean", ScaledMean)
    print("DGL PIGNConv(conv='scaled_mean'):", PIGNConv(16, conv="scaled_mean")(g, feat).shape)
    batched = dgl.batch([g, g, g])  # each graph converges on its own
    _, info = conv(batched, torch.cat([feat, 2 * feat, 3 * feat]), return_info=True)
    print("DGL batch, iterations per graph:", info.graph_iterations.tolist())


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " ")).parse_args()  # (--help, and no stray arguments)
    pyg_part()
    try:
        import dgl  # noqa: F401
    except ImportError:
        print("(DGL is not installed: skipping the DGL part)")
    else:
        dgl_part()

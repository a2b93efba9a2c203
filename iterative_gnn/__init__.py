"""iterative_gnn: the command-line tool and training utilities built on ``pyg_iterative`` and
``dgl_iterative``. The chosen backend is imported lazily, so each works without the other."""

__version__ = "0.1.0"

"""Datasets through the ecosystems' own loaders, from a data root that can be given.

The root is, in order: the ``root`` argument (``--data-root``), the environment variable
``ITERATIVE_GNN_DATA``, or the loaders' normal location (PyG: ``~/.cache/iterative-gnn/pyg``;
DGL: its own ``~/.dgl``), where they download as usual. A root holds ``planetoid/<Name>/raw/``
with the Planetoid files ``ind.<name>.<part>``. A read-only root (such as a shared, mounted copy)
is copied once into a writable cache before loading.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor

ENV_VAR = "ITERATIVE_GNN_DATA"
PLANETOID = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
_PARTS = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")


class DatasetUnavailable(RuntimeError):
    """The dataset is neither under the data root nor downloadable."""


@dataclass
class NodeDataset:
    """A node-classification graph in backend-neutral tensors plus the backend's own graph object."""

    name: str
    x: Tensor
    y: Tensor
    train_mask: Tensor
    val_mask: Tensor
    test_mask: Tensor
    num_classes: int
    graph: Any  # PyG: edge_index [2, E]; DGL: DGLGraph
    backend: str

    @property
    def num_nodes(self) -> int:
        return self.x.size(0)


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "iterative-gnn"


def resolve_root(root: Optional[str | os.PathLike]) -> Optional[Path]:
    """The data root from the argument or ``ITERATIVE_GNN_DATA``; None means the loaders' default."""
    root = root or os.environ.get(ENV_VAR) or None
    return Path(root).expanduser().resolve() if root else None


def _read_only(path: Path) -> bool:
    # the mode bits, not os.access: a read-only tree stays untouched even for root
    return not (path.stat().st_mode & stat.S_IWUSR) or not os.access(path, os.W_OK)


def writable_root(root: Path) -> Path:
    """``root`` itself when writable, else a copy of its Planetoid raw files in the user's cache."""
    dirs = [root, *root.glob("planetoid"), *root.glob("planetoid/*")]
    if not any(_read_only(p) for p in dirs):
        return root
    key = hashlib.sha1(str(root).encode()).hexdigest()[:10]
    dest = cache_dir() / "data" / key
    for raw in sorted(root.glob("planetoid/*/raw")):
        target = dest / "planetoid" / raw.parent.name / "raw"
        if not target.exists():
            target.mkdir(parents=True, exist_ok=True)
            for f in raw.iterdir():
                shutil.copy2(f, target / f.name)
                os.chmod(target / f.name, 0o644)
    return dest


def _missing_message(name: str, root: Optional[Path], exc: BaseException) -> str:
    where = root if root is not None else f"${ENV_VAR} or --data-root"
    files = ", ".join(f"ind.{name}.{p}" for p in _PARTS)
    return (
        f"could not load {PLANETOID[name]} ({type(exc).__name__}: {exc}). Without a network, put the Planetoid raw "
        f"files ({files}) in <root>/planetoid/{PLANETOID[name]}/raw/ and point {where} at <root>."
    )


def load_planetoid_pyg(name: str, root: Optional[str | os.PathLike] = None) -> NodeDataset:
    import torch_geometric.transforms as T
    from torch_geometric.datasets import Planetoid

    name = name.lower()
    base = resolve_root(root)
    pyg_root = (writable_root(base) if base is not None else cache_dir() / "pyg") / "planetoid"
    try:
        # row-normalised features, as in PyG's GCN example and as DGL's citation datasets give them
        ds = Planetoid(str(pyg_root), PLANETOID[name], transform=T.NormalizeFeatures())
    except Exception as exc:  # noqa: BLE001 - reported with what to do
        raise DatasetUnavailable(_missing_message(name, base, exc)) from exc
    d = ds[0]
    return NodeDataset(name, d.x, d.y, d.train_mask, d.val_mask, d.test_mask, ds.num_classes, d.edge_index, "pyg")


def _dgl_raw_dir(name: str, base: Path) -> Path:
    """Lay out Planetoid raw files the way DGL's citation datasets read them."""
    from dgl.data.citation_graph import CitationGraphDataset
    from dgl.data.utils import _get_dgl_url

    dgl_name = "cora_v2" if name == "cora" else name
    url = _get_dgl_url(CitationGraphDataset._urls[dgl_name])
    suffix = "_" + hashlib.sha1(str(url).encode("utf-8")).hexdigest()[:8]
    src = base / "planetoid" / PLANETOID[name] / "raw"
    raw_dir = base / "dgl"
    target = raw_dir / (dgl_name + suffix)
    if src.is_dir() and not target.exists():
        target.mkdir(parents=True, exist_ok=True)
        for part in _PARTS:
            f = src / f"ind.{name}.{part}"
            if f.exists():
                shutil.copy2(f, target / f"ind.{dgl_name}.{part}")
    return raw_dir


def load_planetoid_dgl(name: str, root: Optional[str | os.PathLike] = None) -> NodeDataset:
    os.environ.setdefault("DGLBACKEND", "pytorch")
    from dgl.data import CiteseerGraphDataset, CoraGraphDataset, PubmedGraphDataset

    name = name.lower()
    cls = {"cora": CoraGraphDataset, "citeseer": CiteseerGraphDataset, "pubmed": PubmedGraphDataset}[name]
    base = resolve_root(root)
    raw_dir = str(_dgl_raw_dir(name, writable_root(base))) if base is not None else None
    try:
        ds = cls(raw_dir=raw_dir, verbose=False)
    except Exception as exc:  # noqa: BLE001
        raise DatasetUnavailable(_missing_message(name, base, exc)) from exc
    g = ds[0]
    nd = g.ndata
    return NodeDataset(name, nd["feat"], nd["label"], nd["train_mask"], nd["val_mask"], nd["test_mask"],
                       ds.num_classes, g, "dgl")


def load_node_dataset(name: str, backend: str, root: Optional[str | os.PathLike] = None) -> NodeDataset:
    name = name.lower()
    if name not in PLANETOID:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(PLANETOID)}")
    if backend == "pyg":
        return load_planetoid_pyg(name, root)
    if backend == "dgl":
        return load_planetoid_dgl(name, root)
    raise ValueError(f"unknown backend {backend!r}; valid: 'pyg', 'dgl'")


def planetoid_available(name: str, root: Optional[str | os.PathLike] = None) -> bool:
    base = resolve_root(root)
    return base is not None and (base / "planetoid" / PLANETOID[name.lower()] / "raw").is_dir()


def to_device(ds: NodeDataset, device: torch.device) -> NodeDataset:
    for k in ("x", "y", "train_mask", "val_mask", "test_mask"):
        setattr(ds, k, getattr(ds, k).to(device))
    ds.graph = ds.graph.to(device)
    return ds

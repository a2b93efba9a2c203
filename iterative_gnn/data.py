"""Datasets through the ecosystems' own loaders, from a data root that can be given.

The root is, in order: the ``root`` argument (``--data-root``), the environment variable
``ITERATIVE_GNN_DATA``, or the loaders' normal location (PyG: ``~/.cache/iterative-gnn/pyg``;
DGL: its own ``~/.dgl``), where they download as usual. A root holds ``planetoid/<Name>/raw/``
with the Planetoid files ``ind.<name>.<part>``. A read-only root (such as a shared, mounted copy)
is copied once into a writable cache before loading.

Two more datasets need no files: ``karate`` (PyG's ``KarateClub``, DGL's ``KarateClubDataset``,
both built in) and ``chains`` (generated, see :mod:`iterative_gnn.chains`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import torch
from torch import Tensor

from .backends import BACKENDS
from .chains import make_chains

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
    extra: dict = field(default_factory=dict)  # dataset-specific tensors (chains: "distance")

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
    if not path.exists():
        return False  # created by the loader (which then downloads, or says where the files go)
    return not (path.stat().st_mode & stat.S_IWUSR) or not os.access(path, os.W_OK)


def writable_root(root: Path) -> Path:
    """``root`` itself when writable, else a copy of its Planetoid raw files in the user's cache."""
    dirs = [root, *root.glob("planetoid"), *root.glob("planetoid/*")]
    if not any(_read_only(p) for p in dirs):
        return root
    key = hashlib.sha1(str(root).encode()).hexdigest()[:10]
    dest = cache_dir() / "data" / key
    for raw in sorted(root.glob("planetoid/*/raw")):
        _copy_files(raw, dest / "planetoid" / raw.parent.name / "raw",
                    [(f.name, f.name) for f in raw.iterdir() if f.is_file()])
    return dest


def _copy_files(src: Path, dest: Path, names: list[tuple[str, str]]) -> None:
    """Copy each ``(name in src, name in dest)``, through a temporary file of its own so that neither
    an interrupted copy nor processes copying at the same time leave a partial file; a file already in
    ``dest`` with the source's size is kept."""
    dest.mkdir(parents=True, exist_ok=True)
    for a, b in names:
        source, target = src / a, dest / b
        if target.is_file() and target.stat().st_size == source.stat().st_size:
            continue
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=dest)
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as inp:
                shutil.copyfileobj(inp, out)
            shutil.copystat(source, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def planetoid_raw_complete(raw: Path, name: str) -> bool:
    """Whether the folder ``raw`` holds every Planetoid raw file ``ind.<name>.<part>``."""
    return all((Path(raw) / f"ind.{name.lower()}.{p}").is_file() for p in _PARTS)


@contextmanager
def _one_process_at_a_time(folder: Path) -> Iterator[None]:
    """Hold, for the body, an exclusive lock named after ``folder`` (a file in the user's cache), so that
    processes loading one dataset at once prepare it one after the other, and the later ones read what
    the first wrote instead of writing the same files with it. Processes with another cache
    (``XDG_CACHE_HOME``) take other locks. Without ``fcntl`` (Windows) or a writable cache, no lock."""
    lock = None
    try:
        import fcntl

        locks = cache_dir() / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        lock = open(locks / (hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:16] + ".lock"), "a")
    except (ImportError, OSError):
        pass
    if lock is None:
        yield
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: load as without fcntl
            pass
        yield  # closing the file releases the lock


@contextmanager
def _removed_on_failure(*paths: Path) -> Iterator[None]:
    """Those of ``paths`` (outermost first) that do not exist yet are removed again, with what is in
    them, when the body fails: a failed download leaves no empty or partial folder that a later run
    would take for the data."""
    new = [p for p in paths if not os.path.lexists(p)]
    try:
        yield
    except BaseException:
        for p in new:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.lexists(p):
                p.unlink()
        raise


#: how to install a module the loaders need
_INSTALL = {"torch_geometric": "pip install 'iterative-gnn[pyg]'", "dgl": "pip install 'iterative-gnn[dgl]'",
            "torch": "pip install torch"}


def _import_error(exc: Optional[BaseException]) -> Optional[ImportError]:
    """``exc`` or what caused it, when that is an ImportError."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ImportError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _missing_message(name: str, root: Optional[Path], exc: BaseException) -> str:
    title = PLANETOID[name]
    imp = _import_error(exc)
    if imp is not None:
        module = (imp.name or "").split(".")[0]
        if not module:
            return f"could not load {title}: a Python module is missing ({imp})"
        why = " (the Planetoid raw files hold SciPy sparse matrices)" if module == "scipy" else ""
        return (f"could not load {title}: the Python module {module!r} is missing{why}; install it with: "
                f"{_INSTALL.get(module, f'pip install {module}')}")
    where = f" from {root}" if root is not None else ""
    files = ", ".join(f"ind.{name}.{p}" for p in _PARTS)
    return (
        f"could not load {title}{where} ({type(exc).__name__}: {exc}). Without a network, put the Planetoid raw "
        f"files ({files}) in <root>/planetoid/{title}/raw/ and set {ENV_VAR} to <root> (or pass --data-root <root>)."
    )


def _writable(name: str, base: Path) -> Path:
    try:
        return writable_root(base)
    except OSError as exc:
        raise DatasetUnavailable(_missing_message(name, base, exc)) from exc


def load_planetoid_pyg(name: str, root: Optional[str | os.PathLike] = None) -> NodeDataset:
    name = name.lower()
    base = resolve_root(root)
    try:
        import torch_geometric.transforms as T
        from torch_geometric.datasets import Planetoid
    except ImportError as exc:
        raise DatasetUnavailable(_missing_message(name, base, exc)) from exc
    top = _writable(name, base) if base is not None else cache_dir() / "pyg"
    pyg_root = top / "planetoid"
    folder = pyg_root / PLANETOID[name]
    try:
        with _one_process_at_a_time(folder), \
                _removed_on_failure(top, pyg_root, folder, folder / "raw", folder / "processed"):
            # row-normalised features, as in PyG's GCN example and as DGL's citation datasets give them
            ds = Planetoid(str(pyg_root), PLANETOID[name], transform=T.NormalizeFeatures())
    except Exception as exc:  # noqa: BLE001 - reported with what to do
        raise DatasetUnavailable(_missing_message(name, base, exc)) from exc
    d = ds[0]
    return NodeDataset(name, d.x, d.y, d.train_mask, d.val_mask, d.test_mask, ds.num_classes, d.edge_index, "pyg")


def _dgl_folder(name: str) -> str:
    """The folder DGL's citation dataset reads its raw files from (and caches into), under its raw_dir."""
    from dgl.data.citation_graph import CitationGraphDataset
    from dgl.data.utils import _get_dgl_url

    url = _get_dgl_url(CitationGraphDataset._urls[_dgl_name(name)])
    return _dgl_name(name) + "_" + hashlib.sha1(str(url).encode("utf-8")).hexdigest()[:8]


def _dgl_name(name: str) -> str:
    return "cora_v2" if name == "cora" else name


def load_planetoid_dgl(name: str, root: Optional[str | os.PathLike] = None) -> NodeDataset:
    name = name.lower()
    base = resolve_root(root)
    try:
        os.environ.setdefault("DGLBACKEND", "pytorch")
        from dgl.data import CiteseerGraphDataset, CoraGraphDataset, PubmedGraphDataset
        from dgl.data.utils import get_download_dir

        folder = _dgl_folder(name)
    except ImportError as exc:
        raise DatasetUnavailable(_missing_message(name, base, exc)) from exc
    cls = {"cora": CoraGraphDataset, "citeseer": CiteseerGraphDataset, "pubmed": PubmedGraphDataset}[name]
    top = _writable(name, base) if base is not None else None
    raw_dir = top / "dgl" if top is not None else Path(get_download_dir())
    try:
        with _one_process_at_a_time(raw_dir / folder), \
                _removed_on_failure(*([top] if top is not None else []), raw_dir, raw_dir / folder,
                                    raw_dir / f"{_dgl_name(name)}.zip"):
            src = top / "planetoid" / PLANETOID[name] / "raw" if top is not None else None
            if src is not None and planetoid_raw_complete(src, name):
                # the Planetoid raw files, laid out the way DGL's citation datasets read them
                _copy_files(src, raw_dir / folder, [(f"ind.{name}.{p}", f"ind.{_dgl_name(name)}.{p}")
                                                    for p in _PARTS if (src / f"ind.{name}.{p}").is_file()])
            ds = cls(raw_dir=None if top is None else str(raw_dir), verbose=False)
    except Exception as exc:  # noqa: BLE001
        raise DatasetUnavailable(_missing_message(name, base, exc)) from exc
    g = ds[0]
    nd = g.ndata
    return NodeDataset(name, nd["feat"], nd["label"], nd["train_mask"], nd["val_mask"], nd["test_mask"],
                       ds.num_classes, g, "dgl")


DATASETS = (*PLANETOID, "karate", "chains")


def _graph_for(backend: str, edge_index: Tensor, num_nodes: int):
    if backend == "pyg":
        return edge_index
    os.environ.setdefault("DGLBACKEND", "pytorch")
    import dgl

    return dgl.graph((edge_index[0], edge_index[1]), num_nodes=num_nodes)


def _split_masks(n: int, train_idx: Tensor, num_val: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """``train_idx`` as training nodes; the others split at random into ``num_val`` and the rest."""
    train = torch.zeros(n, dtype=torch.bool)
    train[train_idx] = True
    rest = (~train).nonzero().view(-1)
    rest = rest[torch.randperm(rest.numel(), generator=torch.Generator().manual_seed(seed))]
    val = torch.zeros(n, dtype=torch.bool)
    val[rest[:num_val]] = True
    return train, val, ~(train | val)


def load_karate(backend: str, *, num_val: int = 10, seed: int = 0) -> NodeDataset:
    """Zachary's karate club through each ecosystem's own dataset.

    The two differ: PyG's ``KarateClub`` has 4 classes (communities) and one labelled node per
    class; DGL's ``KarateClubDataset`` has 2 classes (the two clubs after the split), for which the
    training nodes are the two leaders (nodes 0 and 33). Features are one-hot node identities in
    both. Of the other nodes, ``num_val`` (chosen with ``seed``) validate and the rest test.
    """
    if isinstance(num_val, bool) or not isinstance(num_val, int):
        raise TypeError(f"load_karate: num_val must be a whole number, got {num_val!r}")
    if backend == "pyg":
        from torch_geometric.datasets import KarateClub

        d = KarateClub()[0]
        x, y, edge_index, train_idx = d.x, d.y, d.edge_index, d.train_mask.nonzero().view(-1)
        graph, num_classes = edge_index, int(y.max()) + 1
    elif backend == "dgl":
        os.environ.setdefault("DGLBACKEND", "pytorch")
        from dgl.data import KarateClubDataset

        ds = KarateClubDataset()
        graph = ds[0]
        y = graph.ndata["label"].long()
        x = torch.eye(graph.num_nodes())
        train_idx, num_classes = torch.tensor([0, 33]), ds.num_classes
    else:
        raise ValueError(f"unknown backend {backend!r}; valid: 'pyg', 'dgl'")
    rest = x.size(0) - train_idx.numel()
    if not 1 <= num_val <= rest - 1:
        raise ValueError(f"load_karate: num_val must lie in 1..{rest - 1} (of the {rest} nodes that do not train, "
                         f"the others test), got {num_val}")
    train, val, test = _split_masks(x.size(0), train_idx, num_val, seed)
    return NodeDataset("karate", x, y, train, val, test, num_classes, graph, backend)


def load_chains(backend: str, length: int = 50, **kwargs) -> NodeDataset:
    """The chains benchmark (:func:`iterative_gnn.chains.make_chains`) in the backend's graph type."""
    c = make_chains(length, **kwargs)
    graph = _graph_for(backend, c.edge_index, c.num_nodes)
    return NodeDataset(f"chains{length}", c.x, c.y, c.train_mask, c.val_mask, c.test_mask, c.num_classes, graph,
                       backend, extra={"distance": c.distance, "chain": c.chain})


def load_node_dataset(name: str, backend: str, root: Optional[str | os.PathLike] = None,
                      **kwargs) -> NodeDataset:
    """``cora``, ``citeseer``, ``pubmed`` (from the data root), ``karate`` or ``chains`` (``kwargs``
    go to :func:`load_karate` or :func:`load_chains`; the Planetoid sets take none)."""
    name = name.lower()
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: 'pyg', 'dgl'")
    if name == "karate":
        return load_karate(backend, **kwargs)
    if name == "chains":
        return load_chains(backend, **kwargs)
    if kwargs:
        raise TypeError(f"load_node_dataset: {name!r} takes no keyword arguments beyond root (they are for 'karate' "
                        f"and 'chains'), got {', '.join(sorted(kwargs))}")
    if backend == "pyg":
        return load_planetoid_pyg(name, root)
    return load_planetoid_dgl(name, root)


def add_feature_noise(ds: NodeDataset, rate: float, seed: int = 0) -> NodeDataset:
    """A copy of ``ds`` whose features have a fraction ``rate`` of their entries, chosen at random,
    set to 1 (the authors' feature noise); the graph and labels are shared.

    The Planetoid features are binary bag-of-words that the loaders row-normalise; the noise is
    applied to the binary features (``x != 0``), which are then row-normalised again, as if the
    noise had been in the raw files. (Set to 1 after the normalisation, where a word weighs about
    1/18, half the entries at 1 leave every model predicting the majority class.)
    """
    if not (0.0 <= rate <= 1.0):
        raise ValueError(f"noise must lie in [0, 1], got {rate}")
    if rate == 0.0:
        return ds
    g = torch.Generator().manual_seed(seed)
    hit = (torch.rand(ds.x.shape, generator=g) < rate).to(ds.x.device)
    x = (ds.x != 0).to(ds.x.dtype)
    x[hit] = 1.0
    x = x / x.sum(1, keepdim=True).clamp_min(1.0)
    return dataclasses.replace(ds, x=x)


def planetoid_available(name: str, root: Optional[str | os.PathLike] = None) -> bool:
    """Whether the data root (argument or ``ITERATIVE_GNN_DATA``) holds every raw file of the dataset."""
    base = resolve_root(root)
    return base is not None and planetoid_raw_complete(base / "planetoid" / PLANETOID[name.lower()] / "raw", name)


def to_device(ds: NodeDataset, device: torch.device) -> NodeDataset:
    for k in ("x", "y", "train_mask", "val_mask", "test_mask"):
        setattr(ds, k, getattr(ds, k).to(device))
    ds.graph = ds.graph.to(device)
    ds.extra = {k: v.to(device) for k, v in ds.extra.items()}
    return ds

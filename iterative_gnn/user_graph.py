"""A node-classification graph from the user's files: any graph networkx reads, with node features
and labels from node attributes or from CSV files keyed by node id.

* Formats (from the file's suffix, or given): ``edgelist`` (``.edgelist``, ``.edges``, ``.el``,
  ``.txt``), ``csv`` (``.csv``, ``.tsv``, ``.tab``: an edge table whose first line names the
  columns, the source and the target first, then optionally others; one named ``weight`` is the
  edge's weight; a header naming both ends elsewhere, ``id,source,target`` or, directed,
  ``dst,src``, is refused), ``adjlist`` (``.adjlist``), ``graphml`` (``.graphml``, ``.xml``), ``gml`` (``.gml``), ``gexf``
  (``.gexf``); each may be compressed (``.gz``, ``.bz2``). Node ids are the file's node
  names as text (GML: the ``label`` of each node, or its ``id`` when some node has no label or two
  share one; the ``label`` is then an attribute). A node attribute's ``<default>`` declared in
  GraphML (in a key for nodes or for all elements) or GEXF is the value of every node that lacks the
  attribute.
* Direction (:data:`DIRECTIONS`): ``undirected`` (the default) needs an undirected graph, and edge
  lists, edge tables and adjacency lists, which do not say, are read as one; ``directed`` uses each edge from
  source to target only (an undirected file's edges go both ways); ``both`` uses each edge of any
  file in both directions. Parallel edges count once; self-loops are dropped (the models add their
  own).
* Features: node attributes (each a number, or a list of numbers of one length on every node) or a
  CSV file whose first line names the columns: the node id first, then one column per feature.
* Labels: a node attribute, or a CSV file (header line; the node id first, the label in the column
  named ``column``, else the one named ``label``, else the first column other than the split's).
  Nodes without a label (the attribute absent or empty, no row or an empty cell) are predicted, not
  trained on; a label such as ``NA`` is a class (:func:`missing_looking` finds those). Class names
  are the labels as text, in numeric order when every one is a number, else in alphabetical order;
  at least two are needed.
* Edges: their weights (an edge list's third column, a number or a dictionary of edge data on each
  line, an edge table's ``weight`` column, a ``weight`` attribute) are counted
  (:attr:`GraphData.weighted_edges`) but not used; in an edge list or table, a weight that is not a
  finite number is refused, naming its line.
* Splits: stratified by class and seeded (:func:`stratified_split`), or given per labelled node as
  ``train``, ``val`` or ``test`` (:func:`split_from_values`).

Every problem with the input is a :class:`GraphInputError` that names the file, the line or node,
and what was expected.
"""
from __future__ import annotations

import ast
import bz2
import csv
import gzip
import io
import math
import numbers
import os
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import torch
from torch import Tensor

FORMATS: dict[str, tuple[str, ...]] = {
    "edgelist": (".edgelist", ".edges", ".el", ".txt"),
    "csv": (".csv", ".tsv", ".tab"),
    "adjlist": (".adjlist",),
    "graphml": (".graphml", ".xml"),
    "gml": (".gml",),
    "gexf": (".gexf",),
}
COMPRESSED = (".gz", ".bz2")
DIRECTIONS = ("undirected", "directed", "both")
SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
_SHOWN = 5  # nodes named in a message before "and N more"


class GraphInputError(ValueError):
    """The user's graph, features, labels or split cannot be used; ``option`` is the command-line
    option that gave the file at fault (e.g. ``--labels``)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass
class GraphData:
    """A graph read from a file, with its node features (no labels)."""

    path: Path
    format: str
    ids: list[str]  # node ids as text, in the graph's node order (the rows of x)
    edge_index: Tensor  # [2, E], each undirected edge in both directions
    x: Tensor  # [N, F] float32
    feature_names: list[str]
    directed: bool  # whether the edges are used one way only
    self_loops: int  # self-loops dropped
    weighted_edges: int = 0  # edges that carry a weight in the file (the models do not use it)
    naming: str = ""  # how the nodes are named, when not as the file's names (GML labels that repeat)
    attrs: dict[str, dict[str, Any]] = field(repr=False, default_factory=dict)  # node id -> its attributes

    @property
    def num_nodes(self) -> int:
        return len(self.ids)

    @property
    def name(self) -> str:
        name = self.path.name
        for suffix in COMPRESSED:
            name = name.removesuffix(suffix)
        return Path(name).stem


@dataclass
class Labels:
    """Labels of some nodes: ``y`` holds class indices, -1 where a node has no label."""

    y: Tensor  # [N] long
    class_names: list[str]
    split: Optional[list[Optional[str]]] = None  # per node: "train", "val", "test" or None (given splits only)
    source: str = ""  # where they came from: "attribute 'y'" or "column 'label'"
    name: str = ""  # the attribute's or column's name

    @property
    def labelled(self) -> Tensor:
        return self.y >= 0


# ------------------------------------------------------------------------------------------------ reading
def _suffix(path: Path) -> str:
    """The file's suffix, lower case, after a ``.gz`` / ``.bz2`` ("" when none)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def format_of(path: Path, fmt: Optional[str] = None) -> str:
    """The format given, or the one the file's suffix names (after a ``.gz`` / ``.bz2``)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise GraphInputError("--format", f"invalid value {fmt!r}: expected one of {', '.join(FORMATS)}")
        return fmt
    suffix = _suffix(path)
    for name, known in FORMATS.items():
        if suffix in known:
            return name
    known = "; ".join(f"{name}: {' '.join(s)}" for name, s in FORMATS.items())
    raise GraphInputError("--graph", f"{path}: cannot tell the graph format from the suffix {suffix or '(none)'!r}; "
                                     f"pass --format with one of {', '.join(FORMATS)} (suffixes {known})")


def networkx():
    """The ``networkx`` module, which reads the graph files (an ImportError says what to install)."""
    try:
        import networkx as nx
    except ImportError as exc:
        raise ImportError(f"reading a graph file needs networkx: pip install networkx ({exc})") from exc
    return nx


def _opener(path: Path):
    """What opens ``path``: ``gzip.open`` or ``bz2.open`` by its suffix (graph files may be compressed),
    else ``open``."""
    suffix = path.suffix.lower()
    return gzip.open if suffix == ".gz" else bz2.open if suffix == ".bz2" else open


def _open_text(path: Path):
    """The file as UTF-8 text (a leading byte-order mark dropped, as spreadsheet programs write one)."""
    return _opener(path)(path, "rt", encoding="utf-8-sig")


def _not_utf8(path: Path, exc: UnicodeDecodeError, *, compressed: bool = True) -> str:
    """Where ``path`` first stops being UTF-8, as 'what on line L, byte B': the decoder's own position
    counts from the start of the chunk it was decoding, not of the file. ``compressed``: a ``.gz`` or
    ``.bz2`` file is read decompressed (graph files are; CSV files are read as they are)."""
    opener = _opener(path) if compressed else open
    offset = 0
    with opener(path, "rb") as f:
        start = f.read(4)
        for mark, encoding in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                               (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
            if start.startswith(mark):  # (a spreadsheet's "Unicode text" export)
                return f"it starts with the byte-order mark of {encoding}: save it as UTF-8"
        f.seek(0)
        for number, line in enumerate(f, 1):  # (no byte of a multi-byte character is a newline)
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as bad:
                return f"{bad.reason} on line {number}, byte {offset + bad.start}" + (
                    " of the decompressed text" if opener is not open else "")
            offset += len(line)
    return exc.reason


def _given_path(path: str | os.PathLike, option: str) -> Path:
    """``path`` as a Path; an empty one is refused (``Path("")`` is the current folder, which the messages
    would name as ``.``)."""
    if isinstance(path, str) and not path:
        raise GraphInputError(option, "invalid value '': an empty path; give a file path")
    return Path(path)


def _check_file(path: Path, option: str) -> None:
    if not path.exists():
        raise GraphInputError(option, f"{path}: no such file")
    if not path.is_file():
        raise GraphInputError(option, f"{path}: not a file")


def _read_text(path: Path) -> str:
    with _open_text(path) as f:
        return f.read()


def _hash_in_id(lines: Sequence[str], kind: str, ids: Optional[int] = None) -> Optional[str]:
    """The first line where a node id (the first ``ids`` fields, all when None) holds ``#``, which
    networkx's line formats read as the start of a comment (``a b#1`` is read as ``a b``), and why;
    None when there is none. A ``#`` after the ids (a weight's comment) is networkx's to read."""
    for number, raw in enumerate(lines, 1):
        fields = raw.split()
        for word in fields if ids is None else fields[:ids]:
            if "#" in word[1:]:  # (a field starting with '#' starts a comment)
                kept = raw[:raw.index(word) + word.index("#")].strip()
                return (f"line {number}: the node id {word!r} holds '#', which starts a comment in {kind}: the rest "
                        f"of the line would be dropped (read as {kept!r}); rename the nodes without '#' (or, for a "
                        "comment, put a space before the '#')")
            if word.startswith("#"):
                break
    return None


def _edge_list_line_problem(lines: Sequence[str]) -> Optional[str]:
    """The first line of an edge list that networkx cannot read (or would read otherwise than it
    looks), and why."""
    hashed = _hash_in_id(lines, "an edge list", ids=2)
    if hashed:
        return hashed
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            problem = _edge_list_line_form(number, line) or _edge_list_line_data(number, line)
            if problem:
                return problem
    return None


def _edge_list_line_form(number: int, line: str) -> Optional[str]:
    """Why the edge list's ``line`` (number ``number``, without its comment) does not hold two node ids
    separated by white space, or None; networkx reads such a line without a word (ids separated
    by a comma as one id, a line of one id as none)."""
    tokens = line.split()
    if "," in line.split("{", 1)[0] and (len(tokens) < 2 or any(t.endswith(",") for t in tokens[:2])):
        return (f"line {number}: node ids separated by a comma ({line!r}), which an edge list reads as part "
                f"of the id; for a comma-separated edge table, whose first line names the columns (e.g. "
                f"source,target), name the file .csv or pass --format csv")
    if len(tokens) < 2:
        return (f"line {number}: expected two node ids separated by white space (then optionally the "
                f"edge's data, e.g. a weight or {{'weight': 1.0}}), found {line!r}")
    return None


def _edge_list_line_data(number: int, line: str) -> Optional[str]:
    """Why networkx cannot read the edge data after the two ids of ``line``, or None."""
    nx = networkx()

    for data in (True, (("weight", float),)):
        try:
            nx.parse_edgelist([line], data=data)
            return None
        except (TypeError, ValueError, IndexError, SyntaxError):
            pass
    return (f"line {number}: expected two node ids, then nothing, a number (the weight) or a "
            f"dictionary of edge data such as {{'weight': 1.0}}; found {line!r}")


def _parse_edge_list(lines: Sequence[str], create):
    """The graph of an edge list's ``lines`` (each edge's data a dictionary, or a number: the weight)."""
    nx = networkx()

    try:
        return nx.parse_edgelist(lines, create_using=create, data=True)
    except TypeError:  # a plain number after the two ids: the weight
        return nx.parse_edgelist(lines, create_using=create, data=(("weight", float),))


def _edge_list_well_formed(lines: Sequence[str]) -> bool:
    """Whether every line passes the checks of :func:`_edge_list_line_problem` that networkx's parse
    would not make (no node id holds '#'; two ids separated by white space)."""
    if _hash_in_id(lines, "an edge list", ids=2):
        return False
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if line and _edge_list_line_form(number, line):
            return False
    return True


def _read_edge_list(lines: Sequence[str], create):
    """The graph of an edge list's ``lines``; a line that networkx cannot read, or would read otherwise
    than it looks, is a ValueError naming it (:func:`_edge_list_line_problem`), as is a weight that is
    not a finite number. The lines are parsed one by one only when the cheap checks or the whole file's
    parse fail (a file whose lines give a weight as a number and others as a dictionary is read so)."""
    nx = networkx()

    g = None
    if _edge_list_well_formed(lines):
        try:
            g = _parse_edge_list(lines, create)
        except (nx.NetworkXError, TypeError, ValueError, IndexError, SyntaxError):
            pass  # (the line at fault is named below)
    if g is None:
        problem = _edge_list_line_problem(lines)
        if problem:
            raise ValueError(problem)
        g = create()
        for line in lines:  # each line is readable alone: numbers and dictionaries mixed
            part = _parse_edge_list([line], create)
            g.add_nodes_from(part.nodes(data=True))
            g.add_edges_from(part.edges(data=True))
    edge_lines = sum(1 for raw in lines if raw.split("#", 1)[0].strip())
    if g.number_of_edges() != edge_lines or not all(_finite_or_absent(w) for *_, w in g.edges(data="weight")):
        # (an edge given twice keeps its last line's weight: the lines are read for their own)
        for number, raw in enumerate(lines, 1):
            weight = _edge_list_line_weight(raw)
            if not _finite_or_absent(weight):
                raise ValueError(f"line {number}: the weight {weight!r} is not a finite number")
    return g


def _edge_list_line_weight(raw: str) -> Any:
    """The weight an edge list's line gives (networkx's reading of a well-formed line: a number after
    the two ids, or the ``weight`` of its edge data), or None."""
    tokens = raw.split("#", 1)[0].split(None, 2)
    if len(tokens) < 3:
        return None
    rest = tokens[2].strip()
    try:
        return float(rest)  # (a number after the ids: the weight)
    except ValueError:
        pass
    try:  # (as networkx reads edge data: dict(literal_eval(...)), a dictionary or a sequence of pairs)
        data = dict(ast.literal_eval(rest))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):  # (networkx read no weight there)
        return None
    return data.get("weight")


def _finite_or_absent(weight: Any) -> bool:
    """Whether an edge's weight is absent or a finite number (an edge table's check, line by line)."""
    return weight is None or (_number(weight) is not None)


def _delimiter(path: Path) -> str:
    """A table's column separator: a tab for ``.tsv`` / ``.tab`` (before a ``.gz`` / ``.bz2``), else a comma."""
    return "\t" if _suffix(path) in (".tsv", ".tab") else ","


#: column names that say which end of an edge a column holds (an edge table's source is its first column,
#: its target the second)
_SOURCE_NAMES = ("source", "src", "from", "u", "origin", "sender")
_TARGET_NAMES = ("target", "dst", "to", "v", "destination", "dest", "tgt", "receiver")


def _check_edge_columns(header: list[str], line: int, directed: bool) -> None:
    """Refuse a header that names both ends, a source and a target column, elsewhere than first and
    second (``dst,src``, ``target,source``, ``id,source,target``): read by position, its directed edges
    were reversed, or edge ids taken for nodes, without a word. Undirected, the two may come in either
    order. One end named alone says nothing (``i,j,v``: a value; ``protein1,protein2,source``: a
    database)."""
    names = [name.lower() for name in header]
    source = next((k for k, name in enumerate(names) if name in _SOURCE_NAMES), None)
    target = next((k for k, name in enumerate(names) if name in _TARGET_NAMES), None)
    if source is None or target is None or (source, target) == (0, 1) or (not directed and (target, source) == (0, 1)):
        return
    order = [header[source], header[target]] + [name for k, name in enumerate(header) if k not in (source, target)]
    raise ValueError(f"line {line}: the first two columns are read as the source and the target, but the header "
                     f"names the source {header[source]!r} in column {source + 1} and the target {header[target]!r} "
                     f"in column {target + 1}: write them first, {','.join(order)}")


def _read_edge_table(path: Path, directed: bool):
    """An edge table (see the module's docstring) as a networkx graph; a problem is a ValueError that
    names the line."""
    nx = networkx()

    delimiter = _delimiter(path)
    shown = "a tab" if delimiter == "\t" else "a comma"
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), delimiter=delimiter, skipinitialspace=True)
    header = next((row for row in reader if any(c.strip() for c in row)), None)
    if header is None:
        raise ValueError("empty; expected a first line naming the columns (the source, the target, then "
                         "optionally others such as weight)")
    header = [c.strip() for c in header]
    first = reader.line_num
    if len(header) < 2:
        raise ValueError(f"line {first}: expected at least two columns separated by {shown} (the source and the "
                         f"target), found {header!r}")
    if not header[0] or not header[1]:
        raise ValueError(f"line {first}: column {1 if not header[0] else 2} has no name: a dataframe's index, which "
                         "to_csv() writes first without one? The first two columns are read as the source and the "
                         "target: write the table with df.to_csv(path, index=False)")
    if "weight" in (header[0].lower(), header[1].lower()):
        raise ValueError(f"line {first}: the first two columns are read as the source and the target, but they are "
                         f"{header[0]!r} and {header[1]!r}; put the weight column after them")
    _check_edge_columns(header, first, directed)
    weight = next((k for k, name in enumerate(header) if k >= 2 and name.lower() == "weight"), None)
    g = (nx.DiGraph if directed else nx.Graph)()
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise ValueError(f"line {line}: expected {len(header)} values separated by {shown} (as line {first} "
                             f"names), found {len(row)}")
        u, v = row[0].strip(), row[1].strip()
        if not u or not v:
            raise ValueError(f"line {line}: expected a source and a target, found {row[:2]!r}")
        data = {}
        if weight is not None and row[weight].strip():
            w = _number(row[weight].strip())
            if w is None:
                raise ValueError(f"line {line}: the weight {row[weight].strip()!r} is not a finite number")
            data["weight"] = w
        g.add_edge(u, v, **data)
    named = [name for name in header[:2] if name in g]
    if named:  # an edge read as the column names, or column names that are also nodes: the file cannot tell
        free = next(pair for pair in (("source", "target"), ("from", "to"), ("src", "dst"), ("u", "v"))
                    if not any(name in g for name in pair) or pair == ("u", "v"))
        raise ValueError(f"line {first} is read as the column names, but {named[0]!r} is a node of the graph: if "
                         f"the line is an edge, add a first line naming the columns (e.g. {','.join(free)}); if it "
                         f"names them, name them other than the nodes (e.g. {','.join(free)})")
    return g


def _read_networkx(path: Path, fmt: str, directed: bool):
    """The graph of ``path`` as networkx reads it (edge and adjacency lists as ``directed`` says)."""
    nx = networkx()

    create = nx.DiGraph if directed else nx.Graph
    if fmt == "edgelist":
        lines = _read_text(path).splitlines()  # (a byte-order mark dropped, which networkx's reader keeps)
        return _read_edge_list(lines, create)
    if fmt == "csv":
        return _read_edge_table(path, directed)
    if fmt == "adjlist":
        lines = _read_text(path).splitlines()
        problem = _hash_in_id(lines, "an adjacency list")
        if problem:
            raise ValueError(problem)
        return nx.parse_adjlist(lines, create_using=create)
    if fmt == "graphml":
        g = nx.read_graphml(path)
        every = _graphml_defaults_for_all(path)
        if every:  # (a key for nodes only wins over one for every element of that name)
            g.graph["node_default"] = {**every, **(g.graph.get("node_default") or {})}
        return g
    if fmt == "gexf":
        return nx.read_gexf(path)
    try:
        text = _read_text(path)  # (networkx's own reader refuses a byte-order mark)
        try:
            return nx.parse_gml(text, label="label")
        except nx.NetworkXError as exc:
            if "has no 'label' attribute" not in str(exc) and "is duplicated" not in str(exc):
                raise
            g = nx.parse_gml(text, label="id")  # labels absent or repeated: the ids name the nodes
            if "is duplicated" in str(exc) or any("label" in a for _, a in g.nodes(data=True)):
                # some nodes are labelled: a labels or features file keyed by the labels would meet ids (said)
                g.graph[_NAMING_KEY] = f"named by their GML id, as {exc}"
            return g
    except nx.NetworkXError as exc:
        if str(exc).startswith("edge #") and "is duplicated" in str(exc):  # parallel edges in a simple graph
            raise nx.NetworkXError(f"{exc}; a GML graph with parallel edges says 'multigraph 1' in its header "
                                   "(they then count once)") from None
        raise


def _declared_direction(fmt: str) -> str:
    return {"graphml": "edgedefault=\"directed\"", "gml": "directed 1",
            "gexf": "defaultedgetype=\"directed\""}.get(fmt, "directed")


#: the graph attribute in which the reader notes how the nodes came to be named, when not as expected
_NAMING_KEY = "_iterative_gnn_node_naming"


def read_graph(path: str | Path, fmt: Optional[str] = None, direction: str = "undirected",
               direction_origin: str = "which is the default"):
    """Read ``path`` with networkx; returns ``(graph, format)`` where the graph is a simple
    ``nx.Graph`` or ``nx.DiGraph`` as ``direction`` asks (see the module's docstring).
    ``direction_origin``: where ``direction`` came from, as the messages say it."""
    nx = networkx()
    from xml.etree.ElementTree import ParseError

    path = _given_path(path, "--graph")
    if direction not in DIRECTIONS:
        raise GraphInputError("--direction", f"invalid value {direction!r}: expected one of {', '.join(DIRECTIONS)}")
    fmt = format_of(path, fmt)
    _check_file(path, "--graph")
    try:
        g = _read_networkx(path, fmt, directed=direction == "directed")
    except UnicodeDecodeError as exc:
        raise GraphInputError("--graph", f"{path}: not a readable {fmt} file: it is not UTF-8 text "
                                         f"({_not_utf8(path, exc)})") from None
    except (nx.NetworkXError, ParseError, ValueError, TypeError, KeyError, IndexError, SyntaxError,
            EOFError, OSError) as exc:
        raise GraphInputError("--graph", f"{path}: not a readable {fmt} file: {exc}") from None
    if g.is_directed() and direction == "undirected":
        raise GraphInputError("--direction", (
            f"{path}: the file declares a directed graph ({_declared_direction(fmt)}) and --direction undirected "
            f"({direction_origin}) takes only undirected graphs; pass --direction directed to use each edge from "
            f"source to target only, or --direction both to use each edge in both directions"))
    if g.number_of_nodes() == 0:
        raise GraphInputError("--graph", f"{path}: the {fmt} file holds no node")
    if fmt in ("graphml", "gexf"):
        _apply_node_defaults(g)
    simple = nx.DiGraph if g.is_directed() and direction == "directed" else nx.Graph
    return (g if type(g) is simple else simple(g)), fmt


def _graphml_defaults_for_all(path: Path) -> dict[str, Any]:
    """The declared defaults of a GraphML file's keys for every kind of element (``for="all"``, which a
    key without ``for`` means too), by attribute name; networkx keeps only those of keys ``for="node"``
    (and ``"edge"``), so that the nodes without such an attribute would lack it."""
    from xml.etree.ElementTree import fromstring

    from networkx.readwrite.graphml import GraphMLReader

    with _opener(path)(path, "rb") as f:
        content = f.read()
    root = fromstring(content)
    if root.tag == "graphml":  # (no namespace: networkx reads it with its namespace added)
        root = fromstring(content.replace(b"<graphml>", b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'))
    with warnings.catch_warnings():  # (what networkx says of the keys, it said when it read the file)
        warnings.simplefilter("ignore")
        keys, defaults = GraphMLReader().find_graphml_keys(root)
    return {keys[k]["name"]: value for k, value in defaults.items() if keys[k]["for"] in (None, "all")}


def _apply_node_defaults(g) -> None:
    """Give each node the declared default of every attribute it lacks (GraphML's and GEXF's
    ``<default>``, which networkx keeps in ``g.graph['node_default']`` without applying it)."""
    defaults = g.graph.get("node_default")
    if not isinstance(defaults, dict) or not defaults:
        return
    for _, a in g.nodes(data=True):
        for name, value in defaults.items():
            a.setdefault(name, value)


def _node_ids(g, path: Path) -> list[str]:
    ids, seen = [], {}
    for node in g.nodes:
        text = str(node)
        if text in seen:
            raise GraphInputError("--graph", f"{path}: two nodes, {seen[text]!r} and {node!r}, have the same id "
                                             f"{text!r} as text")
        seen[text] = node
        ids.append(text)
    return ids


def _edge_index(g, index: dict) -> tuple[Tensor, int]:
    """``[2, E]`` edges (undirected ones both ways) without self-loops, and the self-loops dropped."""
    src, dst, loops = [], [], 0
    for u, v in g.edges():
        a, b = index[u], index[v]
        if a == b:
            loops += 1
            continue
        src.append(a)
        dst.append(b)
        if not g.is_directed():
            src.append(b)
            dst.append(a)
    return torch.tensor([src, dst], dtype=torch.long).view(2, -1), loops


# ------------------------------------------------------------------------------------------------ values
def _shown(value: Any, limit: int = 60) -> str:
    """``value``'s repr as a message shows it: cut to ``limit`` characters (10**400 has 401 digits)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 3]}... ({len(text)} characters)"


def _unicode_twin(node: str, known) -> Optional[str]:
    """The node of ``known`` that is ``node`` in another Unicode normal form (``café`` composed or
    decomposed), or None."""
    if node.isascii():
        return None
    form = unicodedata.normalize("NFC", node)
    return next((k for k in known if not k.isascii() and unicodedata.normalize("NFC", k) == form), None)


def _not_plain_number(text: str) -> bool:
    """Whether ``text`` (a number, or numbers run together) holds what Python's ``float()`` reads but a CSV
    reader keeps as text: ``_`` (``1_000``), or digits of other scripts."""
    return not text.isascii() or "_" in text


def _number(value: Any) -> Optional[float]:
    """``value`` as a finite float, or None when it is not a number (an integer beyond float's range, 10**400
    in a GML file, is none; so is text that Python's float() reads but a CSV reader would not: ``1_000``,
    digits of other scripts)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real):
        try:
            v = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        text = value.strip()
        if _not_plain_number(text):
            return None
        try:
            v = float(text)
        except ValueError:
            return None
    else:
        return None
    return v if math.isfinite(v) else None


#: the largest feature value the models take (they compute in float32)
_FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def _feature(value: Any) -> Optional[float]:
    """``value`` as a finite float that float32 holds, or None."""
    v = _number(value)
    return v if v is not None and abs(v) <= _FLOAT32_MAX else None


def _named_twice(names: Sequence[str]) -> Optional[str]:
    """The first (alphabetically) of the names that occur more than once, or None."""
    seen, twice = set(), set()
    for n in names:
        (twice if n in seen else seen).add(n)
    return min(twice) if twice else None


def _some(items: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _known_attributes(attrs: dict[str, dict], path: Path, asked: str) -> str:
    names = sorted({k for a in attrs.values() for k in a})
    known = f"the nodes' attributes are: {', '.join(names)}" if names else "the nodes have no attributes"
    if asked == "label" and _format_or_none(path) == "gml":
        known += " (in GML, a node's 'label' names the node when every node has a distinct one)"
    return known


def features_from_attrs(ids: list[str], attrs: dict[str, dict], names: Sequence[str],
                        path: Path) -> tuple[Tensor, list[str]]:
    """Node features from the node attributes ``names``: each a number, or a list of numbers of
    one length on every node. Returns ``(x, column names)``."""
    columns: list[Tensor] = []
    out_names: list[str] = []
    twice = _named_twice(names)
    if twice is not None:
        raise GraphInputError("--feature-attrs", f"the attribute {twice!r} is named twice")
    for name in names:
        missing = [i for i in ids if name not in attrs[i]]
        if len(missing) == len(ids):
            raise GraphInputError("--feature-attrs", f"{path}: no node has the attribute {name!r}; "
                                                     f"{_known_attributes(attrs, path, name)}")
        if missing:
            raise GraphInputError("--feature-attrs", f"{path}: {len(missing)} of {len(ids)} nodes have no attribute "
                                                     f"{name!r}: {_some(missing)}; every node needs each feature")
        rows, width, first = [], None, None
        for i in ids:
            value = attrs[i][name]
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            numbers_ = [_feature(v) for v in values]
            bad = next((v for v, n in zip(values, numbers_) if n is None), None)
            if bad is not None or not values:
                raise GraphInputError("--feature-attrs", f"{path}: node {i!r}, attribute {name!r}: expected a finite "
                                                         f"number (within float32's range, |x| <= 3.4e38) or a list "
                                                         f"of them, found {_shown(value)}")
            if width is None:
                width, first = len(values), i
            elif len(values) != width:
                raise GraphInputError("--feature-attrs", f"{path}: node {i!r}, attribute {name!r}: {len(values)} "
                                                         f"values where node {first!r} has {width}; the attribute "
                                                         f"needs one length on every node")
            rows.append(numbers_)
        columns.append(torch.tensor(rows, dtype=torch.float32))
        out_names += [name] if width == 1 else [f"{name}[{k}]" for k in range(width)]
    return torch.cat(columns, dim=1), out_names


def _format_or_none(path: Path) -> Optional[str]:
    try:
        return format_of(path)
    except GraphInputError:
        return None


#: what a table whose first column has no name may be, and the two ways to say
_UNNAMED_INDEX = ("column 1, read as the node ids, has no name: a dataframe's index, which df.to_csv() writes first? "
                  "If the node ids are in another column, leave the index out (df.to_csv(path, index=False)); if the "
                  "index holds them, name it (df.to_csv(path, index_label='node'))")


def _ids_again(rows: dict[str, tuple[int, list[str]]], known: set) -> Optional[int]:
    """The first column after the ids (its index in the header) that holds a distinct node of the graph
    on every row, or None: another column of ids, so that the first, unnamed, may count rows, as a
    dataframe's default index does."""
    cells = [c for _, c in rows.values()]
    for k in range(len(cells[0]) if cells else 0):
        column = [row[k] for row in cells]
        if len(set(column)) == len(column) and all(v in known for v in column):
            return k + 1
    return None


@dataclass
class _Table:
    path: Path
    option: str
    header: list[str]
    rows: dict[str, tuple[int, list[str]]]  # node id -> (line, cells after the id)


def _read_table(path: str | Path, option: str, ids: list[str], graph: Path) -> _Table:
    """A CSV file keyed by node id (first column; the first line names the columns). Rows of nodes
    not in the graph, repeated ids and rows of the wrong length are errors."""
    path = _given_path(path, option)
    _check_file(path, option)
    delimiter = _delimiter(path)
    known = set(ids)
    rows: dict[str, tuple[int, list[str]]] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            header = next(reader, None)
            if header is None or not any(c.strip() for c in header):
                raise GraphInputError(option, f"{path}: empty; expected a first line naming the columns "
                                              f"(the node id, then the others)")
            header = [c.strip() for c in header]
            if len(header) < 2:
                raise GraphInputError(option, f"{path}: line 1: expected at least two columns separated by "
                                              f"{delimiter!r} (the node id, then the others), found {header!r}")
            for row in reader:
                line = reader.line_num
                if not row or not any(c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    raise GraphInputError(option, f"{path}: line {line}: expected {len(header)} values (as the "
                                                  f"first line names), found {len(row)}")
                # (spaces around the id are the table's layout, unless the graph names a node with them: a GML
                # or GraphML id "a ")
                node = row[0] if row[0] in known else row[0].strip()
                if node not in known:
                    if not header[0]:  # an unnamed index of row numbers, the ids in a column after it?
                        raise GraphInputError(option, f"{path}: line {line}: node {node!r} is not in the graph "
                                                      f"{graph}; {_UNNAMED_INDEX}")
                    fmt = _format_or_none(graph)
                    lists = (" (an edge list names only the nodes that have an edge: list a node without edges "
                             "on a line of its own in an adjacency list, .adjlist, or use GraphML)")
                    table = lists[:-1] + ("; or the edge table has no header line, and its first edge was read as "
                                          "the column names)")
                    hint = {"edgelist": lists, "csv": table,
                            "gml": " (GML nodes are named by their label, or by their id when some node has no "
                                   "label or two share one)",
                            "gexf": " (GEXF nodes are named by their id; a node's label is one of its attributes)"
                            }.get(fmt, "")
                    twin = _unicode_twin(node, known)
                    if twin is not None:  # the same text to the eye: the cause, not the hints above
                        hint = (f": the graph has {twin!r}, the same text written with other Unicode code points "
                                f"({ascii(node)} here, {ascii(twin)} there); write both files in one normal form, "
                                "e.g. unicodedata.normalize('NFC', id)")
                    raise GraphInputError(option, f"{path}: line {line}: node {node!r} is not in the graph "
                                                  f"{graph}{hint}")
                if node in rows:
                    raise GraphInputError(option, f"{path}: line {line}: node {node!r} again (first on line "
                                                  f"{rows[node][0]}); expected one row per node")
                rows[node] = (line, [c.strip() for c in row[1:]])
        again = _ids_again(rows, known) if not header[0] and len(header) > 2 else None
        if again is not None:
            raise GraphInputError(option, f"{path}: line 1: column {again + 1} ({header[again]!r}) holds a node of the "
                                          f"graph on every row, each once; {_UNNAMED_INDEX}")
        if header[0] in known and header[0] not in rows:  # a node without a row of its own: line 1 is its row
            name = next(n for n in ("node", "id", "node_id", "name") if n not in known or n == "name")
            example = f"{name},label" if option == "--labels" else f"{name},f0,f1"
            raise GraphInputError(option, f"{path}: line 1 starts with {header[0]!r}, a node of the graph {graph} "
                                          f"that has no other row, so line 1 reads as its row, not as the column "
                                          f"names: if it is that node's row, add a first line naming the columns (e.g. "
                                          f"{example}); if it names them, name the first other than the nodes (e.g. "
                                          f"{name})")
    except UnicodeDecodeError as exc:
        packed = Path(path).suffix.lower() in (".gz", ".bz2", ".zip", ".xz")
        where = _not_utf8(Path(path), exc, compressed=False)
        raise GraphInputError(option, f"{path}: not a CSV file: it is not UTF-8 text ({where})"
                                      + ("; CSV files are read uncompressed (graph files may be "
                                         "compressed): decompress it" if packed else "")) from None
    except csv.Error as exc:
        raise GraphInputError(option, f"{path}: not a readable CSV file: {exc}") from None
    return _Table(path, option, header, rows)


def _edge_list_header(path: Path, g) -> Optional[tuple[int, str, str, str]]:
    """``(line number, line, u, v)`` of an edge list's first line when its two ids ``u`` and ``v`` make
    an edge of their own (neither has another neighbour), as a line naming the columns is read; else None."""
    with _open_text(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            tokens = line.split()
            if len(tokens) < 2:
                return None
            u, v = tokens[:2]
            nx = networkx()
            alone = u != v and u in g and v in g and set(nx.all_neighbors(g, u)) == {v} and set(
                nx.all_neighbors(g, v)) == {u}
            return (number, line, u, v) if alone else None
    return None


def features_from_csv(path: str | Path, ids: list[str], graph: Path, columns: Optional[Sequence[str]] = None,
                      header: Optional[tuple[int, str, str, str]] = None) -> tuple[Tensor, list[str]]:
    """Node features from a CSV file: one row per node, every column after the id a number.
    ``columns`` (the feature names a trained model expects): those columns, in that order, and
    exactly those. ``header``: the graph's first line when it may be a line naming the columns
    (:func:`_edge_list_header`), named when its two nodes have no row. Returns ``(x, column names)``."""
    table = _read_table(path, "--features", ids, graph)
    names = table.header[1:]
    unnamed = next((k for k, name in enumerate(names) if not name), None)
    if unnamed is not None:  # (a labels table's other columns need none: its label column is chosen by name)
        raise GraphInputError("--features", f"{table.path}: line 1: column {unnamed + 2} has no name; every feature "
                                            f"column needs one (found {table.header!r})")
    twice = _named_twice(names)
    if twice is not None:
        raise GraphInputError("--features", f"{table.path}: line 1: the column {twice!r} is named twice")
    order = list(range(len(names)))
    if columns is not None:
        given, expected = set(names), set(columns)
        missing = [c for c in columns if c not in given]
        extra = [c for c in names if c not in expected]
        if missing or extra:
            raise GraphInputError("--features", f"{table.path}: the model was trained on the features "
                                                f"{', '.join(columns)}; " + "; ".join(
                                                    p for p in (f"missing: {', '.join(missing)}" if missing else "",
                                                                f"not expected: {', '.join(extra)}" if extra else "")
                                                    if p))
        position = {name: k for k, name in enumerate(names)}
        order = [position[c] for c in columns]
        names = list(columns)
    missing = [i for i in ids if i not in table.rows]
    if header is not None and {header[2], header[3]} == set(missing):  # (others missing too: the table's problem)
        number, line, u, v = header
        raise GraphInputError("--graph", f"{graph}: line {number}, {line!r}, is read as an edge between the nodes "
                                         f"{u!r} and {v!r}, which no other line names and {table.path} has no row "
                                         "for: a line naming the columns? An edge list has none: remove that line, "
                                         "or write the edges as a comma-separated edge table whose first line names "
                                         "the columns (e.g. source,target), named .csv or read with --format csv")
    if missing:
        raise GraphInputError("--features", f"{table.path}: no row for {len(missing)} of {len(ids)} nodes of "
                                            f"{graph}: {_some(missing)}; every node needs its features")
    # the whole table at once (a cell at a time took 47 s for Cora's 2708 x 1433); a cell it refuses is found
    # and named cell by cell
    rows = [[cells[k] for k in order] for _, cells in (table.rows[i] for i in ids)]
    try:
        x = torch.tensor([[float(c) for c in row] for row in rows], dtype=torch.float64).reshape(len(ids), len(order))
    except ValueError:
        x = None
    if x is not None and any(map(_not_plain_number, map("".join, rows))):
        x = None  # what float() reads but _number does not (1_000, other scripts' digits): named below
    if x is None or not bool((x.abs() <= _FLOAT32_MAX).all()):  # (NaN and inf fail it too)
        for i in ids:
            line, cells = table.rows[i]
            for c, k in enumerate(order):
                if _feature(cells[k]) is None:
                    raise GraphInputError("--features", f"{table.path}: line {line}, column {names[c]!r} (node "
                                                        f"{i!r}): expected a finite number (within float32's range, "
                                                        f"|x| <= 3.4e38), found {_shown(cells[k])}")
    return x.to(torch.float32), names


def _class_names(values: Iterable[str]) -> list[str]:
    distinct = set(values)
    if all(_number(v) is not None for v in distinct):
        return sorted(distinct, key=lambda v: (float(v), v))
    return sorted(distinct)


#: labels that common tools write for "no value" (R, pandas, spreadsheets; ``?``, ARFF's and the UCI
#: datasets'; ``-1``, PyG's mark of an unlabelled node); read as classes (``NA`` may be North America,
#: ``None`` a severity, ``-1`` one of two signs), so the command line names them when it meets them
MISSING_MARKS = frozenset({"na", "n/a", "nan", "null", "none", "#n/a", "-1", "?", "-", "unknown", "unlabeled",
                           "unlabelled", "missing"})


def _missing_label(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def missing_looking(class_names: Sequence[str]) -> list[str]:
    """The class names that common tools write for a missing value (:data:`MISSING_MARKS`)."""
    return [c for c in class_names if c.strip().lower() in MISSING_MARKS]


def _split_value(value: Any, where: str, option: str) -> Optional[str]:
    if _missing_label(value):
        return None
    name = SPLIT_NAMES.get(str(value).strip().lower())
    if name is None:
        raise GraphInputError(option, f"{where}: split {value!r}: expected train, val (or valid, validation) or test")
    return name


def labels_from_attr(ids: list[str], attrs: dict[str, dict], name: str, path: Path,
                     split_attr: Optional[str] = None) -> Labels:
    """Labels from the node attribute ``name`` (absent or empty: unlabelled), and the split from
    the node attribute ``split_attr`` when given."""
    raw = [attrs[i].get(name) for i in ids]
    for i, v in zip(ids, raw):  # (a GML key given twice is read as a list: one label each, not its text)
        if isinstance(v, (list, tuple, dict, set)):
            raise GraphInputError("--label-attr", f"{path}: node {i!r}, attribute {name!r}: expected one label, "
                                                  f"found {v!r}")
    if all(_missing_label(v) for v in raw):
        raise GraphInputError("--label-attr", f"{path}: no node has a label in the attribute {name!r}; "
                                              f"{_known_attributes(attrs, path, name)}")
    text = [None if _missing_label(v) else str(v).strip() for v in raw]
    split = None
    if split_attr is not None:
        if not any(split_attr in attrs[i] for i in ids):
            raise GraphInputError("--split-attr", f"{path}: no node has the attribute {split_attr!r}; "
                                                  f"{_known_attributes(attrs, path, split_attr)}")
        split = [_split_value(attrs[i].get(split_attr), f"{path}: node {i!r}", "--split-attr") for i in ids]
        _check_split(ids, text, split, f"{path}: node", "--split-attr", split_attr)
    return _labels(text, split, f"attribute {name!r}", name)


def _is_split_name(value: str) -> bool:
    return str(value).strip().lower() in SPLIT_NAMES


def label_column(table: _Table, split: Optional[int]) -> int:
    """The index (after the node id) of the labels' column when none is named: the one named
    ``label`` (any case), else the first one that is not the split's (``split``)."""
    header = table.header[1:]
    named = [c for c, name in enumerate(header) if name.lower() == "label"]
    if named:
        return named[0]
    others = [c for c in range(len(header)) if c != split]
    if not others:
        raise GraphInputError("--labels", f"{table.path}: line 1: no column for the labels besides the node id and "
                                          f"the split ({', '.join(table.header)})")
    return others[0]


def labels_from_csv(path: str | Path, ids: list[str], graph: Path, column: Optional[str] = None,
                    split_column: Optional[str] = None) -> Labels:
    """Labels from a CSV file (column ``column``, else the one named ``label``, else the first other
    than the split's; no row or an empty cell: unlabelled) and the split from its column
    ``split_column`` when given."""
    table = _read_table(path, "--labels", ids, graph)
    header = table.header

    def position(name: str, option: str) -> int:
        if name not in header[1:]:
            raise GraphInputError(option, f"{table.path}: line 1: no column {name!r}; the columns after the node id "
                                          f"are {', '.join(header[1:])}")
        return header.index(name) - 1

    s = position(split_column, "--split-attr") if split_column is not None else None
    k = position(column, "--label-attr") if column is not None else label_column(table, s)
    text: list[Optional[str]] = [None] * len(ids)
    split: Optional[list[Optional[str]]] = [None] * len(ids) if s is not None else None
    where: dict[str, int] = {}
    for r, i in enumerate(ids):
        if i not in table.rows:
            continue
        line, cells = table.rows[i]
        where[i] = line
        text[r] = cells[k] or None
        if split is not None:
            split[r] = _split_value(cells[s], f"{table.path}: line {line}", "--split-attr")
    if all(t is None for t in text):
        raise GraphInputError("--labels", f"{table.path}: no node of {graph} has a label (column "
                                          f"{header[k + 1]!r}); at least one labelled node is needed to train")
    if s is None:  # a split column left unused would be replaced by a stratified split
        labelled = [table.rows[i][1] for i, t in zip(ids, text) if t is not None]
        for c in range(len(header) - 1):
            cells = [row[c] for row in labelled]
            # a split: train / val / test for every labelled node, at least two of them (val and
            # validation are one)
            if c != k and all(_is_split_name(v) for v in cells) and len(
                    {SPLIT_NAMES[v.strip().lower()] for v in cells}) > 1:
                raise GraphInputError("--split-attr", f"{table.path}: column {header[c + 1]!r} holds train / val / "
                                                      f"test: pass --split-attr {header[c + 1]} to use it as the "
                                                      "split, or leave that column out for a stratified split")
    if split is not None:
        _check_split(ids, text, split, f"{table.path}: node", "--split-attr", header[s + 1], where)
    return _labels(text, split, f"column {header[k + 1]!r}", header[k + 1])


def _check_split(ids: list[str], text: list[Optional[str]], split: list[Optional[str]], prefix: str, option: str,
                 column: str, lines: Optional[dict[str, int]] = None) -> None:
    for i, t, s in zip(ids, text, split):
        at = f"{prefix} {i!r}" + (f" (line {lines[i]})" if lines and i in lines else "")
        if t is not None and s is None:
            raise GraphInputError(option, f"{at}: labelled but its split {column!r} is empty; expected train, val "
                                          f"or test for every labelled node")
        if t is None and s is not None:
            raise GraphInputError(option, f"{at}: in the {s} split but has no label; a node without a label "
                                          f"is predicted and has no split")


def _labels(text: list[Optional[str]], split: Optional[list[Optional[str]]], source: str = "", name: str = "") -> Labels:
    names = _class_names(t for t in text if t is not None)
    index = {n: c for c, n in enumerate(names)}
    y = torch.tensor([-1 if t is None else index[t] for t in text], dtype=torch.long)
    return Labels(y, names, split, source, name)


# ------------------------------------------------------------------------------------------------ splits
def stratified_split(y: Tensor, train_fraction: float, val_fraction: float,
                     seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Train, validation and test masks of the labelled nodes (``y >= 0``), class by class: of a
    class's ``n`` nodes, in an order drawn with ``seed``, the first ``max(1, round(train_fraction * n))``
    train, those up to ``round((train_fraction + val_fraction) * n)`` validate and the others test
    (none when the fractions add up to 1)."""
    if not (0 < train_fraction < 1 and 0 <= val_fraction < 1 and train_fraction + val_fraction <= 1):
        raise ValueError(f"expected 0 < train_fraction < 1, 0 <= val_fraction and a sum <= 1, got "
                         f"{train_fraction} and {val_fraction}")
    g = torch.Generator().manual_seed(seed)
    masks = [torch.zeros(y.numel(), dtype=torch.bool) for _ in range(3)]
    for c in range(int(y.max()) + 1 if y.numel() else 0):
        nodes = (y == c).nonzero().view(-1)
        nodes = nodes[torch.randperm(nodes.numel(), generator=g)]
        n = nodes.numel()
        n_train = max(1, round(train_fraction * n)) if n else 0
        n_seen = max(n_train, round((train_fraction + val_fraction) * n))
        masks[0][nodes[:n_train]] = True
        masks[1][nodes[n_train:n_seen]] = True
        masks[2][nodes[n_seen:]] = True
    return masks[0], masks[1], masks[2]


def split_from_values(split: Sequence[Optional[str]]) -> tuple[Tensor, Tensor, Tensor]:
    """Masks from per-node ``"train"`` / ``"val"`` / ``"test"`` (None: in none)."""
    return tuple(torch.tensor([s == part for s in split], dtype=torch.bool)  # type: ignore[return-value]
                 for part in ("train", "val", "test"))


# ------------------------------------------------------------------------------------------------ all together
def load_graph(path: str | Path, *, fmt: Optional[str] = None, direction: str = "undirected",
               feature_attrs: Optional[Sequence[str]] = None, features_csv: Optional[str | Path] = None,
               feature_columns: Optional[Sequence[str]] = None,
               direction_origin: str = "which is the default") -> GraphData:
    """The graph of ``path`` with its node features: from the node attributes ``feature_attrs``, or
    from ``features_csv`` (``feature_columns``: exactly those columns, in that order).
    ``direction_origin``: where ``direction`` came from, as the messages say it."""
    if (feature_attrs is None) == (features_csv is None):
        raise GraphInputError("--feature-attrs", "expected the node features from node attributes "
                                                 "(--feature-attrs a,b,c) or from a CSV file (--features FILE), "
                                                 "one of the two")
    path = _given_path(path, "--graph")
    g, fmt = read_graph(path, fmt, direction, direction_origin)
    ids = _node_ids(g, path)
    attrs = {str(n): dict(a) for n, a in g.nodes(data=True)}
    if feature_attrs is not None:
        x, names = features_from_attrs(ids, attrs, feature_attrs, path)
    else:
        header = _edge_list_header(path, g) if fmt == "edgelist" else None
        x, names = features_from_csv(features_csv, ids, path, feature_columns, header)
    index = {n: k for k, n in enumerate(g.nodes)}
    edge_index, loops = _edge_index(g, index)
    weighted = sum(1 for _, _, w in g.edges(data="weight") if w is not None)
    return GraphData(path, fmt, ids, edge_index, x, names, g.is_directed(), self_loops=loops,
                     weighted_edges=weighted, attrs=attrs, naming=g.graph.get(_NAMING_KEY, ""))


def load_labels(data: GraphData, *, label_attr: Optional[str] = None, labels_csv: Optional[str | Path] = None,
                split_attr: Optional[str] = None) -> Labels:
    """Labels (and a given split) of ``data``'s nodes: from the node attribute ``label_attr``, or
    from ``labels_csv`` (its column ``label_attr``, else ``label``, else the first other than the
    split's; ``split_attr`` is then a column of that file)."""
    if labels_csv is not None:
        labels, option = labels_from_csv(labels_csv, data.ids, data.path, label_attr, split_attr), "--labels"
    elif label_attr is None:
        raise GraphInputError("--label-attr", "expected the labels from a node attribute (--label-attr NAME) or "
                                              "from a CSV file (--labels FILE)")
    else:
        labels, option = labels_from_attr(data.ids, data.attrs, label_attr, data.path, split_attr), "--label-attr"
    # (labels from a file or from a node attribute, beside features from a CSV or attributes of that name)
    if labels.name in data.feature_names and _encodes_labels(data.x[:, data.feature_names.index(labels.name)],
                                                             labels):
        where = f"column {labels.name!r} of {labels_csv}" if labels_csv is not None else f"attribute {labels.name!r}"
        raise GraphInputError("--features", f"the features' column {labels.name!r} holds the labels ({where}), one "
                                            "value per class: the model would read each node's label among its "
                                            "features; leave that column out of the features")
    if all(_is_split_name(name) for name in labels.class_names):
        raise GraphInputError(option, f"the labels ({labels.source}) are {', '.join(labels.class_names)}: the names "
                                      "of a split, not classes; name the labels' column with --label-attr and the "
                                      "split's with --split-attr")
    if len(labels.class_names) < 2:
        raise GraphInputError(option, f"the labelled nodes all have the label {labels.class_names[0]!r}: a "
                                      f"classifier needs at least two classes")
    same = _one_number_two_ways(labels.class_names)
    if same:
        raise GraphInputError(option, f"the labels {same[0]!r} and {same[1]!r} ({labels.source}) are one number "
                                      "written two ways, which would be two classes; write each class one way")
    forms: dict[str, str] = {}
    for name in labels.class_names:  # (the same text to the eye: two classes shown alike)
        twin = forms.setdefault(unicodedata.normalize("NFC", name), name)
        if twin != name:
            raise GraphInputError(option, f"the labels {twin!r} and {name!r} ({labels.source}) are one text written "
                                          f"with other Unicode code points ({ascii(twin)}, {ascii(name)}), which would "
                                          "be two classes; write each class in one normal form, e.g. "
                                          "unicodedata.normalize('NFC', label)")
    return labels


def _encodes_labels(column: Tensor, labels: Labels) -> bool:
    """Whether a feature ``column`` tells the labelled nodes' classes apart by itself: one value per
    class, a different one for each (the labels, or a code of them)."""
    known = labels.labelled
    values, y = column[known], labels.y[known]
    per_class = [torch.unique(values[y == c]) for c in torch.unique(y)]
    return all(v.numel() == 1 for v in per_class) and len({float(v) for v in per_class}) == len(per_class)


def _one_number_two_ways(names: Sequence[str]) -> Optional[tuple[str, str]]:
    """Two class names that read as the same number (``1`` and ``1.0``), or None."""
    seen: dict[float, str] = {}
    for name in names:
        v = _number(name)
        if v is None:
            continue
        if v in seen:
            return seen[v], name
        seen[v] = name
    return None


def split_masks(labels: Labels, *, train_fraction: float = 0.6, val_fraction: float = 0.2,
                seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """The given split when the labels carry one, else a stratified one; at least one training
    and one validation node are needed."""
    if labels.split is not None:
        masks, how = split_from_values(labels.split), "the given split"
    else:
        masks = stratified_split(labels.y, train_fraction, val_fraction, seed)
        sizes = torch.bincount(labels.y[labels.labelled], minlength=len(labels.class_names))
        how = (f"a split of {int(labels.labelled.sum())} labelled nodes in {len(labels.class_names)} classes "
               f"({int(sizes.min())} to {int(sizes.max())} nodes each) with --train-fraction {train_fraction} and "
               f"--val-fraction {val_fraction}, class by class,")
    for mask, part in zip(masks[:2], ("training", "validation")):
        if not bool(mask.any()):
            raise GraphInputError("--split-attr" if labels.split is not None else "--val-fraction",
                                  f"{how} has no {part} node; the model is trained on the training nodes and "
                                  f"chosen on the validation nodes, which needs at least one of each"
                                  + ("" if labels.split is not None else
                                     " (a class of n nodes validates round((train + val) * n) - round(train * n) "
                                     "of them: give larger fractions, or check that the labels are classes)"))
    return masks


def node_dataset(data: GraphData, backend: str, labels: Optional[Labels] = None,
                 masks: Optional[tuple[Tensor, Tensor, Tensor]] = None):
    """A :class:`~iterative_gnn.data.NodeDataset` in ``backend``'s graph type (unlabelled: ``y`` -1
    and empty masks)."""
    from .data import NodeDataset, _graph_for

    n = data.num_nodes
    y = labels.y if labels is not None else torch.full((n,), -1, dtype=torch.long)
    if masks is None:
        masks = tuple(torch.zeros(n, dtype=torch.bool) for _ in range(3))  # type: ignore[assignment]
    graph = _graph_for(backend, data.edge_index, n)
    return NodeDataset(data.name, data.x, y, *masks, len(labels.class_names) if labels else 0, graph, backend,
                       extra={})

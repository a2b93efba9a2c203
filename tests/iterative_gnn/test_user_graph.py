"""Reading the user's graph: every format networkx writes reads back as the same nodes, edges and
features; direction, self-loops and parallel edges as documented; labels, class names and splits;
each malformed input is refused with the file, the line or node and what was expected."""
import gzip
import importlib.util
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

nx = pytest.importorskip("networkx")

from iterative_gnn.user_graph import (  # noqa: E402
    GraphInputError, load_graph, load_labels, missing_looking, read_graph, split_masks, stratified_split)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def small_graph() -> "nx.Graph":
    """Six nodes with two features each (attribute ``f`` a list, ``g`` a number) and labels on four."""
    g = nx.Graph()
    labels = {"a": "cat", "b": "dog", "c": "cat", "d": "dog"}
    for k, v in enumerate("abcdef"):
        attrs = {"f": [float(k), -float(k)], "g": k * 0.5}
        if v in labels:
            attrs["y"] = labels[v]
        g.add_node(v, **attrs)
    g.add_edges_from([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "f"), ("a", "f")])
    return g


def edges_of(data) -> set:
    return {(data.ids[s], data.ids[t]) for s, t in data.edge_index.t().tolist()}


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def features_csv(tmp_path: Path, ids) -> Path:
    return write_csv(tmp_path / "feats.csv", "node,u,v\n" + "".join(f"{i},{k},{2 * k}\n" for k, i in enumerate(ids)))


@contextmanager
def refused(option: str, *words: str):
    """Expect a GraphInputError for ``option`` whose message holds every one of ``words``."""
    with pytest.raises(GraphInputError) as info:
        yield
    assert info.value.option == option, (info.value.option, str(info.value))
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# ------------------------------------------------------------------------------------------------ formats
@pytest.mark.parametrize("fmt,suffix", [("graphml", ".graphml"), ("gml", ".gml"), ("gexf", ".gexf"),
                                        ("graphml", ".graphml.gz")])
def test_attribute_formats_read_back_the_same_graph(fmt, suffix, tmp_path):
    g = small_graph()
    if fmt in ("graphml", "gexf"):  # GraphML and GEXF hold no lists: one attribute per feature
        for v in g.nodes:
            f = g.nodes[v].pop("f")
            g.nodes[v]["f0"], g.nodes[v]["f1"] = f
    path = tmp_path / f"g{suffix}"
    getattr(nx, f"write_{fmt}")(g, path)
    names = ["f0", "f1", "g"] if fmt in ("graphml", "gexf") else ["f", "g"]
    data = load_graph(path, feature_attrs=names)
    assert data.format == fmt and data.ids == list("abcdef") and not data.directed
    assert edges_of(data) == {e for u, v in g.edges for e in ((u, v), (v, u))}
    expected = torch.tensor([[k, -k, k * 0.5] for k in range(6)], dtype=torch.float32)
    assert torch.equal(data.x, expected)
    assert data.feature_names == (["f0", "f1", "g"] if fmt in ("graphml", "gexf") else ["f[0]", "f[1]", "g"])
    labels = load_labels(data, label_attr="y")
    assert labels.class_names == ["cat", "dog"] and labels.y.tolist() == [0, 1, 0, 1, -1, -1]


@pytest.mark.parametrize("fmt,suffix", [("edgelist", ".edgelist"), ("edgelist", ".txt"), ("adjlist", ".adjlist"),
                                        ("edgelist", ".edges.gz")])
def test_edge_and_adjacency_lists_with_csv_features(fmt, suffix, tmp_path):
    g = small_graph()
    path = tmp_path / f"g{suffix}"
    getattr(nx, f"write_{fmt}")(g, path) if fmt == "adjlist" else nx.write_edgelist(g, path, data=False)
    data = load_graph(path, features_csv=features_csv(tmp_path, reversed(list("abcdef"))))
    assert data.format == fmt and sorted(data.ids) == list("abcdef")
    assert edges_of(data) == {e for u, v in g.edges for e in ((u, v), (v, u))}
    # rows follow the graph's node order, whatever the CSV's order
    assert data.x[:, 0].tolist() == [5 - "abcdef".index(i) for i in data.ids]
    assert data.feature_names == ["u", "v"]


def test_format_option_overrides_the_suffix_and_an_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "g.dat"
    nx.write_gml(small_graph(), path)
    assert load_graph(path, fmt="gml", feature_attrs=["g"]).num_nodes == 6
    with refused("--graph", str(path), "'.dat'", "--format", "edgelist", "gexf"):
        load_graph(path, feature_attrs=["g"])


def test_weighted_edge_lists_and_edge_data_read(tmp_path):
    feats = features_csv(tmp_path, "abc")
    for text in ("# a comment\na b 0.5\nb c 2\n\nc a 1 # weights\n", "a b {'weight': 0.5}\nb c {}\nc a\n"):
        path = write_csv(tmp_path / "w.edgelist", text)
        assert len(edges_of(load_graph(path, features_csv=feats))) == 6
    # lines that give the weight as a number and lines that give a dictionary, in one file: networkx's
    # own error, with no line named, refused a file whose every line is valid
    path = write_csv(tmp_path / "mixed.edgelist", "a b 1.5\nb c\nc a {'weight': 2}\nb d {}\n")
    g, _ = read_graph(path)
    assert dict(((u, v), w) for u, v, w in g.edges(data="weight")) == {("a", "b"): 1.5, ("b", "c"): None,
                                                                       ("a", "c"): 2, ("b", "d"): None}
    assert list(g.nodes) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("text,line,shown", [("a b 1\nb c nan\n", 2, "nan"), ("a b inf\n", 1, "inf"),
                                             ("a b 1\nb c 1\nc a {'weight': 1e999}\n", 3, "inf"),
                                             ("a b 1\nb c {'weight': 'heavy'}\n", 2, "'heavy'"),
                                             # a later line of the same edge replaced the weight that is refused
                                             ("a b 1\nb c nan\nc b 1.0\n", 2, "nan"),
                                             # edge data as networkx reads it: a sequence of pairs too
                                             ("a b 1\nb c [('weight', 1e999)]\n", 2, "inf"),
                                             ("a b 1\nb c (('weight', 1e999),)\n", 2, "inf")])
def test_an_edge_lists_weight_that_is_not_a_finite_number_is_named(text, line, shown, tmp_path):
    """As in an edge table: the edge list took a NaN or infinite weight without a word."""
    path = write_csv(tmp_path / "w.edgelist", text)
    with refused("--graph", f"line {line}: the weight {shown} is not a finite number"):
        read_graph(path)


@pytest.mark.parametrize("read", [lambda: read_graph(""), lambda: load_graph("", feature_attrs=["x"])])
def test_an_empty_path_is_refused_as_given(read):
    """``Path("")`` is the current folder: the messages named it "." (not a file; no format)."""
    with refused("--graph", "invalid value '': an empty path; give a file path"):
        read()


@pytest.mark.parametrize("text,line,words", [
    ("a b\nc\nd e\n", 2, ["expected two node ids", "'c'"]),
    ("a b\nb c\nc d weight=3 x\n", 3, ["expected two node ids, then", "'c d weight=3 x'"]),
    # '#' inside an id: "a b#1" was read as "a b", merging nodes b#1 and b#2 into b
    ("# a comment\na b#1 # and another\na b#2\n", 2, ["the node id 'b#1' holds '#', which starts a comment",
                                                     "(read as 'a b')"]),
    ("a b\nb#1 c\n", 2, ["'b#1' holds '#'", "(read as 'b')"]),
])
def test_a_malformed_edge_list_line_is_named(text, line, words, tmp_path):
    path = write_csv(tmp_path / "bad.edgelist", text)
    with refused("--graph", str(path), f"line {line}:", *words):
        load_graph(path, feature_attrs=["x"])


def test_a_valid_edge_list_is_parsed_whole_not_line_by_line(tmp_path, monkeypatch):
    """Each line was parsed on its own before the whole file, several times the cost of the parse;
    a malformed file still names its first bad line."""
    calls = []
    parse = nx.parse_edgelist

    def counted(lines, *args, **kwargs):
        calls.append(len(lines))
        return parse(lines, *args, **kwargs)

    monkeypatch.setattr(nx, "parse_edgelist", counted)
    ids = [f"n{k}" for k in range(200)]
    for weight in ("", " 0.5"):
        path = write_csv(tmp_path / "g.edgelist", "".join(f"{u} {v}{weight}\n" for u, v in zip(ids, ids[1:])))
        calls.clear()
        data = load_graph(path, features_csv=features_csv(tmp_path, ids))
        assert data.num_nodes == 200 and len(calls) <= 2 and set(calls) == {199}, calls
    path = write_csv(tmp_path / "bad.edgelist", "a b\nc d weight=3 x\ne, f\n")  # the first bad line: 2
    with refused("--graph", "line 2: expected two node ids, then", "'c d weight=3 x'"):
        load_graph(path, features_csv=features_csv(tmp_path, "abcdef"))


@pytest.mark.parametrize("name,text", [
    ("g.csv", "source,target,weight,kind\na,b,0.5,x\nb,c,,y\n\nc,a,2,z\nb,a,1,again\n"),
    ("g.tsv.gz", "src\tdst\na\tb\nb\tc\nc\ta\n"),
    ("g.tab", "src\tdst\na\tb\nb\tc\nc\ta\n"),
    ("g.csv", 'source, target\n"a", "b"\nb, c\nc, a\n'),  # a space after each comma, quoted ids
    # a spreadsheet's file: a byte-order mark, CRLF line ends, quoted ids
    ("g.csv", "\ufeff\"from\",\"to\"\r\n\"a\",\"b\"\r\nb,c\r\nc,a\r\n"),
])
def test_an_edge_table_reads_with_its_weights(name, text, tmp_path):
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    data = load_graph(path, features_csv=features_csv(tmp_path, "abc"))
    assert data.format == "csv" and sorted(data.ids) == ["a", "b", "c"]
    assert edges_of(data) == {(u, v) for u in "abc" for v in "abc" if u != v}
    assert data.weighted_edges == (2 if "weight" in text else 0)  # b,a repeats a,b: parallel edges count once


def test_an_edge_table_is_read_in_its_direction(tmp_path):
    path = write_csv(tmp_path / "g.csv", "source,target\na,b\nb,c\n")
    data = load_graph(path, direction="directed", features_csv=features_csv(tmp_path, "abc"))
    assert data.directed and edges_of(data) == {("a", "b"), ("b", "c")}


@pytest.mark.parametrize("text,words", [
    # no header: line 1 would be dropped as column names, and its edge with it
    ("a,b\nb,c\n", ["line 1 is read as the column names", "'b' is a node", "if the line is an edge, add a first line "
                    "naming the columns (e.g. source,target)"]),
    # nodes named like the columns: the line may name them, and the message says how to tell (it advised adding
    # the header the file had)
    ("source,target\nsource,pump\npump,target\n", ["'source' is a node", "if it names them, name them other "
                                                   "than the nodes (e.g. from,to)"]),
    ("source,target\na,b\nb,c,3\n", ["line 3:", "expected 2 values separated by a comma", "found 3"]),
    ("source,target,weight\na,b,heavy\n", ["line 2:", "the weight 'heavy' is not a finite number"]),
    ("source,target\na,\n", ["line 2:", "expected a source and a target"]),
    ("source\na\n", ["line 1:", "at least two columns"]),
    ("\n\n", ["empty", "naming the columns"]),
    # pandas' df.to_csv() writes its index first, without a name: the index was read as the source
    (",child,parent\n0,b,a\n1,c,a\n", ["line 1: column 1 has no name", "df.to_csv(path, index=False)"]),
    ("weight,source,target\n1,a,b\n", ["read as the source and the target, but they are 'weight' and 'source'"]),
    # a header naming both ends elsewhere: read by position, edge ids were taken for nodes
    ("id,source,target\ne1,a,b\ne2,b,c\n", ["line 1:", "names the source 'source' in column 2 and the target "
                                           "'target' in column 3: write them first, source,target,id"]),
])
def test_a_malformed_edge_table_is_named(text, words, tmp_path):
    path = write_csv(tmp_path / "bad.csv", text)
    with refused("--graph", str(path), "not a readable csv file", *words):
        load_graph(path, features_csv=features_csv(tmp_path, "abc"))


def test_a_node_missing_from_an_edge_table_names_a_missing_header_line(tmp_path):
    """Its first edge's nodes occur nowhere else: line 1 was read as the column names, and the
    features file then named a node the graph lacked."""
    path = write_csv(tmp_path / "g.csv", "x1,x2\nb,c\nc,d\nd,b\n")
    with refused("--features", "node 'x1' is not in the graph", "the edge table has no header line"):
        load_graph(path, features_csv=features_csv(tmp_path, ["x1", "x2", "b", "c", "d"]))


def test_an_edge_list_with_a_header_line_names_that_line(tmp_path):
    """``source target`` on line 1 was read as an edge between two nodes of their own, and the
    features file was blamed for having no row for them; node names that are words still read."""
    path = write_csv(tmp_path / "g.txt", "# exported\nsource target\na b\nb c\n")
    with refused("--graph", str(path), "line 2, 'source target', is read as an edge between the nodes 'source' and "
                                       "'target'", "remove that line", "--format csv"):
        load_graph(path, features_csv=features_csv(tmp_path, "abc"))
    with refused("--graph", "line 2, 'source target'"):
        load_graph(path, direction="directed", features_csv=features_csv(tmp_path, "abc"))
    words = write_csv(tmp_path / "words.txt", "source target\ntarget pump\n")  # nodes named like columns
    assert load_graph(words, features_csv=features_csv(tmp_path, ["source", "target", "pump"])).num_nodes == 3
    pair = write_csv(tmp_path / "pair.txt", "x y\na b\nb c\n")  # an edge of its own, not in the features
    with refused("--features", "no row for 1 of 5 nodes", "'y'"):
        load_graph(pair, features_csv=features_csv(tmp_path, "abcx"))
    # other rows missing too: the features file's problem, not a header (removing the line lost an edge)
    with refused("--features", "no row for 3 of 5 nodes"):
        load_graph(pair, features_csv=features_csv(tmp_path, "ab"))


@pytest.mark.parametrize("text", ["a,b\nb,c\n", "a, b\n"])
def test_a_comma_separated_edge_list_points_to_the_edge_table(text, tmp_path):
    """``a, b`` was read as the nodes ``a,`` and ``b``; ``a,b`` as a line of one id."""
    path = write_csv(tmp_path / "g.txt", text)
    with refused("--graph", "line 1:", "separated by a comma", "--format csv"):
        load_graph(path, features_csv=features_csv(tmp_path, "abc"))


def test_a_hash_after_the_ids_is_a_comment_as_networkx_reads_it(tmp_path):
    """The '#' check looks at the node ids only: a weight or edge data with a comment glued on reads
    as networkx reads it."""
    path = write_csv(tmp_path / "w.edgelist", "0 1 0.5#strong\n1 2 1.5#c\n  # indented comment\n")
    data = load_graph(path, features_csv=features_csv(tmp_path, "012"))
    assert data.num_nodes == 3 and data.weighted_edges == 2


def test_a_hash_in_an_adjacency_list_id_is_named(tmp_path):
    path = write_csv(tmp_path / "bad.adjlist", "a b c\nb c#1\n")
    with refused("--graph", str(path), "line 2:", "'c#1' holds '#'", "an adjacency list"):
        load_graph(path, feature_attrs=["x"])


def test_a_file_that_is_not_text_or_not_the_format_is_refused(tmp_path):
    binary = tmp_path / "g.edgelist"
    binary.write_bytes(b"\xff\xfe\x00a b\n")
    with refused("--graph", str(binary), "not UTF-8"):
        load_graph(binary, feature_attrs=["x"])
    import gzip

    graph = write_csv(tmp_path / "g2.edgelist", "a b\nb c\n")
    packed = tmp_path / "f.csv.gz"
    packed.write_bytes(gzip.compress(b"node,f0\na,1\nb,2\nc,3\n"))
    with refused("--features", str(packed), "not UTF-8", "CSV files are read uncompressed", "decompress it"):
        load_graph(graph, features_csv=packed)
    xml = write_csv(tmp_path / "g.graphml", "<graphml><graph><node id='a'></graph>")
    with refused("--graph", str(xml), "graphml", "line 1"):
        load_graph(xml, feature_attrs=["x"])
    with refused("--graph", "no such file"):
        load_graph(tmp_path / "missing.gml", feature_attrs=["x"])


def test_a_byte_that_is_not_utf8_is_placed_by_line_and_byte_of_the_file(tmp_path):
    """The decoder's position counts from its chunk: a bad byte at byte 257818 of a features file read
    as 'at byte 3866'."""
    import gzip

    rows = "".join(f"{i},{i}.0\n" for i in range(20000))
    graph = write_csv(tmp_path / "g.edgelist", "".join(f"{i} {i + 1}\n" for i in range(20000)))
    features = tmp_path / "f.csv"
    features.write_bytes(b"node,f0\n" + rows.encode() + b"20000,\xe9\n")
    bad = features.stat().st_size - 2
    with refused("--features", str(features), f"invalid continuation byte on line 20002, byte {bad})"):
        load_graph(graph, features_csv=features)
    text = "".join(f"{i} {i + 1}\n" for i in range(20000)).encode()
    packed = tmp_path / "g.edgelist.gz"
    packed.write_bytes(gzip.compress(text + b"7 \xff8\n"))
    with refused("--graph", str(packed), f"on line 20001, byte {len(text) + 2} of the decompressed text)"):
        load_graph(packed, feature_attrs=["x"])
    empty = write_csv(tmp_path / "empty.edgelist", "# nothing\n")
    with refused("--graph", "holds no node"):
        load_graph(empty, feature_attrs=["x"])


# ------------------------------------------------------------------------------------------------ direction
def directed_file(tmp_path: Path) -> Path:
    g = nx.DiGraph()
    g.add_nodes_from((v, {"x": float(k)}) for k, v in enumerate("abc"))
    g.add_edges_from([("a", "b"), ("b", "c")])
    path = tmp_path / "d.graphml"
    nx.write_graphml(g, path)
    return path


def test_a_directed_file_is_refused_as_undirected_and_says_what_to_use(tmp_path):
    path = directed_file(tmp_path)
    with refused("--direction", str(path), "declares a directed graph", 'edgedefault="directed"',
                 "--direction undirected (which is the default) takes only undirected graphs",
                 "--direction directed", "--direction both"):
        load_graph(path, feature_attrs=["x"])


def test_directed_keeps_the_direction_and_both_adds_the_reverse(tmp_path):
    path = directed_file(tmp_path)
    one_way = load_graph(path, feature_attrs=["x"], direction="directed")
    assert one_way.directed and edges_of(one_way) == {("a", "b"), ("b", "c")}
    both = load_graph(path, feature_attrs=["x"], direction="both")
    assert not both.directed and edges_of(both) == {("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")}
    lst = write_csv(tmp_path / "d.edgelist", "a b\nb c\n")
    feats = features_csv(tmp_path, "abc")
    assert edges_of(load_graph(lst, features_csv=feats, direction="directed")) == {("a", "b"), ("b", "c")}
    assert len(edges_of(load_graph(lst, features_csv=feats))) == 4


def test_self_loops_are_dropped_and_parallel_edges_count_once(tmp_path):
    g = nx.MultiGraph()
    g.add_nodes_from((v, {"x": 1.0}) for v in "abc")
    g.add_edges_from([("a", "b"), ("a", "b"), ("b", "b"), ("b", "c")])
    path = tmp_path / "m.gml"
    nx.write_gml(g, path)
    data = load_graph(path, feature_attrs=["x"])
    assert data.self_loops == 1 and data.edge_index.size(1) == 4


# ------------------------------------------------------------------------------------------------ features
def gml_with(tmp_path: Path, change) -> Path:
    g = small_graph()
    change(g)
    path = tmp_path / "g.gml"
    nx.write_gml(g, path)
    return path


def test_a_feature_missing_on_some_nodes_names_them(tmp_path):
    path = gml_with(tmp_path, lambda g: (g.nodes["c"].pop("g"), g.nodes["e"].pop("g")))
    with refused("--feature-attrs", str(path), "2 of 6 nodes have no attribute 'g'", "'c', 'e'"):
        load_graph(path, feature_attrs=["f", "g"])
    with refused("--feature-attrs", "no node has the attribute 'h'", "f, g, y"):
        load_graph(path, feature_attrs=["h"])


@pytest.mark.parametrize("value", ["high", float("inf")])
def test_a_non_numeric_feature_names_the_node_and_the_value(value, tmp_path):
    path = gml_with(tmp_path, lambda g: g.nodes["d"].__setitem__("g", value))
    with refused("--feature-attrs", str(path), "node 'd', attribute 'g'", "expected a finite number", repr(value)):
        load_graph(path, feature_attrs=["g"])


def test_an_integer_beyond_floats_range_is_refused_in_one_line(tmp_path):
    """10**400 in a GML file raised OverflowError (int too large to convert to float), a traceback; the
    message shows the value cut short."""
    path = gml_with(tmp_path, lambda g: g.nodes["d"].__setitem__("g", 10 ** 400))
    with refused("--feature-attrs", "node 'd', attribute 'g'", "expected a finite number", "characters)"):
        load_graph(path, feature_attrs=["g"])


def test_list_features_of_different_lengths_are_refused(tmp_path):
    path = gml_with(tmp_path, lambda g: g.nodes["b"].__setitem__("f", [1.0, 2.0, 3.0]))
    with refused("--feature-attrs", "node 'b', attribute 'f': 3 values where node 'a' has 2"):
        load_graph(path, feature_attrs=["f"])


def test_numeric_strings_and_booleans_are_numbers(tmp_path):
    g = nx.Graph()
    g.add_node("a", s="1.5", b=True)
    g.add_node("b", s=" -2 ", b=False)
    g.add_edge("a", "b")
    path = tmp_path / "s.graphml"
    nx.write_graphml(g, path)
    assert load_graph(path, feature_attrs=["s", "b"]).x.tolist() == [[1.5, 1.0], [-2.0, 0.0]]


@pytest.mark.parametrize("text,words", [
    ("node,u\na,1\nb,x\nc,3\n", ["line 3, column 'u' (node 'b')", "expected a finite number", "'x'"]),
    # what Python's float() reads but a CSV reader (pandas) keeps as text
    ("node,u\na,1\nb,1_000\nc,3\n", ["line 3, column 'u' (node 'b')", "expected a finite number", "'1_000'"]),
    ("node,u\na,1\nb,\u0663\nc,3\n", ["line 3, column 'u' (node 'b')", "expected a finite number"]),
    ("node,u\na,1\nb,2\n", ["no row for 1 of 3 nodes", "'c'"]),
    ("node,u\na,1\nb,2\nc,3\nzz,4\n", ["line 5: node 'zz' is not in the graph", "an edge list names only"]),
    ("node,u\na,1\nb,2\na,3\n", ["line 4: node 'a' again (first on line 2)"]),
    ("node,u\na,1\nb,2,7\nc,3\n", ["line 3: expected 2 values", "found 3"]),
    ("a,1\nb,2\nc,3\n", ["line 1 starts with 'a', a node of the graph", "reads as its row", "add a first line"]),
    ("", ["empty; expected a first line naming the columns"]),
])
def test_a_malformed_feature_csv_names_the_line(text, words, tmp_path):
    graph = write_csv(tmp_path / "g.edgelist", "a b\nb c\n")
    feats = write_csv(tmp_path / "f.csv", text)
    with refused("--features", str(feats), *words):
        load_graph(graph, features_csv=feats)


def test_feature_columns_of_a_model_are_matched_by_name(tmp_path):
    graph = write_csv(tmp_path / "g.edgelist", "a b\n")
    feats = write_csv(tmp_path / "f.csv", "node,v,u\na,1,2\nb,3,4\n")
    assert load_graph(graph, features_csv=feats, feature_columns=["u", "v"]).x.tolist() == [[2, 1], [4, 3]]
    with refused("--features", "trained on the features u, w", "missing: w", "not expected: v"):
        load_graph(graph, features_csv=feats, feature_columns=["u", "w"])


# ------------------------------------------------------------------------------------------------ labels
def test_labels_from_a_csv_with_empty_cells_and_missing_rows(tmp_path):
    graph = write_csv(tmp_path / "g.edgelist", "a b\nb c\nc d\n")
    data = load_graph(graph, features_csv=features_csv(tmp_path, "abcd"))
    labels = write_csv(tmp_path / "l.csv", "node,kind,other\na,10,x\nb,,y\nd,2,z\n")
    got = load_labels(data, labels_csv=labels)  # the first column after the id, none being named label
    assert got.class_names == ["2", "10"] and got.source == "column 'kind'"  # numbers in numeric order
    assert got.y.tolist() == [1, -1, -1, 0]
    assert load_labels(data, labels_csv=labels, label_attr="other").class_names == ["x", "y", "z"]
    with refused("--label-attr", "no column 'nope'", "kind, other"):
        load_labels(data, labels_csv=labels, label_attr="nope")
    named = write_csv(tmp_path / "n.csv", "node,kind,Label\na,u,x\nb,v,y\nc,w,NA\nd,w,\n")
    got = load_labels(data, labels_csv=named)  # the column named label (any case), wherever it is
    assert got.class_names == ["NA", "x", "y"] and got.y.tolist() == [1, 2, 0, -1]  # NA: a class (North America?)
    assert missing_looking(got.class_names) == ["NA"]  # which the command line names in a note
    assert missing_looking(["-1", "0", "1", "None", "none2"]) == ["-1", "None"]
    assert missing_looking(["?", "A", "unknown", "-"]) == ["?", "unknown", "-"]  # (ARFF's and the UCI datasets' ?)


def test_labels_for_nodes_not_in_the_graph_and_no_labelled_node_are_refused(tmp_path):
    graph = write_csv(tmp_path / "g.edgelist", "a b\nb c\n")
    data = load_graph(graph, features_csv=features_csv(tmp_path, "abc"))
    stray = write_csv(tmp_path / "l.csv", "node,y\na,1\nq,0\n")
    with refused("--labels", str(stray), "line 3: node 'q' is not in the graph", str(graph)):
        load_labels(data, labels_csv=stray)
    blank = write_csv(tmp_path / "l2.csv", "node,y\na,\nb,\n")
    with refused("--labels", str(blank), "no node of", "has a label", "at least one labelled node"):
        load_labels(data, labels_csv=blank)
    gml = tmp_path / "g.gml"
    nx.write_gml(nx.path_graph(3), gml)
    with refused("--label-attr", str(gml), "no node has a label in the attribute 'y'"):
        load_labels(load_graph(gml, features_csv=features_csv(tmp_path, "012")), label_attr="y")


def test_a_label_attribute_given_twice_is_refused_not_read_as_a_class(tmp_path):
    """GML reads a key given twice as a list: its text, "['P', 'Q']", was a class of its own."""
    gml = tmp_path / "g.gml"
    gml.write_text('graph [\n node [ id 0 label "a" x 1.0 y "P" ]\n node [ id 1 label "b" x 2.0 y "P" y "Q" ]\n'
                   ' node [ id 2 label "c" x 3.0 y "Q" ]\n edge [ source 0 target 1 ]\n edge [ source 1 target 2 ]\n]\n')
    with refused("--label-attr", str(gml), "node 'b', attribute 'y': expected one label, found ['P', 'Q']"):
        load_labels(load_graph(gml, feature_attrs=["x"]), label_attr="y")


def test_a_utf16_file_is_named_as_such(tmp_path):
    """A spreadsheet's "Unicode text" export read "invalid start byte on line 1, byte 0"."""
    graph = write_csv(tmp_path / "g.edgelist", "a b\nb c\n")
    features = tmp_path / "f.csv"
    features.write_bytes("node,f0\na,1\nb,2\nc,3\n".encode("utf-16"))
    with refused("--features", str(features), "not UTF-8 text (it starts with the byte-order mark of UTF-16: save it "
                                              "as UTF-8)"):
        load_graph(graph, features_csv=features)


def test_gml_labels_name_nodes_unless_they_repeat(tmp_path):
    text = ('graph [\n node [ id 0 label "red" x 1.0 ]\n node [ id 1 label "red" x 2.0 ]\n'
            ' node [ id 2 label "blue" x 3.0 ]\n edge [ source 0 target 1 ]\n edge [ source 1 target 2 ]\n]\n')
    repeated = write_csv(tmp_path / "repeated.gml", text)
    data = load_graph(repeated, feature_attrs=["x"])
    assert data.ids == ["0", "1", "2"]  # the ids name the nodes; the labels stay attributes
    # and it is said (a labels file keyed by the labels met ids without a word)
    assert data.naming == "named by their GML id, as node label 'red' is duplicated"
    assert load_labels(data, label_attr="label").class_names == ["blue", "red"]
    distinct = write_csv(tmp_path / "distinct.gml", text.replace('label "red" x 2.0', 'label "green" x 2.0'))
    data = load_graph(distinct, feature_attrs=["x"])
    assert data.ids == ["red", "green", "blue"] and data.naming == ""
    unlabelled = write_csv(tmp_path / "ids.gml", text.replace(' label "red"', "").replace(' label "blue"', ""))
    assert load_graph(unlabelled, feature_attrs=["x"]).naming == ""  # no labels at all: ids, as expected
    with refused("--label-attr", "no node has a label in the attribute 'label'", "in GML, a node's 'label' names"):
        load_labels(data, label_attr="label")


GRAPHML_DEFAULTS = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="f0" for="node" attr.name="f0" attr.type="double"><default>0.5</default></key>
  <key id="y" for="node" attr.name="y" attr.type="string"><default>neg</default></key>
  <graph edgedefault="undirected">
    <node id="a"><data key="f0">1.0</data><data key="y">pos</data></node>
    <node id="b"><data key="f0">2.0</data></node>
    <node id="c"><data key="y">pos</data></node>
    <node id="d"/>
    <edge source="a" target="b"/><edge source="b" target="c"/><edge source="c" target="d"/>
  </graph>
</graphml>
"""
GEXF_DEFAULTS = """<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">
  <graph mode="static" defaultedgetype="undirected">
    <attributes class="node">
      <attribute id="0" title="f0" type="double"><default>0.5</default></attribute>
      <attribute id="1" title="y" type="string"><default>neg</default></attribute>
    </attributes>
    <nodes>
      <node id="a" label="a">
        <attvalues><attvalue for="0" value="1.0"/><attvalue for="1" value="pos"/></attvalues>
      </node>
      <node id="b" label="b"><attvalues><attvalue for="0" value="2.0"/></attvalues></node>
      <node id="c" label="c"><attvalues><attvalue for="1" value="pos"/></attvalues></node>
      <node id="d" label="d"/>
    </nodes>
    <edges>
      <edge id="0" source="a" target="b"/><edge id="1" source="b" target="c"/><edge id="2" source="c" target="d"/>
    </edges>
  </graph>
</gexf>
"""


# keys for every kind of element: for="all", and no "for", which GraphML reads as "all"
GRAPHML_DEFAULTS_FOR_ALL = GRAPHML_DEFAULTS.replace('for="node" attr.name="f0"', 'for="all" attr.name="f0"').replace(
    'for="node" attr.name="y"', 'attr.name="y"')


@pytest.mark.parametrize("name,text", [("d.graphml", GRAPHML_DEFAULTS), ("d.gexf", GEXF_DEFAULTS),
                                       ("all.graphml", GRAPHML_DEFAULTS_FOR_ALL),
                                       ("all.graphml.gz", GRAPHML_DEFAULTS_FOR_ALL)])
def test_declared_attribute_defaults_count_for_the_nodes_without_one(name, text, tmp_path):
    """A node without the attribute has its ``<default>`` (networkx keeps the defaults aside): the
    nodes labelled by the default were left unlabelled, and a feature given by it was refused."""
    path = tmp_path / name
    if name.endswith(".gz"):
        import gzip

        path.write_bytes(gzip.compress(text.encode()))
    else:
        write_csv(path, text)
    data = load_graph(path, feature_attrs=["f0"])
    assert data.ids == list("abcd") and data.x.view(-1).tolist() == [1.0, 2.0, 0.5, 0.5]
    labels = load_labels(data, label_attr="y")
    assert labels.class_names == ["neg", "pos"] and labels.y.tolist() == [1, 0, 1, 0]


# ------------------------------------------------------------------------------------------------ splits
def test_stratified_split_is_per_class_seeded_and_covers_the_labelled_nodes():
    y = torch.tensor([0] * 50 + [1] * 30 + [2] * 5 + [-1] * 15)
    train, val, test = stratified_split(y, 0.6, 0.2, seed=3)
    assert not (train & val).any() and not (train & test).any() and not (val & test).any()
    assert torch.equal(train | val | test, y >= 0)
    for c, n in ((0, 50), (1, 30), (2, 5)):
        assert int((train & (y == c)).sum()) == round(0.6 * n)
        assert int((val & (y == c)).sum()) == round(0.8 * n) - round(0.6 * n)
    again = stratified_split(y, 0.6, 0.2, seed=3)
    other = stratified_split(y, 0.6, 0.2, seed=4)
    assert all(torch.equal(a, b) for a, b in zip((train, val, test), again))
    assert not torch.equal(train, other[0])
    # a class of one node still trains; fractions adding up to 1 leave no test node
    assert bool(stratified_split(torch.tensor([0, 0, 0, 1]), 0.3, 0.3)[0][3])
    y = torch.tensor([0] * 83 + [1] * 77)
    train, val, test = stratified_split(y, 0.5, 0.5)
    assert not test.any() and int(train.sum()) == round(41.5) + round(38.5)


def test_a_given_split_and_its_errors(tmp_path):
    graph = write_csv(tmp_path / "g.edgelist", "a b\nb c\nc d\n")
    data = load_graph(graph, features_csv=features_csv(tmp_path, "abcd"))
    good = write_csv(tmp_path / "l.csv", "node,y,part\na,0,train\nb,1,Validation\nc,1,test\n")
    labels = load_labels(data, labels_csv=good, split_attr="part")
    train, val, test = split_masks(labels)
    assert train.tolist() == [True, False, False, False] and val.tolist() == [False, True, False, False]
    assert test.tolist() == [False, False, True, False]
    for text, words in (("node,y,part\na,0,train\nb,1,dev\n", ["line 3", "split 'dev'", "train, val"]),
                        ("node,y,part\na,0,train\nb,1,\n", ["node 'b' (line 3)", "labelled but its split 'part'"]),
                        ("node,y,part\na,0,train\nb,,val\n",
                         ["node 'b' (line 3)", "in the val split but has no label"])):
        bad = write_csv(tmp_path / "bad.csv", text)
        with refused("--split-attr", str(bad), *words):
            load_labels(data, labels_csv=bad, split_attr="part")
    no_val = write_csv(tmp_path / "nv.csv", "node,y,part\na,0,train\nb,1,test\n")
    with refused("--split-attr", "the given split has no validation node"):
        split_masks(load_labels(data, labels_csv=no_val, split_attr="part"))
    with refused("--val-fraction", "has no validation node", "2 classes (1 to 2 nodes each)"):
        split_masks(load_labels(data, labels_csv=write_csv(tmp_path / "y.csv", "node,y\na,0\nb,1\nc,1\n")),
                    val_fraction=0.0)


# ------------------------------------------------------------------------------------------------ example
def test_the_shipped_example_is_what_its_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_example_graph", EXAMPLES / "make_example_graph.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_example_graph"] = mod
    try:
        spec.loader.exec_module(mod)
        paths = mod.write(mod.make_graph(), tmp_path)
    finally:
        sys.modules.pop("make_example_graph")
    for path in paths:
        assert path.read_bytes() == (EXAMPLES / "graphs" / path.name).read_bytes(), path.name
    gml = load_graph(EXAMPLES / "graphs" / "communities.gml", feature_attrs=["x"])
    lst = load_graph(EXAMPLES / "graphs" / "communities.edgelist",
                     features_csv=EXAMPLES / "graphs" / "communities_features.csv")
    order = [lst.ids.index(i) for i in gml.ids]
    assert torch.equal(gml.x, lst.x[order]) and edges_of(gml) == edges_of(lst)
    a = load_labels(gml, label_attr="community")
    b = load_labels(lst, labels_csv=EXAMPLES / "graphs" / "communities_labels.csv", split_attr="split")
    assert a.class_names == b.class_names == ["blue", "green", "red"]
    assert torch.equal(a.y, b.y[order]) and int((a.y < 0).sum()) == 60


def test_a_bad_line_of_a_compressed_edge_list_is_named(tmp_path):
    path = tmp_path / "bad.edgelist.gz"
    with gzip.open(path, "wt") as f:
        f.write("a b\nlonely\n")
    with refused("--graph", "line 2:", "'lonely'"):
        load_graph(path, feature_attrs=["x"])


def test_without_networkx_the_error_says_what_to_install(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "g.edgelist", "a b\n")
    monkeypatch.setitem(sys.modules, "networkx", None)  # import networkx raises ImportError
    with pytest.raises(ImportError, match="reading a graph file needs networkx: pip install networkx"):
        load_graph(path, feature_attrs=["x"])


# ------------------------------------------------------------------------------------------------ files as tools write them
def test_what_spreadsheets_and_dataframes_write_reads(tmp_path):
    """A byte-order mark before the first node id, feature columns named by numbers (a DataFrame of
    an array: ``,0,1``), edge weights (counted, not used)."""
    graph = tmp_path / "g.edgelist"
    graph.write_bytes("a b 2.0\nb c 0.5\n".encode("utf-8-sig"))
    feats = write_csv(tmp_path / "f.csv", ",0,1\na,1,2\nb,3,4\nc,5,6\n")
    data = load_graph(graph, features_csv=feats)
    assert data.ids == ["a", "b", "c"] and data.feature_names == ["0", "1"] and data.weighted_edges == 2
    assert load_graph(write_csv(tmp_path / "h.edgelist", "a b\nb c\n"), features_csv=feats).weighted_edges == 0
    gml = tmp_path / "g.gml"
    nx.write_gml(small_graph(), gml)
    (tmp_path / "bom.gml").write_bytes(gml.read_text().encode("utf-8-sig"))  # networkx's reader refuses it
    assert load_graph(tmp_path / "bom.gml", feature_attrs=["g"]).ids == list("abcdef")


def test_one_class_a_repeated_feature_and_parallel_gml_edges_are_refused(tmp_path):
    graph = write_csv(tmp_path / "g.edgelist", "a b\nb c\n")
    data = load_graph(graph, features_csv=features_csv(tmp_path, "abc"))
    one = write_csv(tmp_path / "l.csv", "node,label\na,x\nb,x\nc,\n")
    with refused("--labels", "all have the label 'x'", "at least two classes"):
        load_labels(data, labels_csv=one)
    twice = write_csv(tmp_path / "n.csv", "node,label\na,1\nb,1.0\nc,2\n")  # were classes 1, 1.0 and 2
    with refused("--labels", "the labels '1' and '1.0' (column 'label') are one number written two ways"):
        load_labels(data, labels_csv=twice)
    forms = write_csv(tmp_path / "u.csv", "node,label\na,caf\u00e9\nb,cafe\u0301\nc,tea\n")  # were two classes 'café'
    with refused("--labels", "are one text written with other Unicode code points ('cafe\\u0301', 'caf\\xe9')",
                 "unicodedata.normalize('NFC', label)"):
        load_labels(data, labels_csv=forms)
    gml = tmp_path / "g.gml"
    nx.write_gml(small_graph(), gml)
    with refused("--feature-attrs", "the attribute 'g' is named twice"):
        load_graph(gml, feature_attrs=["g", "g"])
    text = gml.read_text().replace("  edge [\n    source 0\n    target 1\n  ]",
                                   "  edge [\n    source 0\n    target 1\n  ]\n  edge [\n    source 0\n    target 1\n  ]")
    assert text.count("target 1\n") == 2
    (tmp_path / "p.gml").write_text(text)
    with refused("--graph", "is duplicated", "multigraph 1"):
        load_graph(tmp_path / "p.gml", feature_attrs=["g"])
    (tmp_path / "m.gml").write_text(text.replace("graph [\n", "graph [\n  multigraph 1\n", 1))
    assert load_graph(tmp_path / "m.gml", feature_attrs=["g"]).edge_index.size(1) == 12  # counted once
    # an edge to a node the file does not define is not about parallel edges (the hint said so)
    (tmp_path / "u.gml").write_text(text.replace("target 1\n", "target 77\n", 1))
    with pytest.raises(GraphInputError) as info:
        load_graph(tmp_path / "u.gml", feature_attrs=["g"])
    assert "undefined target 77" in str(info.value) and "multigraph" not in str(info.value)


def test_a_header_whose_first_cell_is_also_a_node_reads(tmp_path):
    """A word graph with the word 'node': the header 'node,...' is a header when 'node' has its own row."""
    graph = write_csv(tmp_path / "g.edgelist", "node edge\nedge graph\n")
    feats = write_csv(tmp_path / "f.csv", "node,u\nnode,1\nedge,2\ngraph,3\n")
    data = load_graph(graph, features_csv=feats)
    assert data.x.view(-1).tolist() == [1.0, 2.0, 3.0]
    labels = write_csv(tmp_path / "l.csv", "node,label\nnode,a\nedge,b\n")
    assert load_labels(data, labels_csv=labels).y.tolist() == [0, 1, -1]


def test_a_split_column_is_never_taken_as_labels_or_left_unused(tmp_path):
    """node,split,community took the split column as labels (3 classes: test, train, val); node,
    community,split without --split-attr replaced the file's split by a stratified one, silently."""
    lst = load_graph(EXAMPLES / "graphs" / "communities.edgelist",
                     features_csv=EXAMPLES / "graphs" / "communities_features.csv")
    rows = (EXAMPLES / "graphs" / "communities_labels.csv").read_text().splitlines()
    swapped = ["node,split,community"] + [",".join(r.split(",")[i] for i in (0, 2, 1)) for r in rows[1:]]
    first = write_csv(tmp_path / "split_first.csv", "\n".join(swapped) + "\n")
    with refused("--labels", "the labels (column 'split') are test, train, val", "--split-attr"):
        load_labels(lst, labels_csv=first)
    assert load_labels(lst, labels_csv=first, split_attr="split").class_names == ["blue", "green", "red"]
    with refused("--split-attr", "column 'split' holds train / val / test", "--split-attr split"):
        load_labels(lst, labels_csv=EXAMPLES / "graphs" / "communities_labels.csv")
    with refused("--labels", "the names of a split"):
        load_labels(lst, labels_csv=first, label_attr="split")
    # a column that names a split for some nodes only is not a split (--split-attr would refuse it)
    rows = ["node,label,environment"] + [f"{r.split(',')[0]},{r.split(',')[1]},{'test' if n % 10 == 0 else ''}"
                                         for n, r in enumerate(rows[1:])]
    assert load_labels(lst, labels_csv=write_csv(tmp_path / "env.csv", "\n".join(rows) + "\n")).name == "label"
    # val and validation name one split: a column of only those is no split (it was refused as one)
    rows = ["node,label,stage"] + [f"{r.split(',')[0]},{r.split(',')[1]},{('val', 'Validation')[n % 2]}"
                                   for n, r in enumerate(rows[1:])]
    assert load_labels(lst, labels_csv=write_csv(tmp_path / "stage.csv", "\n".join(rows) + "\n")).name == "label"


def test_a_features_file_holding_the_labels_column_is_refused(tmp_path):
    """A features CSV with the labels' column was taken (the model read each node's label); the same
    through node attributes was refused already."""
    graph = write_csv(tmp_path / "g.edgelist", "a b\nb c\nc d\n")
    feats = write_csv(tmp_path / "f.csv", "node,u,label\na,1,0\nb,2,1\nc,3,0\nd,4,1\n")
    data = load_graph(graph, features_csv=feats)
    labels = write_csv(tmp_path / "l.csv", "node,label\na,0\nb,1\nc,0\nd,1\n")
    with refused("--features", "the features' column 'label' holds the labels"):
        load_labels(data, labels_csv=labels)
    coded = write_csv(tmp_path / "c.csv", "node,label\na,red\nb,blue\nc,red\nd,blue\n")  # the column codes them
    with refused("--features", "the features' column 'label' holds the labels"):
        load_labels(data, labels_csv=coded)
    # a feature that only shares the labels' name (PyG's y as a coordinate) is a feature
    coords = load_graph(graph, features_csv=write_csv(tmp_path / "xy.csv", "node,x,y\na,1,0.5\nb,2,0.7\nc,3,0.5\nd,4,0.1\n"))
    assert load_labels(coords, labels_csv=write_csv(tmp_path / "y.csv", "node,y\na,0\nb,1\nc,0\nd,1\n")).name == "y"
    other = write_csv(tmp_path / "k.csv", "node,kind\na,0\nb,1\nc,0\nd,1\n")
    assert load_labels(data, labels_csv=other).name == "kind"
    # labels from a node attribute beside a features file with that column (it was refused for a labels
    # file only: the model read the label and scored 100%)
    import networkx as nx

    g = nx.path_graph(["a", "b", "c", "d"])
    nx.set_node_attributes(g, {"a": 0, "b": 1, "c": 0, "d": 1}, "cls")
    nx.write_graphml(g, tmp_path / "g.graphml")
    leak = write_csv(tmp_path / "leak.csv", "node,u,cls\na,1,0\nb,2,1\nc,3,0\nd,4,1\n")
    with refused("--features", "the features' column 'cls' holds the labels (attribute 'cls')"):
        load_labels(load_graph(tmp_path / "g.graphml", features_csv=leak), label_attr="cls")


def test_a_dataframes_unnamed_index_is_the_ids_unless_a_column_after_it_holds_them(tmp_path):
    """df.to_csv() without index=False writes a row count first, unnamed: with node ids 0..N-1 every row
    fell on some node, mostly the wrong one. An unnamed first column that holds the ids (a dataframe
    indexed by node) still reads."""
    graph = write_csv(tmp_path / "g.edgelist", "0 1\n1 2\n2 0\n")
    counted = write_csv(tmp_path / "f.csv", ",node,f0\n0,2,0.5\n1,0,1.5\n2,1,2.5\n")
    with refused("--features", "f.csv: line 1: column 2 ('node') holds a node of the graph on every row, each once",
                 "index=False"):
        load_graph(graph, features_csv=counted)
    indexed = write_csv(tmp_path / "i.csv", ",f0\n2,0.5\n0,1.5\n1,2.5\n")
    assert load_graph(graph, features_csv=indexed).x.flatten().tolist() == [1.5, 2.5, 0.5]
    words = write_csv(tmp_path / "w.edgelist", "a b\nb c\n")
    with refused("--features", "line 2: node '0' is not in the graph", "column 1, read as the node ids, has no name"):
        load_graph(words, features_csv=write_csv(tmp_path / "n.csv", ",node,f0\n0,a,1\n1,b,2\n2,c,3\n"))
    # the ids in any later column (pandas writes the columns in the frame's order: label,node)
    data = load_graph(graph, features_csv=indexed)
    with refused("--labels", "l.csv: line 1: column 3 ('node') holds a node of the graph on every row"):
        load_labels(data, labels_csv=write_csv(tmp_path / "l.csv", ",label,node\n0,x,2\n1,y,0\n2,x,1\n"))
    # trailing commas (a spreadsheet's empty last column) in a labels table read as before
    labels = load_labels(data, labels_csv=write_csv(tmp_path / "t.csv", "node,label,\n0,x,\n1,y,\n2,x,\n"))
    assert labels.class_names == ["x", "y"]


def test_a_table_whose_id_column_is_named_like_a_node_says_how_to_tell(tmp_path):
    """A node named 'node' without a labels row: 'node,label' could be that node's row or the header, and
    the message advised adding the header the file had."""
    data = load_graph(write_csv(tmp_path / "g.edgelist", "node a\na b\n"),
                      features_csv=write_csv(tmp_path / "f.csv", "id,f0\nnode,1\na,2\nb,3\n"))
    with refused("--labels", "line 1 starts with 'node'", "if it is that node's row, add a first line naming the "
                 "columns (e.g. id,label); if it names them, name the first other than the nodes (e.g. id)"):
        load_labels(data, labels_csv=write_csv(tmp_path / "l.csv", "node,label\na,x\nb,y\n"))


def test_a_node_id_in_another_unicode_form_is_named_as_such(tmp_path):
    """'café' composed in the graph and decomposed in the features file print alike; the message blamed
    isolated nodes."""
    import unicodedata

    composed, decomposed = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    graph = write_csv(tmp_path / "g.edgelist", f"{composed} b\nb c\n")
    feats = write_csv(tmp_path / "f.csv", f"node,u\n{decomposed},1\nb,2\nc,3\n")
    with refused("--features", "line 2: node", "the graph has 'café', the same text written with other Unicode code "
                 "points", "unicodedata.normalize('NFC', id)"):
        load_graph(graph, features_csv=feats)


@pytest.mark.parametrize("header,refused_as", [
    ("dst,src,weight", "names the source 'src' in column 2 and the target 'dst' in column 1: write them first, "
                       "src,dst,weight"),
    ("Target,Source", "names the source 'Source' in column 2 and the target 'Target' in column 1"),
    ("v,u", "names the source 'u' in column 2 and the target 'v' in column 1"),
    # one end named alone says nothing of the order: a value, a database, an attribute
    ("i,j,v", None), ("protein1,protein2,source", None), ("user,item,to", None), ("p,id,target", None),
])
def test_a_directed_edge_tables_header_must_name_its_ends_in_order(header, refused_as, tmp_path):
    """dst,src was read by position: every directed edge reversed, without a word. Undirected, the order of
    the two ends does not matter, and the same tables read."""
    width = header.count(",") + 1
    path = write_csv(tmp_path / "e.csv", f"{header}\n" + "".join(
        ",".join([u, v] + ["1"] * (width - 2)) + "\n" for u, v in (("a", "b"), ("b", "c"))))
    feats = features_csv(tmp_path, "abc")
    if refused_as is None:
        assert load_graph(path, direction="directed", features_csv=feats).edge_index.tolist() == [[0, 1], [1, 2]]
    else:
        with refused("--graph", "line 1:", refused_as):
            load_graph(path, direction="directed", features_csv=feats)
    assert load_graph(path, features_csv=feats).num_nodes == 3


def test_a_graph_node_named_with_spaces_around_it_gets_its_tables_rows(tmp_path):
    """A GML label "a " (a node id with a space) could get no features: the table's id cells were stripped,
    and its row was refused as node 'a', not in the graph. Spaces around an id cell are still layout
    where the graph has no such node."""
    g = nx.Graph([("a ", "b"), ("b", "c")])
    nx.write_gml(g, tmp_path / "g.gml")
    feats = write_csv(tmp_path / "f.csv", 'node,u\n"a ",1\nb,2\n c ,3\n')
    data = load_graph(tmp_path / "g.gml", features_csv=feats)
    assert data.x[data.ids.index("a ")].tolist() == [1.0] and data.x[data.ids.index("c")].tolist() == [3.0]
    labels = load_labels(data, labels_csv=write_csv(tmp_path / "l.csv", 'node,label\n"a ",x\nb,y\nc,x\n'))
    assert labels.y[data.ids.index("a ")] == labels.y[data.ids.index("c")] != labels.y[data.ids.index("b")]


def test_a_gexf_table_keyed_by_the_nodes_labels_is_told_that_ids_name_them(tmp_path):
    """Gephi shows a node's label; a table keyed by it was refused with no hint (GML's said how its nodes
    are named)."""
    g = nx.Graph()
    g.add_node("00", label="L0")
    g.add_node("01", label="L1")
    g.add_edge("00", "01")
    nx.write_gexf(g, tmp_path / "g.gexf")
    with refused("--features", "node 'L0' is not in the graph", "GEXF nodes are named by their id; a node's label "
                                                                 "is one of its attributes"):
        load_graph(tmp_path / "g.gexf", features_csv=write_csv(tmp_path / "f.csv", "node,u\nL0,1\nL1,2\n"))
    assert load_graph(tmp_path / "g.gexf", features_csv=write_csv(tmp_path / "i.csv", "node,u\n00,1\n01,2\n")).ids \
        == ["00", "01"]

"""The operator registry on its own: register, look up, list, per-backend namespaces, and
convert_state_dict's renaming between backends (in a registry of the test's own, restored afterwards)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from iterative_core import operators as registry
from iterative_core.operators import (
    available_operators,
    convert_state_dict,
    get_operator,
    operator_registrar,
    register_operator,
)


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def own_registry(monkeypatch):
    monkeypatch.setattr(registry, "_OPERATORS", {})
    monkeypatch.setattr(registry, "_KEYS", {})


def linear(channels: int) -> nn.Module:
    return nn.Linear(channels, channels)


def test_register_get_and_list_per_backend():
    assert available_operators("a") == []
    register_operator("lin", linear, backend="a")
    register_operator("id", nn.Identity, backend="a")
    assert available_operators("a") == ["id", "lin"]  # sorted
    assert get_operator("lin", "a") is linear
    assert available_operators("b") == []  # one namespace per backend
    with pytest.raises(ValueError, match=r"no operators are registered for backend 'b' \(backends with operators: "
                                         r"'a'"):
        get_operator("lin", "b")
    register_operator("id", nn.Identity, backend="b")
    with pytest.raises(ValueError, match=r"unknown operator for backend 'b' 'lin'; valid: 'id'"):
        get_operator("lin", "b")
    with pytest.raises(ValueError, match=r"'id'.*'lin'"):  # the valid names listed
        get_operator("lim", "a")


def test_a_name_registered_for_another_backend_only_is_said_so():
    """PyG's PIGNConv(C, conv="mine") after registering "mine" for DGL only listed the other names."""
    register_operator("mine", linear, backend="a")
    register_operator("id", nn.Identity, backend="b")
    with pytest.raises(ValueError, match=r"^PIGNConv: unknown conv='mine'; the operators registered for 'b': 'id'\. "
                                         r"'mine' is registered for 'a' only: register it for 'b' too, "
                                         r"register_operator\('mine', factory, backend='b'\)$"):
        get_operator("mine", "b", where="PIGNConv")
    with pytest.raises(ValueError, match=r"unknown conv='idd'.* Did you mean 'id'\?$"):
        get_operator("idd", "b", where="PIGNConv")


def test_register_as_a_decorator_and_through_a_backends_registrar():
    @register_operator("deco", backend="a")
    def deco(channels):
        return nn.Linear(channels, channels)

    assert get_operator("deco", "a") is deco and isinstance(deco(3), nn.Linear)  # the function itself is kept
    register_b = operator_registrar("b")
    assert register_b.__name__ == "register_operator" and "'b'" in register_b.__doc__
    register_b("lin", linear)
    assert available_operators("b") == ["lin"] and available_operators("a") == ["deco"]


def test_a_name_is_taken_unless_overwritten():
    register_operator("lin", linear, backend="a")
    register_operator("lin", linear, backend="a")  # the same factory again is harmless
    with pytest.raises(ValueError, match="'lin' is already registered for backend 'a'.*overwrite=True"):
        register_operator("lin", nn.Identity, backend="a")
    assert get_operator("lin", "a") is linear
    register_operator("lin", nn.Identity, backend="a", overwrite=True)
    assert get_operator("lin", "a") is nn.Identity
    register_operator("lin", nn.Identity, backend="b")  # another backend's namespace: no clash


def test_a_name_that_differs_only_in_case_is_refused():
    register_operator("lin", linear, backend="a")
    for overwrite in (False, True):  # two entries no reader could tell apart, whatever overwrite says
        with pytest.raises(ValueError, match="operator of backend 'a' 'Lin' differs only in case from the "
                                             "registered 'lin'"):
            register_operator("Lin", nn.Identity, backend="a", overwrite=overwrite)
    assert available_operators("a") == ["lin"] and get_operator("lin", "a") is linear
    register_operator("Lin", nn.Identity, backend="b")  # another backend's namespace: no clash


KEYS = {  # two backends name the same parameters differently
    "a": {"lin_l.weight": "neighbor.weight", "lin_l.bias": "bias", "mlp.": "shared_mlp."},
    "b": {"fc_neigh.weight": "neighbor.weight", "fc_neigh.bias": "bias", "apply_func.": "shared_mlp."},
}


@pytest.fixture
def two_backends():
    for backend, keys in KEYS.items():
        register_operator("op", linear, backend=backend, state_dict_keys=keys)
        register_operator("plain", linear, backend=backend)


def test_convert_state_dict_renames_through_the_shared_names(two_backends):
    w, b, m = torch.randn(3, 3), torch.randn(3), torch.randn(2, 3)
    sd = {"encoder.weight": w, "conv.operator.lin_l.weight": w, "conv.operator.lin_l.bias": b,
          "conv.operator.mlp.0.weight": m}
    out = convert_state_dict(sd, "op", "a", "b")
    assert list(out) == ["encoder.weight", "conv.operator.fc_neigh.weight", "conv.operator.fc_neigh.bias",
                         "conv.operator.apply_func.0.weight"]  # prefixes carry the rest of the name
    assert out["conv.operator.fc_neigh.weight"] is w and out["conv.operator.apply_func.0.weight"] is m
    assert convert_state_dict(out, "op", "b", "a") == sd  # and back
    # another module name than "operator"
    renamed = convert_state_dict({"op_mod.lin_l.bias": b}, "op", "a", "b", module="op_mod")
    assert list(renamed) == ["op_mod.fc_neigh.bias"]


def test_convert_state_dict_renames_only_where_module_is_whole_parts_of_the_path(two_backends):
    """``graph_operator.`` or ``score_operator.`` is not the ``operator.`` of a layer: those keys are the
    user's own and stay (they were renamed, or refused as unknown operator parameters)."""
    w = torch.randn(3, 3)
    sd = {"graph_operator.lin_l.weight": w, "graph_operator.encoder.weight": w, "graph_operator.conv.operator.lin_l.weight": w,
          "operator.lin_l.weight": w}
    assert list(convert_state_dict(sd, "op", "a", "b")) == [
        "graph_operator.lin_l.weight", "graph_operator.encoder.weight", "graph_operator.conv.operator.fc_neigh.weight",
        "operator.fc_neigh.weight"]
    two = {"conv1.operator.lin_l.weight": w, "conv2.operator.lin_r.weight": w}  # layers of two operators
    assert list(convert_state_dict(two, "op", "a", "b", module="conv1.operator")) == [
        "conv1.operator.fc_neigh.weight", "conv2.operator.lin_r.weight"]
    with pytest.raises(KeyError, match=r"convert each with module= the path of its operator, e.g. "
                                       r"module='conv2.operator'"):
        convert_state_dict(two, "op", "a", "b")
    with pytest.raises(KeyError, match=r"are these the weights of operator 'op' in backend 'a'\?"):
        convert_state_dict(two, "op", "a", "b", module="conv2.operator")  # (the path given: no module= hint)
    for bad in ("", None):
        with pytest.raises((TypeError, ValueError), match="convert_state_dict: module name must be a non-empty string"):
            convert_state_dict(sd, "op", "a", "b", module=bad)
    with pytest.raises(ValueError, match="without a leading or trailing dot.*got 'conv1.operator.'"):
        convert_state_dict(two, "op", "a", "b", module="conv1.operator.")  # (it converted nothing)


def test_convert_state_dict_keeps_names_without_a_table_and_refuses_unknown_ones(two_backends):
    sd = {"operator.weight": torch.randn(3, 3)}
    assert convert_state_dict(sd, "plain", "a", "b") == sd  # registered without state_dict_keys
    with pytest.raises(KeyError, match=r"parameter 'lin_r.weight' of operator 'op' has no counterpart in backend 'b'"):
        convert_state_dict({"operator.lin_r.weight": torch.randn(3, 3)}, "op", "a", "b")
    with pytest.raises(ValueError, match="no operators are registered for backend 'c'"):
        convert_state_dict(sd, "op", "a", "c")


def test_convert_state_dict_knows_the_built_in_operators_without_either_adapter():
    """In a process that imports neither adapter (as where one backend cannot be installed), the
    built-in operators' weights convert, both ways, and an operator of one's own is still named."""
    code = """
import sys, torch
from iterative_core import operators as ops
w, b = torch.randn(4, 4), torch.randn(4)
pyg = {"conv.operator.lin_l.weight": w, "conv.operator.lin_l.bias": b, "conv.operator.lin_r.weight": w}
dgl = ops.convert_state_dict(pyg, "sage", "pyg", "dgl")
assert sorted(dgl) == ["conv.operator.fc_neigh.weight", "conv.operator.fc_self.bias", "conv.operator.fc_self.weight"]
assert ops.convert_state_dict(dgl, "sage", "dgl", "pyg") == pyg
assert ops.convert_state_dict({"operator.attn_l": b}, "gat", "dgl", "pyg") == {"operator.att_src": b}
assert ops.convert_state_dict({"operator.weight": w}, "gcn", "pyg", "dgl") == {"operator.weight": w}
try:
    ops.convert_state_dict({}, "mine", "pyg", "dgl")
    raise SystemExit("an unknown operator converted")
except ValueError as exc:
    assert "no operators are registered for backend 'pyg'" in str(exc), exc
assert not {"pyg_iterative", "dgl_iterative", "torch_geometric", "dgl"} & set(sys.modules), "an adapter was imported"
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
                             str(ROOT / "common"), os.environ.get("PYTHONPATH", "")]))})
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


@pytest.mark.parametrize("given, shown, hint", [
    (["a"], r"\['a'\] \(a list\)", ""),
    ("model.pt", r"'model.pt' \(a str\)", r": load it first, torch.load\(path, weights_only=True\)"),
    (None, "None", ""),
    (torch.nn.Linear(2, 2), r"Linear\(.*\) \(a Linear\)", r": pass model.state_dict\(\)"),
])
def test_convert_state_dict_names_a_state_dict_that_is_no_mapping(given, shown, hint):
    """A path, a module or None failed with "'str' object has no attribute 'items'"."""
    with pytest.raises(TypeError, match=rf"^convert_state_dict: state_dict must be a mapping of parameter names to "
                                        rf"tensors \(a module's state_dict\(\)\), got {shown}{hint}$"):
        convert_state_dict(given, "gcn", "pyg", "dgl")


def test_a_form_an_operator_cannot_take_names_those_it_can():
    """An operator that takes alpha and beta (form 'appnp') was told that it "takes form='paper'"."""
    from iterative_core.forms import resolve_form

    with pytest.raises(ValueError, match=r"^PIGNConv: form='signed' needs an operator that takes propagation .*; "
                                         r"conv='my_op' takes form='appnp' or form='paper'$"):
        resolve_form("signed", frozenset({"alpha", "beta"}), "my_op")
    with pytest.raises(ValueError, match=r"conv='plain' takes form='paper' \(inject_input=True adds the input back "
                                         r"at every step\)$"):
        resolve_form("appnp", frozenset(), "plain")
    assert resolve_form(None, frozenset({"alpha", "beta"}), "my_op") == "appnp"

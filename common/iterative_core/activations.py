"""Activations by name, with their Lipschitz constants (used by the contraction guarantee)."""
from __future__ import annotations

from typing import Callable, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ._keys import check_choice
from ._warnings import warn_user

def identity(t: Tensor) -> Tensor:
    """The identity (a named function, so that layers using it pickle)."""
    return t


_ACTS: dict[str, tuple[Callable[[Tensor], Tensor], float]] = {
    "relu": (F.relu, 1.0),
    "tanh": (torch.tanh, 1.0),
    "sigmoid": (torch.sigmoid, 0.25),
    "elu": (F.elu, 1.0),
    "leaky_relu": (F.leaky_relu, 1.0),
    "gelu": (F.gelu, 1.13),  # max of GELU's derivative is about 1.1289
    "silu": (F.silu, 1.1),  # max of SiLU's derivative is about 1.0998
    "identity": (identity, 1.0),
}

def _silu_(t: Tensor) -> Tensor:
    return F.silu(t, inplace=True)


#: in-place variants, for outputs nothing else holds when no gradient is recorded
_INPLACE: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": torch.relu_, "tanh": torch.tanh_, "sigmoid": torch.sigmoid_, "elu": F.elu_,
    "leaky_relu": F.leaky_relu_, "silu": _silu_, "identity": identity,
}

Activation = Union[str, None, Callable[[Tensor], Tensor]]


def inplace_activation(name: str) -> Callable[[Tensor], Tensor] | None:
    """The in-place variant of the named activation, or None (a callable, GELU)."""
    return _INPLACE.get(name)


def resolve_activation(act: Activation, lipschitz: float | None = None, *,
                       where: str | None = None) -> tuple[Callable[[Tensor], Tensor], float, str]:
    """Return ``(fn, lipschitz_constant, name)`` for a name, None (identity) or a callable.

    A callable's Lipschitz constant is unknown: it is taken as ``lipschitz`` (default 1.0); pass the
    right value when you use ``contraction=``. ``where`` (the owner's name) starts the messages.
    """
    at = f"{where}: " if where else ""
    if act is None:
        act = "identity"
    if isinstance(act, str):
        check_choice("activation", act, _ACTS, where=where)
        fn, lip = _ACTS[act]
        if lipschitz is not None and float(lipschitz) != lip:  # (its constant is known: the one given is not used)
            warn_user(f"{at}act_lipschitz={lipschitz} has no effect with act={act!r}, whose Lipschitz constant is "
                      f"known ({lip:g}); it is for a callable act, whose constant the layer cannot tell")
        return fn, lip, act
    if isinstance(act, type):  # (nn.ReLU, not nn.ReLU(): called on the iterate, it built a module of it)
        raise TypeError(f"{at}act={act.__name__} is a class; pass an instance, act={act.__name__}(), or a name "
                        f"such as act='relu'")
    if callable(act):
        return act, 1.0 if lipschitz is None else float(lipschitz), getattr(act, "__name__", type(act).__name__)
    raise TypeError(f"{at}act must be a name, None or a callable, got {type(act).__name__}")

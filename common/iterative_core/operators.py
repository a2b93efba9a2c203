"""A registry of graph operators, one namespace per backend.

Each adapter registers the operators it provides (``"gcn"`` first), and users add their own the
same way; ``PIGNConv(conv=name)`` builds the operator it iterates from here.
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from ._keys import check_choice

_OPERATORS: dict[str, dict[str, Callable[..., nn.Module]]] = {}

__all__ = ["register_operator", "get_operator", "available_operators"]


def register_operator(name: str, factory: Callable[..., nn.Module] | None = None, *, backend: str,
                      overwrite: bool = False):
    """Register ``factory(channels, **options) -> nn.Module`` as operator ``name`` of ``backend``.
    Usable as a decorator."""

    def deco(f):
        ops = _OPERATORS.setdefault(backend, {})
        if not overwrite and name in ops and ops[name] is not f:
            raise ValueError(f"operator {name!r} is already registered for backend {backend!r} (pass overwrite=True)")
        ops[name] = f
        return f

    return deco(factory) if factory is not None else deco


def available_operators(backend: str) -> list[str]:
    return sorted(_OPERATORS.get(backend, {}))


def get_operator(name: str, backend: str) -> Callable[..., nn.Module]:
    check_choice(f"operator for backend {backend!r}", name, _OPERATORS.get(backend, {}))
    return _OPERATORS[backend][name]

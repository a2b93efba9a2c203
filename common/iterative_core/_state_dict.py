"""How to load a checkpoint that does not fit a layer: in torch's error when the load is strict, else a
warning.

A module's ``_load_from_state_dict`` is not told the caller's ``strict`` (torch passes True), so the
library's modules record it in :class:`HintedLoad.load_state_dict`; a load started on a user's own
module, whose ``strict`` is unknown here, gets the hint as a warning.
"""
from __future__ import annotations

import contextvars
from typing import Any, Mapping, Optional

from ._warnings import warn_user


class _Load(list):
    """The hints given during one ``load_state_dict`` of a library module, its ``strict`` and the module
    it was called on (``root``)."""

    def __init__(self, strict: bool, root: Any = None) -> None:
        super().__init__()
        self.strict = strict
        self.root = root


_LOADING: contextvars.ContextVar[Optional[_Load]] = contextvars.ContextVar("iterative_core_load", default=None)


def loading_into() -> Any:
    """The library module whose ``load_state_dict`` is running (a model loading its layers), or None."""
    load = _LOADING.get()
    return None if load is None else load.root


def hint(message: str) -> None:
    """Say how to load a checkpoint that does not fit: in the error of a strict load started on one of
    the library's modules, else (``strict=False``, or a load started on another module) as a warning."""
    load = _LOADING.get()
    if load is not None and load.strict:
        if message not in load:
            load.append(message)
    else:
        warn_user(message)


class HintedLoad:
    """A mixin before ``nn.Module``: ``load_state_dict`` as torch's, its error (``strict=True``) followed
    by the hints (:func:`hint`) of the parameters that differ."""

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        load = _Load(bool(strict), self)
        token = _LOADING.set(load)
        try:
            return super().load_state_dict(state_dict, strict=strict, assign=assign)
        except RuntimeError as err:
            if load and err.args and isinstance(err.args[0], str):
                err.args = (err.args[0].rstrip() + "".join(f"\n\t{h}" for h in load),) + err.args[1:]
            raise
        finally:
            _LOADING.reset(token)

"""Smoothing schedules for the Krasnoselskii-Mann iteration.

A schedule is a sequence ``s_0, s_1, ...`` of smoothing factors in ``[0, 1)``; step ``k`` computes

.. math::
    z_{k+1} = s_k z_k + (1 - s_k) T(z_k).

``s = 0`` is the plain Picard iteration. The helpers below build the schedules used by the
authors of PIGN (uniform, linear, sigmoid and tanh ramps).
"""
from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Mapping, Sequence
from typing import Optional, Union

import torch

from .checks import check_int, check_real, got

Smoothing = Union[float, Sequence[float]]

__all__ = ["Smoothing", "Schedule", "uniform", "linear", "sigmoid", "tanh", "resolve_schedule"]


def _check_n(n: int, **factors: float) -> int:
    """``n`` a positive int (returned as one; a numpy integer too), and each of ``factors`` (a schedule's
    ends, its factor) in [0, 1): checked when the schedule is made, not when a layer reads it."""
    n = check_int("n (the number of steps)", n, minimum=1, where="schedule")
    for name, value in factors.items():
        check_real(name, value, low=0.0, high=1.0, high_open=True, where="schedule")
    return n


def _check_steepness(steepness: float) -> None:
    check_real("steepness", steepness, low=0.0, low_open=True, high=100.0, where="schedule")


def uniform(n: int, s: float = 0.5) -> list[float]:
    """``n`` steps of the same smoothing factor ``s``."""
    n = _check_n(n, s=s)
    return [float(s)] * n


def linear(n: int, start: float = 0.9, end: float = 0.0) -> list[float]:
    """``n`` factors evenly spaced from ``start`` to ``end`` (both included; ``n=1``: ``start``)."""
    n = _check_n(n, start=start, end=end)
    if n == 1:
        return [float(start)]
    return [start + (end - start) * k / (n - 1) for k in range(n)]


def sigmoid(n: int, start: float = 0.9, end: float = 0.1, steepness: float = 10.0) -> list[float]:
    """``n`` factors moving from ``start`` to ``end`` along a logistic curve centred mid-way
    (``steepness`` in (0, 100]; the curve never quite reaches its ends; ``n=1``: ``start``, as the other
    helpers give)."""
    n = _check_n(n, start=start, end=end)
    _check_steepness(steepness)
    if n == 1:
        return [float(start)]
    out = []
    for k in range(n):
        t = k / (n - 1)
        w = 1.0 / (1.0 + math.exp(-steepness * (t - 0.5)))
        out.append(start + (end - start) * w)
    return out


def tanh(n: int, start: float = 0.9, end: float = 0.1, steepness: float = 3.0) -> list[float]:
    """``n`` factors moving from ``start`` to ``end`` along ``tanh``; most of the change comes early
    (``steepness`` in (0, 100]; ``n=1``: ``start``, as every schedule's first step)."""
    n = _check_n(n, start=start, end=end)
    _check_steepness(steepness)
    if n == 1:
        return [float(start)]
    out = []
    for k in range(n):
        t = k / (n - 1)
        out.append(start + (end - start) * math.tanh(steepness * t) / math.tanh(steepness))
    return out


class Schedule(Sequence):
    """``n`` smoothing factors, read one step at a time: a constant (no list of ``n`` floats is ever
    built, so a cap of ``10**7`` iterations costs nothing until the steps are taken) or a checked view
    of the first ``n`` entries of a sequence. ``schedule[k]`` is the factor of step ``k``."""

    __slots__ = ("_value", "_seq", "_n")

    def __init__(self, n: int, value: Optional[float] = None, seq: Optional[Sequence[float]] = None) -> None:
        self._n, self._value, self._seq = int(n), value, seq

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, k):
        if self._seq is None and type(k) is int and 0 <= k < self._n:  # the solvers' hot path
            return self._value
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self._n))]
        k = operator.index(k)
        if k < 0:
            k += self._n
        if not 0 <= k < self._n:
            raise IndexError(f"step {k} is outside the schedule's {self._n} steps")
        return self._value if self._seq is None else float(self._seq[k])

    @property
    def constant(self) -> Optional[float]:
        """The factor of every step when the schedule is constant, else None."""
        return self._value

    def __eq__(self, other) -> bool:
        if isinstance(other, Schedule) and self._seq is None and other._seq is None:
            return self._n == other._n and (self._n == 0 or self._value == other._value)
        try:
            return len(other) == self._n and all(a == b for a, b in zip(self, other))
        except TypeError:
            return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        if self._seq is None:
            return f"Schedule({self._n} x {self._value})"
        return f"Schedule({list(self)})" if self._n <= 8 else f"Schedule([{self[0]}, ..., {self[-1]}], {self._n} steps)"


def scalar_value(smoothing, name: str, where: Optional[str]):
    """A 0-d tensor or array as its number (read once, here); anything else as given."""
    if getattr(smoothing, "ndim", None) == 0 and hasattr(smoothing, "item") and not isinstance(smoothing, numbers.Real):
        if getattr(smoothing, "requires_grad", False):
            raise TypeError(f"{f'{where}: ' if where else ''}{name} is a fixed factor, not a learned one; got a "
                            f"tensor that requires grad: pass float({name}) (its value now), or a schedule")
        return smoothing.item()
    return smoothing


def _as_sequence(smoothing, name: str, where: Optional[str]):
    """The factors of a schedule given as a sequence (list, tuple, 1-D tensor or array), or raise."""
    prefix = f"{where}: " if where else ""
    indexable = hasattr(smoothing, "__len__") and hasattr(smoothing, "__getitem__")
    if isinstance(smoothing, (str, bytes, Mapping)) or not indexable:
        extra = ""
        if hasattr(smoothing, "__iter__") and not isinstance(smoothing, (str, bytes, Mapping)):
            extra = (" A generator, iterator or set has no fixed order and length (a generator is consumed "
                     "once): pass list(...) of it.")
        raise TypeError(f"{prefix}{name} must be a float in [0, 1) or a sequence of such floats (list, tuple, "
                        f"1-D tensor), one per step; got {got(smoothing)}.{extra}")
    if hasattr(smoothing, "tolist"):  # a tensor or an array: one read now rather than one per step
        dims = smoothing.dim() if hasattr(smoothing, "dim") else getattr(smoothing, "ndim", 1)
        if dims != 1:
            raise ValueError(f"{prefix}{name} given as a tensor or array must be 1-D, got {dims} dimensions")
        if getattr(smoothing, "requires_grad", False):  # as for one factor: read now, it would learn nothing
            raise TypeError(f"{prefix}{name} is a fixed schedule, not a learned one; got a tensor that requires "
                            f"grad: pass {name}.tolist() (its values now)")
        smoothing = smoothing.tolist()
    return smoothing


def resolve_schedule(smoothing: Smoothing, max_iter: Optional[int], *, name: str = "smoothing",
                     iterations_name: str = "max_iter", where: Optional[str] = None) -> tuple[Schedule, int]:
    """Check a float or a sequence of smoothing factors and return ``(schedule, max_iter)``.

    A float is every step's factor. A sequence gives one factor per step; when ``max_iter`` is None
    its length is the number of steps, otherwise it must have at least ``max_iter`` entries (a
    shorter one is an error, never a silent cap on the iterations; the entries past ``max_iter`` are
    not used). An iterator or generator (no length; consumed once) and a string are refused.
    ``max_iter`` must be a whole number ``>= 0`` (``1.5`` is refused, not rounded).

    The schedule is a :class:`Schedule`, read step by step: a float costs nothing per step and no
    list of ``max_iter`` entries is built (the memory of a solve follows the steps taken, not its
    cap). Every factor used is checked here, once: it must lie in ``[0, 1)``. ``name``,
    ``iterations_name`` and ``where`` are how the caller names them in error messages (a layer says
    ``num_iterations``).
    """
    prefix = f"{where}: " if where else ""
    smoothing = scalar_value(smoothing, name, where)
    if max_iter is None and isinstance(smoothing, numbers.Real) and not isinstance(smoothing, bool):
        raise TypeError(f"{prefix}{iterations_name} is required when {name} is a single float "
                        f"({smoothing!r}); give {iterations_name}, or a schedule with one factor per step")
    if max_iter is not None:
        max_iter = check_int(iterations_name, max_iter, minimum=0, where=where)
    if isinstance(smoothing, bool):
        raise TypeError(f"{prefix}{name} must be a float in [0, 1) or a sequence of such floats, got a bool ({smoothing})")
    if isinstance(smoothing, numbers.Real):
        s = check_real(name, smoothing, low=0.0, high=1.0, high_open=True, where=where)
        return Schedule(max_iter, value=s), max_iter
    seq = _as_sequence(smoothing, name, where)
    if max_iter is None:
        max_iter = len(seq)
    elif len(seq) < max_iter:
        raise ValueError(
            f"{prefix}the {name} schedule has {len(seq)} entries but {iterations_name}={max_iter} steps were asked "
            f"for; give one factor per step (at least {max_iter}) or lower {iterations_name}"
        )
    for k in range(max_iter):
        v = seq[k]
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{prefix}{name} schedule entries must be floats in [0, 1); step {k} has {v!r} "
                            f"(a {type(v).__name__})")
        if not (0.0 <= v < 1.0):  # NaN fails too
            raise ValueError(f"{prefix}{name} factors must lie in [0, 1); step {k} has {v}")
    return Schedule(max_iter, seq=seq), max_iter

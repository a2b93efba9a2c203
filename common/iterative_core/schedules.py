"""Smoothing schedules for the Krasnoselskii-Mann iteration.

A schedule is a sequence ``s_0, s_1, ...`` of smoothing factors in ``[0, 1)``; step ``k`` computes

.. math::
    z_{k+1} = s_k z_k + (1 - s_k) T(z_k).

``s = 0`` is the plain Picard iteration. The helpers below build the schedules used by the
authors of PIGN (uniform, linear, sigmoid and tanh ramps).
"""
from __future__ import annotations

import math
from typing import Sequence, Union

Smoothing = Union[float, Sequence[float]]

__all__ = ["Smoothing", "uniform", "linear", "sigmoid", "tanh", "resolve_schedule"]


def _check_n(n: int) -> None:
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"a schedule needs a positive whole number of steps, got n={n!r}")


def uniform(n: int, s: float = 0.5) -> list[float]:
    """``n`` steps of the same smoothing factor ``s``."""
    _check_n(n)
    return [float(s)] * n


def linear(n: int, start: float = 0.9, end: float = 0.0) -> list[float]:
    """``n`` factors evenly spaced from ``start`` to ``end`` (both included)."""
    _check_n(n)
    if n == 1:
        return [float(start)]
    return [start + (end - start) * k / (n - 1) for k in range(n)]


def sigmoid(n: int, start: float = 0.9, end: float = 0.1, steepness: float = 10.0) -> list[float]:
    """``n`` factors moving from ``start`` to ``end`` along a logistic curve centred mid-way."""
    _check_n(n)
    out = []
    for k in range(n):
        t = 0.5 if n == 1 else k / (n - 1)
        w = 1.0 / (1.0 + math.exp(-steepness * (t - 0.5)))
        out.append(start + (end - start) * w)
    return out


def tanh(n: int, start: float = 0.9, end: float = 0.1, steepness: float = 3.0) -> list[float]:
    """``n`` factors moving from ``start`` to ``end`` along ``tanh``; most of the change comes early."""
    _check_n(n)
    out = []
    for k in range(n):
        t = 1.0 if n == 1 else k / (n - 1)
        out.append(start + (end - start) * math.tanh(steepness * t) / math.tanh(steepness))
    return out


def resolve_schedule(smoothing: Smoothing, max_iter: int | None) -> tuple[list[float], int]:
    """Turn a float or a sequence into an explicit list of ``max_iter`` factors.

    A float is repeated ``max_iter`` times. A sequence gives one factor per step; when
    ``max_iter`` is None its length is the number of steps, otherwise it must have at least
    ``max_iter`` entries (a shorter one is an error, not a silent repeat).
    """
    if isinstance(smoothing, bool):
        raise TypeError("smoothing must be a float or a sequence of floats, got a bool")
    if isinstance(smoothing, (int, float)):
        if max_iter is None:
            raise ValueError("max_iter is required when smoothing is a single float")
        sched = [float(smoothing)] * int(max_iter)
    else:
        try:
            sched = [float(s) for s in smoothing]
        except TypeError as exc:
            raise TypeError(
                f"smoothing must be a float or a sequence of floats, got {type(smoothing).__name__}"
            ) from exc
        if max_iter is None:
            max_iter = len(sched)
        elif len(sched) < max_iter:
            raise ValueError(
                f"the smoothing schedule has {len(sched)} entries but max_iter={max_iter} steps were asked for"
            )
        sched = sched[:max_iter]
    if max_iter is None or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative whole number, got {max_iter!r}")
    for k, s in enumerate(sched):
        if not (0.0 <= s < 1.0) or math.isnan(s):
            raise ValueError(f"smoothing factors must lie in [0, 1); step {k} has {s}")
    return sched, int(max_iter)

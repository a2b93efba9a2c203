"""Checks of configuration values: the building blocks of :mod:`iterative_core.config`.

One helper per kind of check, so that every option (a field of :class:`iterative_core.SolveConfig`
or :class:`iterative_core.LayerOptions`, checked once when the config is made, whether by a layer or
by ``fixed_point()``) is refused with the same kind of message: it names the argument, the value
received and what is valid. A value of the wrong type raises ``TypeError``, a value out of range
``ValueError``.
"""
from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Mapping
from typing import Any, Callable, Optional

__all__ = [
    "check_int", "check_real", "check_flag", "check_name", "check_callable", "check_mapping", "got",
]


def got(value: Any) -> str:
    """``value`` as an error message shows it: its repr and, for a value of a surprising type, the type
    (a tensor of more than one element: its dtype and shape, not its values)."""
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and hasattr(value, "dtype") and math.prod(shape) > 1:  # a tensor, an array
        dtype = str(value.dtype).replace("torch.", "")
        kind = type(value).__name__
        return f"{'an' if dtype.startswith('int') else 'a'} {dtype} {kind} of shape {tuple(shape)}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, (bool, int, float)) or value is None:
        return text
    return f"{text} (a {type(value).__name__})"


def _prefix(where: Optional[str]) -> str:
    return f"{where}: " if where else ""


def check_one_graph(num_graphs: Optional[int], where: str, rows: str = "the nodes") -> None:
    """Without a batch vector ``rows`` are one graph: ``num_graphs`` (an int or None, checked as such)
    may only be None or 1."""
    if num_graphs is not None and num_graphs != 1:
        raise ValueError(f"{where}: num_graphs={num_graphs} was given without a batch vector; without one {rows} "
                         "are one graph (num_graphs=1 or None): pass the batch vector of the graphs it counts")


#: the largest count torch indexes with (int64): beyond it torch fails inside, naming no option
INDEX_MAX = 2 ** 63 - 1


def check_int(name: str, value: Any, *, minimum: int = 0, maximum: Optional[int] = None,
              optional: bool = False, where: Optional[str] = None, maximum_name: Optional[str] = None,
              index: bool = True) -> Optional[int]:
    """Return ``value`` as an ``int`` in ``[minimum, maximum]`` (None passes when ``optional``); with
    ``index`` (a count that reaches torch) and no ``maximum``, at most 2**63 - 1, torch's index range.

    A bool, a float (even ``2.0``) or a string is a ``TypeError``: an iteration count is a whole
    number, and ``1.5`` must not quietly become ``1``."""
    valid = f"an int >= {minimum}" + (f" and <= {maximum_name or maximum}" if maximum is not None else "")
    if optional:
        valid += " or None"
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{_prefix(where)}{name} must be {valid}, got {got(value)}")
    v = operator.index(value)
    if index and maximum is None and v > INDEX_MAX:  # (torch's index range: beyond it torch fails naming no option)
        raise ValueError(f"{_prefix(where)}{name} must be {valid} and <= 2**63 - 1 (torch's index range), got {v}")
    if v < minimum or (maximum is not None and v > maximum):
        if maximum is not None and v > maximum:
            bound = f"{maximum_name}={maximum}" if maximum_name else str(maximum)
            raise ValueError(f"{_prefix(where)}{name} must be {valid}, got {v} (more than {bound})")
        raise ValueError(f"{_prefix(where)}{name} must be {valid}, got {v}")
    return v


def _interval(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "finite"


def check_real(name: str, value: Any, *, low: Optional[float] = None, high: Optional[float] = None,
               low_open: bool = False, high_open: bool = False, optional: bool = False,
               where: Optional[str] = None) -> Optional[float]:
    """Return ``value`` as a finite ``float`` in the interval given (None passes when ``optional``).

    A bool or a string (``'0.5'``) is a ``TypeError``; NaN, infinities and values outside the
    interval are ``ValueError``s."""
    valid = "a finite number" + ("" if low is None and high is None else " " + _interval(low, high, low_open, high_open))
    if optional:
        valid += " or None"
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_prefix(where)}{name} must be {valid}, got {got(value)}")
    v = float(value)
    ok = math.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        raise ValueError(f"{_prefix(where)}{name} must be {valid}, got {v!r}")
    return v


def check_flag(name: str, value: Any, *, where: Optional[str] = None) -> bool:
    """Return ``value`` if it is a bool; anything else (``1``, ``'yes'``) is a ``TypeError``."""
    if not isinstance(value, bool):
        if type(value).__module__ == "numpy" and type(value).__name__ in ("bool_", "bool"):  # numpy's (2: "bool")
            return bool(value)
        raise TypeError(f"{_prefix(where)}{name} must be True or False, got {got(value)}")
    return value


def check_name(kind: str, name: Any) -> str:
    """A registry name: a non-empty string."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a non-empty string, got {got(name)}")
    if not name.strip():
        raise ValueError(f"{kind} name must be a non-empty string, got {name!r}")
    if name != name.strip():  # ("mine " beside "mine": two entries no reader could tell apart)
        raise ValueError(f"{kind} name must not begin or end with whitespace, got {name!r}")
    return name


def check_callable(kind: str, fn: Any) -> Callable:
    if not callable(fn):
        raise TypeError(f"{kind} must be callable, got {got(fn)}")
    return fn


def check_mapping(name: str, value: Any, *, where: Optional[str] = None) -> dict:
    """``None`` or a mapping with string keys, returned as a new dict."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{_prefix(where)}{name} must be a dict of keyword options or None, got {got(value)}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{_prefix(where)}{name} must have string keys (option names), got the key {key!r}")
    return dict(value)

"""Explicit keyword checking: an unknown key is an error that lists the valid ones."""
from __future__ import annotations

import difflib
from typing import Iterable


def check_choice(kind: str, value: str, valid: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``valid``, else raise ``ValueError`` listing them (``TypeError``
    when ``value`` is not a string at all)."""
    valid = sorted(str(v) for v in valid)
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a string, one of {', '.join(map(repr, valid))}; "
                        f"got {value!r} (a {type(value).__name__})")
    if value not in valid:
        hint = difflib.get_close_matches(str(value), valid, n=1)
        extra = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"unknown {kind} {value!r}; valid: {', '.join(map(repr, valid))}.{extra}")
    return value


def check_keys(where: str, given: Iterable[str], valid: Iterable[str]) -> None:
    """Raise ``TypeError`` naming every key of ``given`` that is not in ``valid``."""
    valid = sorted(set(valid))
    unknown = [k for k in given if k not in valid]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, valid, n=1)
            if close:
                hints.append(f"{k!r} -> {close[0]!r}?")
        extra = f" ({'; '.join(hints)})" if hints else ""
        raise TypeError(
            f"{where} got unknown keyword(s) {', '.join(map(repr, unknown))}{extra}; "
            f"valid keywords: {', '.join(valid)}"
        )

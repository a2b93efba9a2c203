"""Explicit keyword checking: an unknown key is an error that lists the valid ones."""
from __future__ import annotations

import difflib
from typing import Iterable, Optional


#: what ``fixed_point`` and the layers call by different names
_SAME_MEANING = {"max_iter": "num_iterations", "num_iterations": "max_iter"}

#: the packages whose layer and model classes refuse an option set where nothing reads it (a layer's
#: max_iter, a convolution's option on the model); a subclass of your own may use the names
_LIBRARY_PACKAGES = ("pyg_iterative", "dgl_iterative", "iterative_core")


def library_name(obj: object, name: str) -> bool:
    """Whether attribute ``name`` of ``obj`` is the library's to guard: ``obj``'s class is one of the
    library's own (not a subclass of yours) and does not define ``name`` (a property, say)."""
    return type(obj).__module__.split(".")[0] in _LIBRARY_PACKAGES and not hasattr(type(obj), name)


def closest(value: str, valid: Iterable[str]) -> Optional[str]:
    """The valid name the user most likely meant: the same letters in another case (``PICARD`` ->
    ``picard``), a close spelling (``solver_opts`` -> ``solver_options``), else one that the value
    starts with or that starts with it (three letters at least: ``tolerance`` -> ``tol``), else a
    looser spelling."""
    valid = list(valid)
    value = str(value)
    if _SAME_MEANING.get(value) in valid:
        return _SAME_MEANING[value]
    same_letters = [v for v in valid if v.casefold() == value.casefold()]
    if same_letters:  # PICARD -> picard, IMPLICIT -> implicit
        return same_letters[0]
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.8)
    if close:
        return close[0]
    prefixed = [v for v in valid if min(len(v), len(value)) >= 3 and (value.startswith(v) or v.startswith(value))]
    if prefixed:
        return max(prefixed, key=len)
    close = difflib.get_close_matches(value, valid, n=1)
    return close[0] if close else None


def check_new_name(kind: str, name: str, registered: Iterable[str]) -> None:
    """Refuse registering ``name`` beside a registered name that differs from it only in case
    (``"Anderson"`` beside ``"anderson"``): two entries a reader cannot tell apart, and a lookup
    that picks one by the letters' case."""
    same = [r for r in registered if r != name and r.casefold() == name.casefold()]
    if same:
        raise ValueError(f"{kind} {name!r} differs only in case from the registered {same[0]!r}; register it "
                         f"as {same[0]!r} (with overwrite=True to replace it) or choose another name")


def check_choice(kind: str, value: str, valid: Iterable[str], *, where: Optional[str] = None) -> str:
    """Return ``value`` if it is one of ``valid``, else raise ``ValueError`` listing them (``TypeError``
    when ``value`` is not a string at all); ``where`` (the owner's name) starts the message."""
    valid = sorted(str(v) for v in valid)
    at = f"{where}: " if where else ""
    if not isinstance(value, str):
        raise TypeError(f"{at}{kind} must be a string, one of {', '.join(map(repr, valid))}; "
                        f"got {value!r} (a {type(value).__name__})")
    if value not in valid:
        hint = closest(value, valid)
        extra = f" Did you mean {hint!r}?" if hint else ""
        raise ValueError(f"{at}unknown {kind} {value!r}; valid: {', '.join(map(repr, valid))}.{extra}")
    return value


class UnknownKeywords(TypeError):
    """Keywords that are not among the valid ones: ``unknown``, ``valid`` (sorted) and ``where``
    (the owner's name that starts the message), so that an owner that passes keywords on (a model to
    its layer) can name its own keywords too."""

    def __init__(self, where: str, unknown: list, valid: list) -> None:
        self.where, self.unknown, self.valid = where, list(unknown), sorted(set(valid))
        hints = [f"{k!r} -> {close!r}?" for k in self.unknown for close in (closest(k, self.valid),) if close]
        extra = f" ({'; '.join(hints)})" if hints else ""
        super().__init__(f"{where} got unknown keyword(s) {', '.join(map(repr, self.unknown))}{extra}; "
                         + (f"valid keywords: {', '.join(self.valid)}" if self.valid else "it takes no keywords"))


def check_keys(where: str, given: Iterable[str], valid: Iterable[str]) -> None:
    """Raise :class:`UnknownKeywords` (a ``TypeError``) naming every key of ``given`` that is not in
    ``valid``, with the valid one each most likely meant."""
    valid = sorted(set(valid))
    unknown = [k for k in given if k not in valid]
    if unknown:
        raise UnknownKeywords(where, unknown, valid)

"""Warnings given once (per config, per operator) are given again where a warnings filter hid them,
and raise at every call where a filter turns them into errors, as Python's own warnings do."""
from __future__ import annotations

import warnings

import pytest
import torch

import iterative_core as ic
from iterative_core import SolveConfig
from iterative_core._warnings import _filter_action, warn_user

_DOUBT = "solver='anderson' with grad='unrolled'"


def _solve(cfg: SolveConfig, w: torch.Tensor) -> None:
    ic.fixed_point(lambda z: w * z + 1.0, torch.zeros(3), config=cfg)


def test_a_warning_a_filter_ignored_is_given_once_the_filter_is_lifted():
    w = torch.tensor(0.5, requires_grad=True)
    cfg = SolveConfig(max_iter=5, solver="anderson")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a warm-up run with the warnings hidden
        _solve(cfg, w)
    with pytest.warns(UserWarning, match=_DOUBT):
        _solve(cfg, w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _solve(cfg, w)  # shown once: not again


def test_a_warning_turned_into_an_error_raises_at_every_call():
    w = torch.tensor(0.5, requires_grad=True)
    cfg = SolveConfig(max_iter=5, solver="anderson")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            with pytest.raises(UserWarning, match=_DOUBT):
                _solve(cfg, w)


def test_an_inert_option_hidden_by_a_filter_on_its_message_is_warned_about_later():
    cfg = SolveConfig(max_iter=5, min_iter=2)  # min_iter has no effect without a tol
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"fixed_point\(\): min_iter")
        ic.fixed_point(lambda z: 0.5 * z + 1.0, torch.zeros(3), config=cfg)
    with pytest.warns(UserWarning, match="min_iter=2 has no effect"):
        ic.fixed_point(lambda z: 0.5 * z + 1.0, torch.zeros(3), config=cfg)


@pytest.mark.parametrize("filters, shown", [
    ([], True),
    ([("ignore", {})], False),
    ([("ignore", {"category": DeprecationWarning})], True),
    ([("ignore", {"message": "other"})], True),
    ([("ignore", {"message": "hid"})], False),
    ([("ignore", {"module": "someone_else"})], True),
    ([("ignore", {"module": __name__})], False),  # the user's module: this test's
    ([("always", {}), ("ignore", {})], False),  # the filter added last comes first
    ([("ignore", {}), ("always", {})], True),
])
def test_whether_a_warning_was_shown_follows_the_filters_as_warnings_does(filters, shown):
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        for action, kw in filters:
            warnings.filterwarnings(action, **kw)
        assert warn_user("hidden or shown") is shown
    assert len(caught) == shown  # what warnings.warn itself did


def test_the_default_action_applies_where_no_filter_matches():
    with warnings.catch_warnings():
        warnings.resetwarnings()
        assert _filter_action("x", UserWarning, "m", 1) == warnings.defaultaction

"""The solve's options in one place: :class:`iterative_core.SolveConfig` (and the layer's
:class:`iterative_core.LayerOptions`), checked once, frozen, and the source of the keyword lists,
the layers' attributes, their repr and the docs' option table."""
from __future__ import annotations

import copy
import dataclasses
import pickle
import warnings

import pytest
import torch

import iterative_core as ic
from iterative_core import LayerOptions, SolveConfig
from iterative_core.config import option_names


class Dense(ic.IterativeLayerBase):
    """The smallest layer: :math:`T(z) = \\sigma(A z)` with a dense ``A``."""

    def forward(self, x, A, return_info=False):
        z, info = self._solve(lambda z: A @ z, x)
        return (z, info) if return_info else z


def _contraction(z):
    return 0.5 * z + 1.0


def _fields(cls):
    return [f.name for f in dataclasses.fields(cls)]


# --- derived lists and tables ----------------------------------------------------------------------
def test_keyword_lists_are_derived_from_the_fields():
    assert ic.FIXED_POINT_KEYS == tuple(_fields(SolveConfig)) + ("config", "batch", "num_graphs", "returned_dtype")
    layer_solve = set(option_names(SolveConfig, layer=True)) - {"max_iter"}
    assert layer_solve | set(_fields(LayerOptions)) | {"num_iterations", "act", "act_lipschitz", "config"} \
        == set(ic.ITERATION_KEYS)
    assert len(set(ic.ITERATION_KEYS)) == len(ic.ITERATION_KEYS)
    # the headline (positional) arguments come first, in their order
    assert ic.ITERATION_KEYS[:5] == ("num_iterations", "smoothing", "tol", "act", "dropout")


def test_the_options_table_lists_every_field_with_type_default_and_meaning():
    table = ic.options_table(SolveConfig, LayerOptions)
    lines = table.strip().splitlines()
    assert lines[0] == "| option | type | default | meaning |"
    rows = {line.split("|")[1].strip().strip("`"): [c.strip() for c in line.split("|")[2:5]] for line in lines[2:]}
    assert list(rows) == _fields(SolveConfig) + _fields(LayerOptions)
    for cls in (SolveConfig, LayerOptions):
        for f in dataclasses.fields(cls):
            type_text, default, meaning = rows[f.name]
            assert type_text and meaning and meaning == f.metadata["doc"].replace("|", "\\|"), f.name
            assert default == f"`{f.default!r}`"
    assert rows["tol"][0] == "float or None" and rows["solver_options"][0] == "dict"
    # one line per option: a Markdown table has no line breaks inside a row
    assert all(line.count("|") == 5 for line in lines)
    assert ic.options_table() == ic.options_table(SolveConfig)
    assert "| `num_iterations` |" in ic.options_table(rename={"max_iter": "num_iterations"})
    assert "| `num_iterations` / `max_iter` |" in ic.options_table(rename={"max_iter": "num_iterations / max_iter"})


# --- the config object -----------------------------------------------------------------------------
def test_a_config_is_checked_once_frozen_and_normalised():
    schedule = [0.5, 0.4, 0.3]
    cfg = SolveConfig(max_iter=3, smoothing=schedule, tol=1, solver="anderson", solver_options={"m": 2})
    assert cfg.tol == 1.0 and isinstance(cfg.tol, float) and cfg.smoothing == (0.5, 0.4, 0.3)
    schedule[0] = 2.0  # the config took a copy: it cannot change after it was checked
    assert cfg.smoothing[0] == 0.5 and cfg.schedule()[0][0] == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.tol = 0.1
    with pytest.raises(TypeError):
        cfg.solver_options["m"] = 3  # read-only, yet a mapping like a dict
    assert dict(cfg.solver_options) == {"m": 2} and cfg.solver_options == {"m": 2}
    assert cfg.as_dict()["solver_options"] == {"m": 2}
    with pytest.raises(ValueError, match=r"SolveConfig: tol must be a finite number >= 0 or None, got -1\.0"):
        SolveConfig(tol=-1)
    with pytest.raises(ValueError, match=r"SolveConfig: min_iter must be .* <= max_iter, got 5"):
        SolveConfig(max_iter=3, min_iter=5)
    with pytest.raises(TypeError, match=r"SolveConfig got unknown keyword\(s\) 'tl' \('tl' -> 'tol'\?\)"):
        SolveConfig(tl=1e-3)
    # replace() checks again
    assert cfg.replace(tol=None).tol is None
    with pytest.raises(ValueError, match=r"unknown stopping rule \(stop\) 'nope'"):
        dataclasses.replace(cfg, stop="nope")


def test_a_config_without_a_count_is_completed_by_the_call():
    cfg = SolveConfig(tol=1e-8, smoothing=0.0)  # no max_iter: fine as a shared set of options
    with pytest.raises(TypeError, match=r"fixed_point\(\): max_iter is required when smoothing is a single float"):
        ic.fixed_point(_contraction, torch.zeros(3), config=cfg)
    z, info = ic.fixed_point(_contraction, torch.zeros(3), config=cfg, max_iter=100)
    assert info.status == "converged" and torch.allclose(z, torch.full((3,), 2.0))
    # a schedule gives the count
    z, info = ic.fixed_point(_contraction, torch.zeros(3), config=SolveConfig(smoothing=[0.0] * 4))
    assert info.iterations == 4


def test_repr_equality_hash_pickle_and_deepcopy():
    cfg = SolveConfig(max_iter=5, solver="anderson", solver_options={"m": 3}, on_divergence="raise")
    assert repr(cfg) == "SolveConfig(max_iter=5, solver='anderson', solver_options={'m': 3}, on_divergence='raise')"
    assert repr(SolveConfig()) == "SolveConfig()" and repr(LayerOptions(dropout=0.1)) == "LayerOptions(dropout=0.1)"
    again = pickle.loads(pickle.dumps(cfg))
    assert again == cfg and hash(again) == hash(cfg) and copy.deepcopy(cfg) == cfg
    assert isinstance(again.solver_options, type(cfg.solver_options))  # read-only again
    assert again.schedule()[1] == 5
    assert cfg != cfg.replace(tol=1e-3) and len({cfg, again}) == 1


def test_a_config_sets_a_smoothing_only_when_given_one_and_its_copies_keep_it():
    """Whether a config set a smoothing was kept beside its fields, so that configs that compared equal
    (dataclasses.replace's copy, SolveConfig(**c.as_dict())) built layers of different smoothing: the
    default 0.5 read as unset, and a PIGNConv took its form's 0.3. Unset is now a value, None."""
    from torch_geometric.nn import GCNConv

    from pyg_iterative import IterativeConv, PIGNConv

    assert SolveConfig().smoothing is None and SolveConfig.defaults()["smoothing"] is None
    for layer in (PIGNConv(8), IterativeConv(GCNConv(8, 8))):  # a layer's smoothing is a value: None is refused
        for assign in (lambda: setattr(layer, "smoothing", None), lambda: layer.configure(smoothing=None)):
            with pytest.raises(TypeError, match=r"smoothing must be a float in \[0, 1\) .*; got None"):
                assign()
    with pytest.raises(TypeError, match=r"^IterativeConv: smoothing must be a float in \[0, 1\) .*; got None"):
        IterativeConv(GCNConv(8, 8), smoothing=None)
    cfg = SolveConfig(smoothing=0.5, tol=1e-3)
    assert cfg != SolveConfig(tol=1e-3) and repr(cfg) == "SolveConfig(tol=0.001, smoothing=0.5)"
    copies = (cfg.replace(tol=1e-4), dataclasses.replace(cfg, tol=1e-4), SolveConfig(**{**cfg.as_dict(), "tol": 1e-4}),
              pickle.loads(pickle.dumps(cfg.replace(tol=1e-4))), copy.deepcopy(cfg.replace(tol=1e-4)))
    for made in copies:
        assert made == copies[0] and made.smoothing == 0.5
        assert PIGNConv(8, config=made).smoothing == 0.5  # the config's, not the form's
    assert PIGNConv(8, config=SolveConfig(tol=1e-3)).smoothing == 0.3  # none set: the form's
    # fixed_point smooths by 0.5 when none is set: the same steps as with smoothing=0.5
    f = lambda z: 0.5 * z + 1  # noqa: E731
    a, _ = ic.fixed_point(f, torch.zeros(3), config=SolveConfig(max_iter=5))
    b, _ = ic.fixed_point(f, torch.zeros(3), config=SolveConfig(max_iter=5, smoothing=0.5))
    assert torch.equal(a, b)
    # states pickled by an earlier version, which kept the given fields beside a default smoothing of 0.5
    # (and before that, without them: a 0.5 is the default)
    for smoothing, given, loaded in ((0.3, {"smoothing"}, 0.3), (0.5, {"smoothing"}, 0.5), (0.5, {"tol"}, None),
                                     (0.5, None, None), (0.3, None, 0.3), (0.5, "absent", None), (0.3, "absent", 0.3)):
        state = {**SolveConfig(tol=1e-3).__getstate__(), "smoothing": smoothing, "_given": given}
        del state["_state_version"]
        if given == "absent":
            del state["_given"]
        old = SolveConfig.__new__(SolveConfig)  # as unpickling makes it
        old.__setstate__(state)
        assert old == SolveConfig(tol=1e-3, smoothing=loaded) and "_given" not in vars(old), (smoothing, given)
        assert "_state_version" not in vars(old)


def test_the_solver_options_reach_the_solver_after_replace_pickle_and_deepcopy():
    cfg = SolveConfig(max_iter=6, smoothing=0.0, solver="anderson", solver_options={"m": 1})
    other = cfg.replace(solver_options={"m": 4})
    z1, _ = ic.fixed_point(_contraction, torch.zeros(3), config=cfg)
    z4, _ = ic.fixed_point(_contraction, torch.zeros(3), config=other)
    assert not torch.equal(z1, z4)  # the memory changes the iterates
    for again in (pickle.loads(pickle.dumps(other)), copy.deepcopy(other)):
        assert torch.equal(ic.fixed_point(_contraction, torch.zeros(3), config=again)[0], z4)


@pytest.mark.parametrize("given, meant", [("tolerance", "tol"), ("tolerence", "tol"), ("tl", "tol"),
                                           ("num_iteration", "num_iterations"), ("smoothing_", "smoothing"),
                                           ("on_diverge", "on_divergence"), ("solver_opts", "solver_options"),
                                           ("backward_solver_opts", "backward_solver_options"),
                                           ("max_iter", "num_iterations")])
def test_an_unknown_keyword_suggests_the_option_it_starts_with_or_spells_like(given, meant):
    """A name that starts with a valid one (``tolerance``) used to be matched by spelling alone, to
    ``trace`` or ``on_divergence``."""
    with pytest.raises(TypeError, match=rf"\('{given}' -> '{meant}'\?\)"):
        pytest.importorskip("pyg_iterative").PIGNConv(4, **{given: 1})


@pytest.mark.parametrize("field, given, meant", [("solver", "PICARD", "picard"), ("grad", "IMPLICIT", "implicit"),
                                                  ("stop", "ABS", "abs"), ("on_divergence", "Raise", "raise")])
def test_a_choice_in_another_case_suggests_the_valid_one(field, given, meant):
    """An all-capital name matched no valid one by spelling: no suggestion at all (and the message,
    unlike the other checks', did not name the caller)."""
    with pytest.raises(ValueError, match=rf"^SolveConfig: unknown .*'{given}'.*Did you mean '{meant}'\?"):
        SolveConfig(**{field: given})
    # each caller names itself
    with pytest.raises(ValueError, match=rf"^fixed_point\(\): unknown .*'{given}'.*Did you mean '{meant}'\?"):
        ic.fixed_point(_contraction, torch.zeros(3), max_iter=3, **{field: given})
    with pytest.raises(ValueError, match=rf"^PIGNConv: unknown .*'{given}'.*Did you mean '{meant}'\?"):
        pytest.importorskip("pyg_iterative").PIGNConv(4, **{field: given})


@pytest.mark.parametrize("make", [lambda: SolveConfig(tolerance=1e-3), lambda: SolveConfig().replace(tolerance=1e-3)],
                         ids=["constructor", "replace"])
def test_a_config_object_names_an_unknown_key_and_the_option_meant(make):
    """It used to be the dataclass's own TypeError, with neither the valid keys nor a suggestion."""
    with pytest.raises(TypeError, match=r"^SolveConfig got unknown keyword\(s\) 'tolerance' \('tolerance' -> 'tol'\?\); "
                                        r"valid keywords: .*max_iter"):
        make()


def test_a_solver_without_options_says_so():
    with pytest.raises(TypeError, match=r"^fixed_point\(\): solver_options of solver 'picard': got unknown keyword\(s\) "
                                        r"'m'; it takes no keywords$"):
        ic.fixed_point(_contraction, torch.zeros(3), solver_options={"m": 5})


# --- fixed_point() ---------------------------------------------------------------------------------
def test_fixed_point_takes_a_config_and_options_override_it():
    cfg = SolveConfig(max_iter=100, tol=1e-6, smoothing=0.0)
    _, a = ic.fixed_point(_contraction, torch.zeros(3), config=cfg)
    _, b = ic.fixed_point(_contraction, torch.zeros(3), max_iter=100, tol=1e-6, smoothing=0.0)
    assert a.iterations == b.iterations and a.status == b.status == "converged"
    _, c = ic.fixed_point(_contraction, torch.zeros(3), config=cfg, max_iter=3, on_nonconvergence="ignore")
    assert c.iterations == 3 and c.status == "max_iter"
    with pytest.raises(TypeError, match=r"fixed_point\(\) got unknown keyword\(s\) 'tl' \('tl' -> 'tol'\?\); "
                                        r"valid keywords: .*max_iter"):
        ic.fixed_point(_contraction, torch.zeros(3), config=cfg, tl=1e-3)
    with pytest.raises(ValueError, match=r"fixed_point\(\): tol must be"):
        ic.fixed_point(_contraction, torch.zeros(3), config=cfg, tol=-1.0)
    with pytest.raises(TypeError, match=r"fixed_point\(\): config must be an iterative_core.SolveConfig, got \{"):
        ic.fixed_point(_contraction, torch.zeros(3), config={"tol": 1e-3})


@pytest.mark.parametrize("options, named", [
    (dict(min_iter=2), r"min_iter=2 has no effect without a tol \(tol=None runs exactly max_iter steps\)"),
    (dict(check_every=3), r"check_every=3 has no effect without a tol"),
    (dict(backward_tol=1e-6), r"backward_tol=1e-06 has no effect with grad='unrolled' \(it sets the adjoint solve"),
    (dict(grad="phantom", backward_max_iter=5), r"backward_max_iter=5 has no effect with grad='phantom'"),
    (dict(backward_solver="anderson"), r"backward_solver='anderson' has no effect with grad='unrolled'"),
    (dict(grad="implicit", tol=1e-6, phantom_steps=3), r"phantom_steps=3 has no effect with grad='implicit'"),
    # a tol never tested, a raise that cannot come, steps the gradient cannot go beyond
    (dict(tol=1e-6, check_every=6), r"tol=1e-06 has no effect with check_every=6 above max_iter=5"),
    (dict(on_nonconvergence="raise"), r"on_nonconvergence='raise' has no effect without a tol \(nothing to reach"),
    (dict(grad="implicit", on_nonconvergence="raise", on_divergence="ignore"),  # (nothing read back: no point check)
     r"on_nonconvergence='raise' has no effect without a tol and with on_divergence='ignore'"),
    (dict(grad="phantom", phantom_steps=6), r"phantom_steps=6 has no effect beyond max_iter=5 \(the gradient goes "
                                            r"through every step, as grad='unrolled', but none to z0\)"),
    (dict(solver="anderson", solver_options={"beta": 0.5}, smoothing=0.3),
     r"smoothing=0.3 has no effect with solver='anderson' and its beta=0.5 \(beta mixes each step in its place"),
])
def test_an_option_that_has_no_effect_is_warned_about_once_per_config(options, named):
    options = {"on_nonconvergence": "ignore", **options}
    with pytest.warns(UserWarning, match=r"fixed_point\(\): .*" + named):
        ic.fixed_point(_contraction, torch.zeros(3), max_iter=5, **options)
    cfg = SolveConfig(max_iter=5, **options)  # made alone: not yet used, no warning
    with pytest.warns(UserWarning, match=named):
        ic.fixed_point(_contraction, torch.zeros(3), config=cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ic.fixed_point(_contraction, torch.zeros(3), config=cfg)  # the same config again: warned already


@pytest.mark.parametrize("options", [
    dict(tol=1e-6, min_iter=2, check_every=3), dict(grad="implicit", tol=1e-6, backward_tol=1e-8, backward_max_iter=9),
    dict(grad="phantom", phantom_steps=3), dict(stop="abs"),  # stop also sets the per-graph residuals
    dict(tol=1e-6, check_every=50), dict(grad="implicit", on_nonconvergence="raise"),
    dict(grad="phantom", phantom_steps=50),
    dict(solver="anderson", solver_options={"beta": 0.5}), dict(solver="anderson", solver_options={"beta": 0.5},
                                                                smoothing=0.0),
    dict(solver="anderson", smoothing=0.3),  # beta None: the smoothing sets the mixing
])
def test_options_that_apply_are_not_warned_about(options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ic.fixed_point(_contraction, torch.zeros(3), max_iter=50, **{"on_nonconvergence": "ignore", **options})


def test_anderson_with_an_unrolled_gradient_is_warned_about_where_a_gradient_is_recorded():
    w = torch.tensor(0.5, requires_grad=True)

    def f(z):
        return w * z + 1.0

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torch.no_grad():  # evaluation: no gradient, nothing to warn about
            ic.fixed_point(f, torch.zeros(3), max_iter=5, solver="anderson")
        ic.fixed_point(f, torch.zeros(3), max_iter=50, tol=1e-6, solver="anderson", grad="implicit")
    cfg = SolveConfig(max_iter=5, solver="anderson")
    with pytest.warns(UserWarning, match=r"fixed_point\(\): solver='anderson' with grad='unrolled' backpropagates "
                                         r"through Anderson's least-squares mixing.*Use grad='implicit'") as record:
        ic.fixed_point(f, torch.zeros(3), config=cfg)
    assert record[0].filename == __file__  # the user's line, not the library's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ic.fixed_point(f, torch.zeros(3), config=cfg)  # once per config


def test_validation_runs_once_per_construction(monkeypatch):
    made = []
    post_init = SolveConfig.__post_init__

    def counting(self, *args):
        made.append(self)
        post_init(self, *args)

    monkeypatch.setattr(SolveConfig, "__post_init__", counting)
    cfg = SolveConfig(max_iter=4)
    assert len(made) == 1
    ic.fixed_point(_contraction, torch.zeros(3), config=cfg)  # used as it is
    assert len(made) == 1
    ic.fixed_point(_contraction, torch.zeros(3), config=cfg, stop="abs")  # one checked copy
    assert len(made) == 2
    layer = Dense(3, num_iterations=4, tol=1e-3, eval_iterations=6, on_nonconvergence="ignore")
    assert len(made) == 3
    A = torch.eye(3) * 0.5
    for mode in (layer.train, layer.eval):
        mode()
        layer(torch.randn(3, 3), A)
    assert len(made) == 3  # the forward passes hand their config to fixed_point() unchecked


def test_the_layer_hands_its_config_to_fixed_point(monkeypatch):
    layer_module = __import__("sys").modules["iterative_core.layer"]
    seen = []
    real = layer_module.fixed_point

    def spy(f, z0, **kw):
        seen.append(kw)
        return real(f, z0, **kw)

    monkeypatch.setattr(layer_module, "fixed_point", spy)
    layer = Dense(3, num_iterations=4, eval_iterations=7)
    layer(torch.randn(3, 3), torch.eye(3) * 0.5)
    layer.eval()
    layer(torch.randn(3, 3), torch.eye(3) * 0.5)
    assert seen[0]["config"] is layer.config and set(seen[0]) == {"config", "batch", "num_graphs", "returned_dtype"}
    assert seen[0]["returned_dtype"] is None  # (a half-precision layer iterated in float32 names its own)
    assert seen[1]["config"].max_iter == 7 and seen[1]["config"].tol is layer.config.tol


# --- layers ------------------------------------------------------------------------------------------
def test_every_layer_option_is_a_keyword_and_an_attribute():
    defaults = {**SolveConfig.defaults(), **LayerOptions.defaults()}
    for name in option_names(SolveConfig, layer=True) + option_names(LayerOptions):
        key = "num_iterations" if name == "max_iter" else name
        value = {"max_iter": 5, "smoothing": 0.5}.get(name, defaults[name])  # (a layer's smoothing is a value)
        layer = Dense(3, **{key: value})
        assert getattr(layer, key) == value, name
        # a plain attribute (what torch.compile reads as a constant), assigned through configure()
        assert key in vars(layer) and key in type(layer)._exposed_options, name


def test_a_layer_takes_a_config_and_its_keywords_override_it():
    shared = SolveConfig(tol=1e-4, solver="anderson", solver_options={"m": 3}, on_nonconvergence="ignore")
    layer = Dense(3, 6, config=shared, stop="abs")
    assert (layer.num_iterations, layer.tol, layer.solver, layer.stop) == (6, 1e-4, "anderson", "abs")
    assert layer.config == shared.replace(max_iter=6, stop="abs", smoothing=0.5)  # (the layer's smoothing)
    assert Dense(3, 6, tol=1e-2, config=shared).tol == 1e-2  # tol=None (the default) keeps the config's
    z, info = Dense(3, 30, config=shared)(torch.randn(3, 3), torch.eye(3) * 0.5, return_info=True)
    assert info.solver == "anderson" and info.tol == 1e-4
    # the layer's schedule is its own: a config that sets another is refused, never silently replaced
    with pytest.raises(ValueError, match=r"Dense: config.max_iter=20 but num_iterations=8; .* pass num_iterations=20"):
        Dense(3, config=SolveConfig(max_iter=20))
    with pytest.raises(ValueError, match=r"Dense: config.smoothing=0.3 but smoothing=0.5"):
        Dense(3, config=SolveConfig(smoothing=0.3))
    assert Dense(3, 20, 0.3, config=SolveConfig(max_iter=20, smoothing=0.3)).smoothing == 0.3
    with pytest.raises(ValueError, match=r"Dense: config.smoothing=0.5 but smoothing=0.3"):
        Dense(3, 8, 0.3, config=SolveConfig(smoothing=0.5))  # set to the default is set
    with pytest.raises(TypeError, match=r"Dense: config must be an iterative_core.SolveConfig"):
        Dense(3, config={"tol": 1e-3})
    with pytest.raises(TypeError, match=r"Dense got unknown keyword\(s\) 'max_iter'.*valid keywords: .*num_iterations"):
        Dense(3, max_iter=3)


def test_setting_an_attribute_replaces_the_config_with_a_checked_copy():
    layer = Dense(3, 4, tol=1e-3, on_nonconvergence="ignore")
    before = layer.config
    layer.on_divergence = "raise"
    assert layer.config is not before and layer.config == before.replace(on_divergence="raise")
    assert before.on_divergence == "warn"  # the old config is unchanged (frozen)
    with pytest.raises(ValueError, match=r"Dense: min_iter must be an int >= 0 and <= num_iterations, got 9"):
        layer.min_iter = 9
    with pytest.raises(ValueError, match=r"unknown on_divergence policy 'loud'"):
        layer.on_divergence = "loud"
    assert layer.min_iter == 0 and layer.on_divergence == "raise"  # a refused value changes nothing
    layer.num_iterations = 2
    _, info = layer(torch.randn(3, 3), torch.eye(3) * 0.5, return_info=True)
    assert layer.config.max_iter == 2 and info.iterations <= 2
    # the layer's own options, and the eval schedule checked against them
    layer.eval_iterations = 5
    assert layer.layer_options.eval_iterations == 5 and layer._eval_config.max_iter == 5
    with pytest.raises(ValueError, match=r"smoothing schedule has 3 entries but eval_iterations=5"):
        layer.smoothing = [0.5] * 3
    with pytest.raises(ValueError, match=r"dropout must be a finite number in \[0, 1\), got 1\.0"):
        layer.dropout = 1.0
    # several options at once, checked together (one at a time would refuse Anderson's m for Picard)
    layer = Dense(3, solver="anderson", solver_options={"m": 2})
    with pytest.raises(TypeError, match=r"^Dense: solver_options of solver 'picard': got unknown keyword\(s\) 'm'"):
        layer.solver = "picard"
    layer.configure(solver="picard", solver_options={}, tol=1e-4)
    assert (layer.solver, dict(layer.solver_options), layer.tol) == ("picard", {}, 1e-4)
    with pytest.raises(TypeError, match=r"Dense.configure\(\) got unknown keyword\(s\) 'act'"):
        layer.configure(act="tanh")


@pytest.mark.parametrize("name,value", [("act", "tanh"), ("act_lipschitz", -1.0), ("act_fn", torch.tanh),
                                        ("channels", 5)])
def test_what_the_layer_is_built_with_cannot_be_assigned_another_value(name, value):
    """``layer.act = "tanh"`` changed the repr while the layer went on with ReLU; ``act_lipschitz = -1``
    (refused when built) turned contraction='s budget negative, a sign flip of the weight."""
    layer = Dense(3, contraction=0.5)
    before = getattr(layer, name)
    keyword = "act" if name == "act_fn" else name  # (the constructor's keyword)
    with pytest.raises(AttributeError, match=rf"Dense: {name} is fixed when the layer is built \(it is .*build a "
                                             rf"new layer with {keyword}="):
        setattr(layer, name, value)
    assert getattr(layer, name) is before
    setattr(layer, name, before)  # (the value it has: nothing changes)


def test_layer_repr_shows_the_options_that_differ_from_their_defaults():
    layer = Dense(3, 4, 0.0, 1e-3, "tanh", 0.1, solver="anderson", grad="implicit", inject_input=True,
                  on_nonconvergence="ignore", eval_iterations=9)
    assert layer._iteration_repr() == (
        "num_iterations=4, smoothing=0.0, tol=0.001, solver='anderson', grad='implicit', "
        "on_nonconvergence='ignore', act='tanh', dropout=0.1, eval_iterations=9, inject_input=True")
    assert Dense(3)._iteration_repr() == "num_iterations=8, smoothing=0.5"


def test_a_layer_pickles_and_deep_copies_with_its_config():
    layer = Dense(3, 5, solver="anderson", solver_options={"m": 2}, eval_smoothing=[0.1] * 5)
    x, A = torch.randn(3, 3), torch.eye(3) * 0.5
    out = layer(x, A)
    for other in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert other.config == layer.config and other.layer_options == layer.layer_options
        assert torch.equal(other(x, A), out)
        other.tol = 1e-3  # the copies are independent
        assert layer.tol is None
    assert set(layer.state_dict()) == set()  # configuration is not state


def test_divergence_growth_is_a_layer_option():
    layer = Dense(3, 8, 0.0, act="identity", divergence_growth=10, on_divergence="ignore")
    assert layer.divergence_growth == 10.0 and "divergence_growth=10.0" in layer._iteration_repr()
    # 8 steps of z -> 1.5 z: the step grows 1.5**7 = 17-fold, a divergence at 10, not at the default 1e3
    x, A = torch.ones(3, 3), torch.eye(3) * 1.5
    _, info = layer(x, A, return_info=True)
    assert info.diverged and info.divergence_reason == "residual"
    layer.divergence_growth = 1e3
    _, info = layer(x, A, return_info=True)
    assert not info.diverged
    with pytest.raises(ValueError, match=r"Dense: divergence_growth must be a finite number >= 1, got 0\.5"):
        layer.divergence_growth = 0.5


def test_an_option_marked_layer_false_stays_off_the_layers():
    from iterative_core.config import expose, mirror_options, option

    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class Extended(SolveConfig):
        callback_every: int = option(3, "a fixed_point()-only option", layer=False)

    assert "callback_every" in option_names(Extended) and "callback_every" not in option_names(Extended, layer=True)

    @expose(Extended, "_cfg")
    class Holder:
        _cfg = Extended(tol=1e-3)

    holder = Holder()
    mirror_options(holder)
    assert holder.tol == 1e-3 and not hasattr(holder, "callback_every")
    assert Extended(callback_every=5).callback_every == 5


def test_the_adapters_route_config_and_every_solve_option_to_the_iteration():
    pytest.importorskip("torch_geometric")
    from pyg_iterative import IterativeConv, PIGNConv
    from torch_geometric.nn import GraphConv

    shared = SolveConfig(tol=1e-5, solver="anderson", on_nonconvergence="ignore", divergence_growth=50)
    ei = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    conv = PIGNConv(4, num_iterations=30, config=shared, contraction=0.9, alpha=0.2, form="appnp")
    assert conv.config == shared.replace(max_iter=30, smoothing=0.0) and conv.operator.alpha == 0.2
    _, info = conv(torch.randn(4, 4), ei, return_info=True)
    assert info.solver == "anderson" and info.tol == 1e-5
    assert "divergence_growth=50.0" in repr(conv)
    it = IterativeConv(GraphConv(4, 4), 5, config=shared, grad="implicit")
    assert (it.solver, it.grad, it.num_iterations) == ("anderson", "implicit", 5)


def test_the_readme_lists_every_option_as_the_config_defines_it():
    """The README's options table is the generated one: a new or changed option shows there."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("<!-- options:start -->\n", 1)[1].split("<!-- options:end -->", 1)[0]
    expected = ic.options_table(ic.SolveConfig, ic.LayerOptions, rename={"max_iter": "num_iterations / max_iter"})
    assert table == expected, "README.md's options table is stale: regenerate it with iterative_core.options_table"


def test_act_lipschitz_with_a_named_activation_is_warned_about():
    """The constant of a named activation is known: one given beside it was dropped without a word."""
    with pytest.warns(UserWarning, match=r"Dense: act_lipschitz=0\.5 has no effect with act='relu', whose Lipschitz "
                                         r"constant is known \(1\)"):
        layer = Dense(3, act="relu", act_lipschitz=0.5)
    assert layer.act_lipschitz == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Dense(3, act="relu", act_lipschitz=1.0)  # (the known constant: nothing to say)
        Dense(3, act=torch.tanh, act_lipschitz=1.0)

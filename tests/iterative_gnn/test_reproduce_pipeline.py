"""The reproduce pipeline's checks and records: the plots show every run, bad settings are refused by
name, the logs count what they say, and ``--report`` reads only well-formed CSV files."""
from pathlib import Path

import numpy as np
import pytest

from iterative_gnn import plots
from iterative_gnn.reproduce import Runner, Settings

from .cli_helpers import usage_error


def test_iterations_histogram_keeps_the_slowest_graphs(tmp_path, monkeypatch):
    """Every graph is in its histogram, those at the cap (the slowest, not converged) too."""
    pytest.importorskip("matplotlib")
    import matplotlib.axes

    drawn = []
    hist = matplotlib.axes.Axes.hist

    def record(self, x, bins=None, **kw):
        drawn.append((list(x), list(bins)))
        return hist(self, x, bins=bins, **kw)

    monkeypatch.setattr(matplotlib.axes.Axes, "hist", record)
    # 3..500 in steps of 16 ended at 499: the graphs at the cap of 500 fell off the end
    its = list(range(3, 480)) + [500] * 20
    rows = [{"trained_iterations": k, "iterations": n, "cap": 500, "tol": 1e-4} for k in (2, 16) for n in its]
    plots.plot_graphs_iterations(rows, tmp_path)
    assert len(drawn) == 2
    for x, bins in drawn:
        counts, _ = np.histogram(x, bins=bins)
        assert counts.sum() == len(x) and bins[0] <= min(x) and bins[-1] >= max(x)


# --- settings refused before any training --------------------------------------------------------------
@pytest.mark.parametrize("noise", ["0", "0.5,0", "-0.1"])
def test_noise_level_zero_is_refused(noise, tmp_path, capsys):
    """A noise level 0 repeated the clean runs and mixed them into the depth results."""
    err = usage_error(["reproduce", "--experiments", "noise", "--noise", noise, "--out", str(tmp_path / "o")], capsys)
    assert "argument --noise" in err and repr(noise) in err and "(0, 1]" in err
    assert not (tmp_path / "o").exists()


def test_noise_level_zero_is_refused_in_the_settings():
    s = Settings(experiments=("noise",), noise=(0.5, 0.0))
    with pytest.raises(ValueError, match=r"noise level 0\.0 is not valid; valid: numbers in \(0, 1\]"):
        Runner("pyg", s, Path("unused")).check()

"""The simulation lab's figures, as objects: traces, the marked τ, and bad tables named."""

import numpy as np
import pandas as pd
import pytest

from hbviz.plots import simulation as figs
from hbviz.plots.style import POOLING_COLORS

SERIES = list(POOLING_COLORS)


def test_risk_curve_draws_three_series_and_marks_tau():
    curve = pd.DataFrame(np.arange(9.0).reshape(3, 3), columns=SERIES, index=[0.0, 5.0, 10.0])
    fig = figs.risk_curve_plot(curve, tau=5.0, x_title="τ", y_title="RMSE")
    assert [t.name for t in fig.data[:3]] == SERIES
    assert [t.line.color for t in fig.data[:3]] == [POOLING_COLORS[s] for s in SERIES]
    assert list(fig.data[3].x) == [5.0, 5.0]
    with pytest.raises(ValueError, match="partial pooling"):
        figs.risk_curve_plot(curve.drop(columns="partial pooling"), tau=1.0, x_title="", y_title="")


def test_example_forest_marks_every_truth():
    rows = [
        {"group": g, "series": s, "estimate": 1.0, "lower": 0.0, "upper": 2.0, "truth": t}
        for s in SERIES
        for g, t in (("1", 0.5), ("2", 1.5))
    ]
    fig = figs.example_forest(pd.DataFrame(rows), complete_pooling=1.0, x_title="effect")
    truth = next(t for t in fig.data if t.name == "true θ_j")
    assert list(truth.x) == [0.5, 1.5]
    with pytest.raises(ValueError, match="truth"):
        figs.example_forest(
            pd.DataFrame(rows).drop(columns="truth"), complete_pooling=1.0, x_title=""
        )

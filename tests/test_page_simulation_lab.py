"""The simulation lab in AppTest: the risk table against theory, counts, and the curve marking τ."""

from __future__ import annotations

import numpy as np
import pytest

from hbviz.pooling import POOLING_SERIES
from tests.conftest import array, figures

PAGE = "pages/simulation_lab.py"
# small R: the page's wiring is checked here; tests/test_simulation.py checks the numbers
DEFAULT_QUERY = {"replications": "100", "r_counts": "100"}


def risk_table(at):
    return next(df.value for df in at.dataframe if df.value.index.name == "method")


def test_estimates_table_example_and_curve(page):
    at = page(groups="5", tau="20")
    table = risk_table(at)
    assert list(table.index) == list(POOLING_SERIES)
    # no pooling's RMSE is σ = 10 (Monte Carlo sd ≈ 10/√(2·5·100) ≈ 0.3)
    assert table.loc["no pooling", "rmse"] == pytest.approx(10.0, abs=1.5)
    expected = np.sqrt(20.0**2 * (1 - 1 / 5) + 10.0**2 / 5)
    assert table.loc["complete pooling", "rmse"] == pytest.approx(expected, rel=0.15)
    example, curve = figures(at)
    truth = next(t for t in example["data"] if t["name"] == "true θ_j")
    assert len(array(truth["x"])) == 5
    marked = next(t for t in curve["data"] if t["name"].startswith("this τ"))
    assert array(marked["x"]).tolist() == [20.0, 20.0]
    assert [t["name"] for t in curve["data"][:3]] == list(POOLING_SERIES)


def test_counts_mode(page):
    at = page(kind="Counts", population="logit-normal", smallest="40", largest="10")
    table = risk_table(at)
    assert (table["coverage"].between(0, 1)).all() and (table["rmse"] < 0.5).all()
    # the sizes are spread from the smaller to the larger slider's value, in either order
    assert "10, 12, 15, 18, 22, 27, 33, 40" in " ".join(c.value for c in at.sidebar.caption)
    assert len(figures(at)) == 2


def test_a_move_of_tau_changes_the_table_not_the_curve(page):
    at = page()
    before, curve_before = risk_table(at), figures(at)[1]
    at.sidebar.slider(key="tau").set_value(15.0).run()
    assert not at.exception
    assert risk_table(at).loc["complete pooling", "rmse"] > before.loc["complete pooling", "rmse"]
    curve = figures(at)[1]
    assert curve["data"][0]["y"] == curve_before["data"][0]["y"]

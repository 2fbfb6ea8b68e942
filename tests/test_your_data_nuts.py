"""The Your-data page's NUTS check at the page's default draws: it passes its own diagnostics on
every shipped example, picks its parameterization from the data, and agrees with the exact
posterior of the same model within Monte Carlo error (issue 11, item 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hbviz import datasets, diagnostics, upload
from hbviz import your_data as yd

# |z| of a gap over its Monte Carlo sd (hbviz.your_data.agreement). Over the ≤ 2 · 18 gaps of one
# example, |z| > 4 happens by chance with probability < 36 · 6.3e-5 ≈ 0.2 %.
Z_MAX = 4.0


def eight_schools() -> upload.Dataset:
    t = datasets.eight_schools()
    table = pd.DataFrame({"group": t["school"], "estimate": t["y"], "std_error": t["sigma"]})
    return upload.Dataset("estimates", table)


def test_the_parameterization_follows_how_informative_the_groups_are():
    # chick weights: σ/√n_j ≈ 16 g against τ̂ ≈ 63 g, each group's data dominate → centered
    assert yd.centered_form(yd.groups(upload.parse(upload.example("raw"))))
    # eight schools: τ̂ = 0 (the estimates vary less than their standard errors) → non-centered
    assert not yd.centered_form(yd.groups(eight_schools()))
    # BCG trials: the smallest trials' σ_j (0.73) exceed τ̂ (0.57) → non-centered
    assert not yd.centered_form(yd.groups(upload.parse(upload.example("estimates"))))
    # raw data of the same spread with 2 values per group instead of ~12: σ/√2 ≈ 39 g, the
    # group means vary by τ² + σ²/2; τ̂ ≈ 0 → non-centered
    rng = np.random.default_rng(3)
    theta = rng.normal(0, 10, size=8)
    values = np.repeat(theta, 2) + rng.normal(0, 55, size=16)
    table = pd.DataFrame({"group": np.repeat([f"g{k}" for k in range(8)], 2), "value": values})
    assert not yd.centered_form(yd.groups(upload.Dataset("raw", table)))


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["counts", "estimates", "raw"])
def test_nuts_check_passes_and_agrees_with_the_exact_analysis_at_the_page_default(shape):
    data = upload.parse(upload.example(shape))
    exact = yd.analyse(data)
    chk = yd.nuts_check(data, exact=exact)  # the page's default draws, yd.NUTS_DRAWS
    fit = chk.fit
    assert fit.diverging.shape == (4, yd.NUTS_DRAWS)
    report = diagnostics.convergence_report(fit.summary, fit.divergences, fit.diverging.size)
    assert report.passed, report.problems
    assert chk.centered == (shape == "raw")
    # the same model: for raw data the exact analysis given NUTS's σ draws
    same = chk.agreement
    assert list(same.index) == list(exact.table.index)
    assert same["z_mean"].abs().max() < Z_MAX, same
    assert same["z_sd"].abs().max() < Z_MAX, same
    if shape == "raw":
        # not the same model as the page's exact analysis (σ fixed at s_p): NUTS's σ has its own
        # uncertainty (65 degrees of freedom, ~9 %), which widens every θ_j by a few percent on
        # average. Each group's sd ratio carries Monte Carlo error, a relative sd of about
        # 1/√(2·ESS) (~1.5 % here), so one group may land a little under 1: each ratio must
        # exceed 1 − 4.5 of those, and their mean exceed 1.
        ratio = chk.table["sd"] / exact.table["sd"]
        draws = fit.samples["mu"]
        relative_se = 1 / np.sqrt(2 * diagnostics.ess_bulk(draws))
        assert (ratio.to_numpy() > 1 - 4.5 * relative_se).all() and ratio.mean() > 1, ratio
        assert 0.01 < chk.largest_sd_gap < 0.10, ratio
        assert f"{chk.largest_sd_gap:.0%}" in chk.description

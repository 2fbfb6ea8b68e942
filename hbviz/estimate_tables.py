"""Estimates with known standard errors (eight schools) as tables: the three levels of pooling
side by side, posterior quantiles and probabilities, and the proper priors a NUTS comparison needs.

The exact posterior itself is :mod:`hbviz.normal_normal`; this module only arranges its results
(and the data) in tidy tables that the pages and notebooks render.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from hbviz import _validate, normal_normal, pooling, priors, summaries

# NumPyro's eight-schools example uses μ ~ N(0, 5) and τ ~ HalfCauchy(5). NUTS cannot sample an
# improper prior, so these stand in for BDA3's flat μ and uniform τ in the NUTS comparison.
NUTS_MU_PRIOR = (0.0, 5.0)
NUTS_TAU_PRIOR = "half_cauchy"


class NutsPriors(NamedTuple):
    """Proper priors for a NUTS fit, and whether they differ from the ones asked for."""

    tau_prior: str
    tau_scale: float
    mu_prior: tuple[float, float]
    substituted: bool


def pooling_intervals(
    names: Sequence[object],
    y,
    sigma,
    theta_draws,
    *,
    interval: float = 0.95,
) -> pd.DataFrame:
    """The three levels of pooling side by side, one row per (group, level).

    Parameters
    ----------
    names : sequence of J group names
    y, sigma : array, shape (J,)
        Estimates and their standard errors.
    theta_draws : array, shape (S, J)
        Posterior draws of θ under partial pooling (the hierarchical model).
    interval : float
        Probability of the central intervals.

    Returns
    -------
    DataFrame with columns ``group``, ``series`` (:data:`hbviz.pooling.POOLING_SERIES`), ``estimate``,
    ``lower``, ``upper``. No pooling is y_j ± z σ_j; complete pooling is the precision-weighted
    mean ± z times its sd, the same for every group (τ = 0); partial pooling is the posterior
    median with central posterior quantiles.
    """
    y_arr = _validate.as_vector(y, "y")
    sigma_arr = _validate.as_vector(sigma, "sigma")
    draws = np.asarray(theta_draws, dtype=float)
    if len(names) != y_arr.size or draws.ndim != 2 or draws.shape[1] != y_arr.size:
        raise ValueError(
            f"names, y and theta_draws must describe the same groups; got {len(names)} names, "
            f"{y_arr.size} estimates and draws of shape {draws.shape}"
        )
    z = stats.norm.ppf(0.5 + interval / 2)
    pooled, pooled_sd = normal_normal.complete_pooling(y_arr, sigma_arr)
    ones = np.ones_like(y_arr)
    return pooling.pooling_table(
        names,
        no=(y_arr, y_arr - z * sigma_arr, y_arr + z * sigma_arr),
        complete=(pooled * ones, (pooled - z * pooled_sd) * ones, (pooled + z * pooled_sd) * ones),
        theta_draws=draws,
        interval=interval,
    )


def quantile_table(post: normal_normal.NormalPosterior, names: Sequence[object]) -> pd.DataFrame:
    """BDA3 Table 5.3: posterior mean, sd and quantiles of each θ_j, then of μ and τ.

    Returns
    -------
    DataFrame indexed by group (then ``"μ"`` and ``"τ"``) with columns ``mean``, ``sd``,
    ``2.5%``, ``25%``, ``50%``, ``75%``, ``97.5%``.
    """
    draws = np.column_stack([post.theta, post.mu, post.tau])
    return summaries.posterior_quantiles(draws, [str(n) for n in names] + ["μ", "τ"])


def probability_table(theta_draws, names: Sequence[object], threshold: float) -> pd.DataFrame:
    """Pr(θ_j ≥ c | y), Pr(group j is best | y) and the expected rank (1 = largest effect).

    Returns
    -------
    DataFrame indexed by group with columns ``p_above``, ``p_best`` and ``mean_rank``.
    """
    threshold = _validate.finite_scalar(threshold, "threshold")
    table = summaries.ranking_table(theta_draws, [str(n) for n in names], threshold=threshold)
    return table[["p_above", "p_best", "mean_rank"]]


def predictive_table(predictive: normal_normal.PosteriorPredictive) -> pd.DataFrame:
    """Mean, sd and quantiles of a new group's effect θ̃ and of its measured estimate ỹ."""
    draws = np.column_stack([predictive.theta_new, predictive.y_new])
    return summaries.posterior_quantiles(draws, ["θ̃ (effect)", "ỹ (estimate)"])


def nuts_priors(
    tau_prior: str, tau_scale: float, mu_prior: tuple[float, float] | None
) -> NutsPriors:
    """The priors a NUTS fit uses to stand in for (possibly improper) exact-sampler priors.

    A uniform τ prior becomes :data:`NUTS_TAU_PRIOR` with the same scale and a flat μ prior
    becomes :data:`NUTS_MU_PRIOR`; proper priors are kept as they are. Compare NUTS with the
    exact posterior computed under the returned priors, not under the original ones.
    """
    prior = priors.check(tau_prior, "exact")
    tau_scale = _validate.positive_scalar(tau_scale, "tau_scale")
    # NUTS needs a proper prior that its estimates model offers; the others are replaced.
    kept = prior.proper and "estimates" in prior.models
    substituted = not kept or mu_prior is None
    return NutsPriors(
        tau_prior=tau_prior if kept else NUTS_TAU_PRIOR,
        tau_scale=tau_scale,
        mu_prior=NUTS_MU_PRIOR if mu_prior is None else (float(mu_prior[0]), float(mu_prior[1])),
        substituted=substituted,
    )


def tau_axis_limit(tau_draws, *, floor: float = 30.0, level: float = 0.99) -> float:
    """Upper end of a τ axis: the ``level`` quantile of the draws rounded up to a multiple of
    10, and at least ``floor`` (BDA3's Figs. 5.5–5.7 run to 30)."""
    upper = float(np.quantile(np.asarray(tau_draws, dtype=float), level))
    return max(floor, 10.0 * np.ceil(upper / 10.0))

"""One experiment analysed three ways against historical controls (the drug trial; BDA3 §5.1–5.3).

The current experiment's y of n on its own (an independent Beta prior), with the empirical-Bayes
prior Beta(α̂, β̂) fitted to the historical groups, and with α, β integrated over their posterior
under the hierarchical model (full Bayes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from hbviz import _validate
from hbviz.beta_comparisons import beta_label, beta_posterior_parameters, beta_summary_table


def with_current(historical_y, historical_n, y, n) -> tuple[np.ndarray, np.ndarray]:
    """The historical counts with the current experiment's (y, n) appended as the last group.

    Raises
    ------
    ValueError
        Naming the current y and n when they are not whole numbers with 0 ≤ y ≤ n, n ≥ 1.
    """
    try:
        _validate.counts([y], [n])
    except ValueError as err:
        raise ValueError(
            f"the current experiment has y = {y} tumors in n = {n} rats: "
            + str(err).split("; ", 1)[-1]
        ) from err
    hist_y, hist_n = _validate.counts(historical_y, historical_n)
    return np.append(hist_y, float(y)), np.append(hist_n, float(n))


def beta_mixture_density(
    x, alpha, beta, y: float, n: float, *, max_draws: int = 1000
) -> np.ndarray:
    """p(θ | y) = E[Beta(θ | α + y, β + n − y)] over posterior draws of (α, β).

    Averaging the conditional densities (Rao–Blackwellisation) gives a smooth curve with far
    less Monte Carlo noise than a histogram of θ draws; ``max_draws`` of the (independent)
    draws are enough for that and keep the cost at a few milliseconds.

    Parameters
    ----------
    x : array, shape (G,), values in (0, 1)
    alpha, beta : arrays, shape (S,)
        Posterior draws of the population parameters.
    y, n : the group's successes and trials

    Returns
    -------
    array, shape (G,)
    """
    x = np.asarray(x, dtype=float)
    if np.any((x <= 0) | (x >= 1)):
        raise ValueError("x must lie strictly between 0 and 1")
    a = np.asarray(alpha, dtype=float)[:max_draws, None] + y
    b = np.asarray(beta, dtype=float)[:max_draws, None] + n - y
    log_pdf = (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - special.betaln(a, b)
    return np.exp(log_pdf).mean(axis=0)


def one_group_analyses(
    y: float,
    n: float,
    *,
    empirical_prior: tuple[float, float],
    alpha_draws,
    beta_draws,
    theta_draws,
    independent_prior: tuple[float, float] = (1.0, 1.0),
    interval: float = 0.95,
    points: int = 400,
) -> tuple[np.ndarray, dict[str, np.ndarray], pd.DataFrame]:
    """One group's posterior under three analyses, as density curves and a summary table.

    - independent: its own data with a fixed ``independent_prior`` (Beta(1, 1): no pooling);
    - empirical Bayes: the Beta(α̂, β̂) prior estimated from the other groups (``empirical_prior``);
    - full Bayes: α, β integrated over their posterior (draws from the hierarchical model).

    Parameters
    ----------
    y, n : the group's successes and trials
    empirical_prior : (α̂, β̂)
    alpha_draws, beta_draws : arrays, shape (S,)
        Posterior draws of α and β from the hierarchical model fitted with this group included.
    theta_draws : array, shape (S,)
        The same model's draws of this group's θ (for the full-Bayes quantiles).

    Returns
    -------
    x : array, shape (G,)
        θ grid covering every curve's mass.
    curves : dict name → density on ``x``, names "independent", "empirical Bayes", "full Bayes"
    table : DataFrame indexed by analysis: ``prior``, ``posterior``, ``mean``, ``sd``, ``lower``,
        ``upper``.
    """
    _validate.counts([y], [n])
    tail = (1 - interval) / 2
    fixed = {"independent": independent_prior, "empirical Bayes": empirical_prior}
    rows = {}
    for name, (a0, b0) in fixed.items():
        a, b = beta_posterior_parameters([y], [n], prior_alpha=a0, prior_beta=b0)
        rows[name] = beta_summary_table(a, b, [name], interval=interval).iloc[0]
    alpha_draws = np.asarray(alpha_draws, dtype=float)
    beta_draws = np.asarray(beta_draws, dtype=float)
    a = alpha_draws + y
    total = alpha_draws + beta_draws + n
    mean = float(np.mean(a / total))
    second = float(np.mean(a * (a + 1) / (total * (total + 1))))
    theta_draws = np.asarray(theta_draws, dtype=float)
    rows["full Bayes"] = pd.Series(
        {
            "mean": mean,
            "sd": np.sqrt(max(second - mean**2, 0.0)),
            "lower": float(np.quantile(theta_draws, tail)),
            "upper": float(np.quantile(theta_draws, 1 - tail)),
        }
    )
    table = pd.DataFrame(rows).T[["mean", "sd", "lower", "upper"]].astype(float)
    table.insert(
        0,
        "posterior",
        [beta_label(rows[k]["alpha"], rows[k]["beta"]) for k in fixed] + ["Beta mixture"],
    )
    table.insert(
        0,
        "prior",
        [beta_label(a0, b0) for a0, b0 in fixed.values()] + ["p(α, β) ∝ (α+β)^(-5/2)"],
    )
    table.index.name = "analysis"

    # One grid over every curve's mass: Beta quantiles for the conjugate curves, quantiles of
    # the θ draws for the mixture (evaluating the mixture on a wide grid to trim it costs more).
    lows = [stats.beta.ppf(1e-4, rows[k]["alpha"], rows[k]["beta"]) for k in fixed]
    highs = [stats.beta.ppf(1 - 1e-4, rows[k]["alpha"], rows[k]["beta"]) for k in fixed]
    lows.append(np.quantile(theta_draws, 5e-4))
    highs.append(np.quantile(theta_draws, 1 - 5e-4))
    x = np.linspace(max(min(lows), 1e-6), min(max(highs), 1 - 1e-6), points)
    curves = {name: stats.beta.pdf(x, rows[name]["alpha"], rows[name]["beta"]) for name in fixed}
    curves["full Bayes"] = beta_mixture_density(x, alpha_draws, beta_draws, y, n)
    return x, curves, table


def significant(value: float, digits: int = 2) -> str:
    """``value`` to ``digits`` significant digits, without an exponent: 0.0000018, not 1.8e-06
    (nor 0.0000 at a fixed number of decimals)."""
    return np.format_float_positional(
        float(value), precision=digits, unique=False, fractional=False, trim="-"
    )


def empirical_bayes_note(y: int, n: int, sd: float) -> str:
    """What the empirical-Bayes panel says about the current experiment ``y`` / ``n`` whose
    posterior sd is ``sd``; at the lecture's 4 / 14 it names the slide's mislabelled "var"."""
    note = (
        f"For {y}/{n} the posterior sd is {significant(sd)} and the variance {significant(sd**2)}."
    )
    if (y, n) == (4, 14):
        note += ' The lecture slide labels 0.083 as "var": it is the standard deviation.'
    return note

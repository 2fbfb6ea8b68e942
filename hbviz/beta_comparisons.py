"""Comparing binomial groups: independent Beta posteriors and "is this group higher than the others?".

For groups analysed separately (no pooling) with a Beta(a, b) prior, the posterior of group j is
Beta(a + y_j, b + n_j − y_j) and the comparisons are one-dimensional integrals,

    Pr(θ_t > θ_k | y)      = ∫ F_k(x) dF_t(x),
    Pr(θ_t is best | y)    = ∫ Π_{k≠t} F_k(x) dF_t(x),

computed by the midpoint rule in u = F_t(x) (deterministic, no Monte Carlo error). Under the
hierarchical model the same questions are answered from joint posterior draws of θ (see
``hbviz.beta_binomial.sample_posterior`` and ``hbviz.summaries``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hbviz import _validate, beta_binomial, summaries

# The integrands above are monotone in u and lie in [0, 1], so the midpoint rule's error is at
# most 1 / (2 · nodes): 4096 nodes give ≤ 1.3e-4, below the three decimals the pages show.
QUADRATURE_NODES = 4096


def _check_this(this: int, n_groups: int) -> int:
    if isinstance(this, bool) or not isinstance(this, int | np.integer):
        raise ValueError(f"this must be a group index; got {this!r}")
    if not 0 <= this < n_groups:
        raise ValueError(f"this is {this}, but there are {n_groups} groups (0 to {n_groups - 1})")
    return int(this)


def _beta_parameters(alpha, beta) -> tuple[np.ndarray, np.ndarray]:
    a = _validate.as_vector(alpha, "alpha")
    b = _validate.as_vector(beta, "beta")
    _validate.same_length(a, "alpha", b, "beta")
    _validate.positive(a, "alpha")
    _validate.positive(b, "beta")
    return a, b


def beta_posterior_parameters(
    successes, trials, *, prior_alpha: float = 1.0, prior_beta: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Parameters of each group's conjugate posterior Beta(a + y_j, b + n_j − y_j).

    Parameters
    ----------
    successes, trials : array, shape (J,)
        Whole numbers with 0 ≤ y_j ≤ n_j and n_j ≥ 1.
    prior_alpha, prior_beta : float
        The Beta(a, b) prior shared by every group (each analysed on its own).

    Returns
    -------
    alpha, beta : arrays, shape (J,)
    """
    a = _validate.positive_scalar(prior_alpha, "prior alpha")
    b = _validate.positive_scalar(prior_beta, "prior beta")
    return beta_binomial.conjugate_posterior(a, b, successes, trials)


def beta_summary_table(
    alpha, beta, names: Sequence[object] | None = None, *, interval: float = 0.95
) -> pd.DataFrame:
    """Mean, sd and central interval of Beta(α_j, β_j) for each group, in closed form.

    Returns
    -------
    DataFrame indexed by group with ``alpha``, ``beta``, ``mean``, ``sd``, ``lower``, ``upper``.
    """
    a, b = _beta_parameters(alpha, beta)
    if not 0 < interval < 1:
        raise ValueError(f"interval must be between 0 and 1; got {interval!r}")
    tail = (1 - interval) / 2
    total = a + b
    mean = a / total
    return pd.DataFrame(
        {
            "alpha": a,
            "beta": b,
            "mean": mean,
            "sd": np.sqrt(mean * (1 - mean) / (total + 1)),
            "lower": stats.beta.ppf(tail, a, b),
            "upper": stats.beta.ppf(1 - tail, a, b),
        },
        index=pd.Index(_validate.group_names(names, a.size, first=1), name="group"),
    )


def independent_posterior_table(
    successes, trials, alpha, beta, names: Sequence[object], *, name: str = "group"
) -> pd.DataFrame:
    """The independent model's table as the free-throws page shows it: each group's raw rate,
    its posterior Beta(α_j, β_j) written out, and that Beta's mean, sd and 95% interval.

    Returns
    -------
    DataFrame indexed by group (index named ``name``) with ``made / attempts``, ``posterior``,
    ``mean``, ``sd``, ``2.5%``, ``97.5%``.
    """
    summary = beta_summary_table(alpha, beta, names)
    rates = np.asarray(successes, dtype=float) / np.asarray(trials, dtype=float)
    return pd.DataFrame(
        {
            "made / attempts": rates,
            "posterior": [
                beta_label(a, b) for a, b in zip(summary["alpha"], summary["beta"], strict=True)
            ],
            "mean": summary["mean"].to_numpy(),
            "sd": summary["sd"].to_numpy(),
            "2.5%": summary["lower"].to_numpy(),
            "97.5%": summary["upper"].to_numpy(),
        },
        index=pd.Index([str(n) for n in names], name=name),
    )


def beta_density_grid(alpha, beta, *, points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Densities of Beta(α_j, β_j) on one grid that covers all their mass.

    The grid runs between the smallest 0.01% and the largest 99.99% point of the J
    distributions, so a U-shaped Beta (α or β < 1) stays finite on it.

    Returns
    -------
    x : array, shape (points,)
    density : array, shape (J, points)
    """
    a, b = _beta_parameters(alpha, beta)
    low = float(np.min(stats.beta.ppf(1e-4, a, b)))
    high = float(np.max(stats.beta.ppf(1 - 1e-4, a, b)))
    x = np.linspace(low, high, points)
    return x, stats.beta.pdf(x[None, :], a[:, None], b[:, None])


def independent_comparisons(
    alpha, beta, this: int, *, nodes: int = QUADRATURE_NODES
) -> tuple[np.ndarray, float]:
    """Pr(θ_this > θ_k | y) for every k, and Pr(θ_this is the largest | y), independent Betas.

    Parameters
    ----------
    alpha, beta : arrays, shape (J,)
        Parameters of the independent posteriors θ_j ~ Beta(α_j, β_j).
    this : int
        Index of the group compared with the others.

    Returns
    -------
    greater : array, shape (J,)
        Pr(θ_this > θ_k | y); 0 at k = this (as in ``summaries.pairwise_greater``).
    best : float
        Pr(θ_this > θ_k for every k ≠ this | y).
    """
    a, b = _beta_parameters(alpha, beta)
    this = _check_this(this, a.size)
    u = (np.arange(nodes) + 0.5) / nodes
    x = stats.beta.ppf(u, a[this], b[this])
    cdfs = stats.beta.cdf(x[None, :], a[:, None], b[:, None])  # (J, nodes)
    others = np.arange(a.size) != this
    greater = np.where(others, cdfs.mean(axis=1), 0.0)
    best = float(np.prod(cdfs[others], axis=0).mean())
    return greater, best


def comparison_table(
    greater: dict[str, np.ndarray],
    best: dict[str, float],
    names: Sequence[object],
    this: int,
) -> pd.DataFrame:
    """Tidy table of the answers under several models, one column per model.

    Parameters
    ----------
    greater : mapping model name → array, shape (J,)
        Pr(θ_this > θ_k | y) under that model.
    best : mapping model name → float
        Pr(θ_this is best | y) under that model.
    names : J group names
    this : index of the group compared with the others

    Returns
    -------
    DataFrame indexed by question ("Pr(θ[this] > θ[k])" for each other k, then "Pr(this is
    best)"), one column per model.
    """
    names = [str(name) for name in names]
    this = _check_this(this, len(names))
    rows = [k for k in range(len(names)) if k != this]
    questions = [f"Pr(θ {names[this]} > θ {names[k]})" for k in rows]
    questions.append(f"Pr({names[this]} is best)")
    table = pd.DataFrame(
        {
            model: [float(values[k]) for k in rows] + [float(best[model])]
            for model, values in greater.items()
        },
        index=pd.Index(questions, name="question"),
    )
    return table


def comparison_labels(names: Sequence[object], this: int) -> list[str]:
    """Short row labels for ``comparison_table``'s questions: "> 2012-2013", …, "best of all"."""
    names = [str(name) for name in names]
    this = _check_this(this, len(names))
    return [f"> {name}" for k, name in enumerate(names) if k != this] + ["best of all"]


def hierarchical_comparisons(theta_draws, this: int) -> tuple[np.ndarray, float]:
    """Pr(θ_this > θ_k | y) for every k and Pr(θ_this is best | y) from joint draws (S, J)."""
    draws = np.asarray(theta_draws, dtype=float)
    if draws.ndim != 2:
        raise ValueError(f"theta draws must have shape (draws, groups); got {draws.shape}")
    this = _check_this(this, draws.shape[1])
    greater = (draws[:, [this]] > draws).mean(axis=0)
    return greater, float(summaries.prob_best(draws)[this])


def beta_label(alpha: float, beta: float) -> str:
    """ "Beta(5.4, 18.6)": parameters to one decimal, as the lecture writes them ("Beta(26, 22)")."""
    return f"Beta({_one_decimal(alpha)}, {_one_decimal(beta)})"


def _one_decimal(value: float) -> str:
    text = f"{float(value):.1f}"
    return text[:-2] if text.endswith(".0") else text

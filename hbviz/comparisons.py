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
from scipy import special, stats

from hbviz import _validate, summaries

# The integrands above are monotone in u and lie in [0, 1], so the midpoint rule's error is at
# most 1 / (2 · nodes): 4096 nodes give ≤ 1.3e-4, below the three decimals the pages show.
QUADRATURE_NODES = 4096


def _names(names: Sequence[object] | None, n_groups: int) -> list[str]:
    if names is None:
        return [str(j + 1) for j in range(n_groups)]
    names = [str(name) for name in names]
    if len(names) != n_groups:
        raise ValueError(f"got {len(names)} names for {n_groups} groups")
    return names


def _check_this(this: int, n_groups: int) -> int:
    if isinstance(this, bool) or not isinstance(this, int | np.integer):
        raise ValueError(f"this must be a group index; got {this!r}")
    if not 0 <= this < n_groups:
        raise ValueError(f"this is {this}, but there are {n_groups} groups (0 to {n_groups - 1})")
    return int(this)


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
    y, n = _validate.counts(successes, trials)
    a = _validate.positive_scalar(prior_alpha, "prior alpha")
    b = _validate.positive_scalar(prior_beta, "prior beta")
    return a + y, b + n - y


def beta_summary_table(
    alpha, beta, names: Sequence[object] | None = None, *, interval: float = 0.95
) -> pd.DataFrame:
    """Mean, sd and central interval of Beta(α_j, β_j) for each group, in closed form.

    Returns
    -------
    DataFrame indexed by group with ``alpha``, ``beta``, ``mean``, ``sd``, ``lower``, ``upper``.
    """
    a = _validate.as_vector(alpha, "alpha")
    b = _validate.as_vector(beta, "beta")
    _validate.same_length(a, "alpha", b, "beta")
    _validate.positive(a, "alpha")
    _validate.positive(b, "beta")
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
        index=pd.Index(_names(names, a.size), name="group"),
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
    a = _validate.as_vector(alpha, "alpha")
    b = _validate.as_vector(beta, "beta")
    _validate.same_length(a, "alpha", b, "beta")
    _validate.positive(a, "alpha")
    _validate.positive(b, "beta")
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
    a = _validate.as_vector(alpha, "alpha")
    b = _validate.as_vector(beta, "beta")
    _validate.same_length(a, "alpha", b, "beta")
    _validate.positive(a, "alpha")
    _validate.positive(b, "beta")
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


def check_count_table(
    table: pd.DataFrame,
    *,
    group: str = "group",
    successes: str = "successes",
    trials: str = "trials",
    min_groups: int = 2,
) -> None:
    """Raise ValueError naming the row, column and value if ``table`` cannot be analysed.

    Every row needs a distinct, non-empty group name and whole-number counts with
    0 ≤ successes ≤ trials and trials ≥ 1.
    """
    for column in (group, successes, trials):
        if column not in table.columns:
            raise ValueError(f"the table has no column {column!r}; it has {list(table.columns)}")
    if len(table) < min_groups:
        raise ValueError(f"at least {min_groups} rows are needed; the table has {len(table)}")
    for i, (name, y, n) in enumerate(
        zip(table[group], table[successes], table[trials], strict=True), start=1
    ):
        if name is None or (isinstance(name, float) and np.isnan(name)) or not str(name).strip():
            raise ValueError(f"row {i}: {group!r} is empty; every row needs a name")
        for column, value in ((successes, y), (trials, n)):
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = np.nan
            if not np.isfinite(number) or number != round(number) or number < 0:
                raise ValueError(
                    f"row {i} ({name}): {column!r} is {value!r}; expected a whole number ≥ 0"
                )
        if float(n) < 1:
            raise ValueError(f"row {i} ({name}): {trials!r} is {n!r}; expected at least 1")
        if float(y) > float(n):
            raise ValueError(
                f"row {i} ({name}): {successes!r} is {y!r} but {trials!r} is {n!r}; "
                f"{successes} cannot exceed {trials}"
            )
    names = [str(name).strip() for name in table[group]]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{group!r} names must be distinct; repeated: {', '.join(duplicates)}")


# ---------------------------------------------------------------------------------------------
# One experiment analysed three ways: on its own, empirical Bayes, full Bayes (BDA3 §5.1–5.3)


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


def beta_label(alpha: float, beta: float) -> str:
    """ "Beta(5.4, 18.6)": parameters to one decimal, as the lecture writes them ("Beta(26, 22)")."""
    return f"Beta({_one_decimal(alpha)}, {_one_decimal(beta)})"


def _one_decimal(value: float) -> str:
    text = f"{float(value):.1f}"
    return text[:-2] if text.endswith(".0") else text

"""What the lecture derives on the board, computed: the method of moments for the drug trial's
prior, the analytic steps from p(φ | y) to a prediction for the eight schools (BDA3 §5.4) and the
rat tumours (BDA3 §5.3), and BDA3's Table 5.3 beside the exact posterior's quantiles.

Every number here comes from hbviz's own functions (:mod:`hbviz.beta_binomial`,
:mod:`hbviz.normal_normal`) or from a bundled file (``data/bda3_table_5_3.csv``); the steps are
returned as (sentence, LaTeX) pairs for a page to show with KaTeX.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from hbviz import beta_binomial, datasets, diagnostics, normal_normal, priors
from hbviz.lecture_path import TUTORIAL

__all__ = [
    "BOOK_DRAWS",
    "BOOK_LEVELS",
    "POOLING_MODELS",
    "MomentMatching",
    "beta_binomial_steps",
    "book_comparison",
    "book_comparison_unavailable",
    "book_differences",
    "book_table",
    "moment_matching",
    "moment_matching_steps",
    "normal_steps",
    "pooling_divergence_note",
    "pooling_why",
    "table_5_3",
]

BOOK_DRAWS = 200
"""BDA3 §5.5 made Table 5.3 from 200 draws of (θ, μ, τ)."""
BOOK_LEVELS = ("2.5%", "25%", "50%", "75%", "97.5%")
# a printed value this many sds of a 200-draw estimate from the exact value is not Monte Carlo error
_FAR = 4.0
# the central 68% of a normal: half its width is the sd
_ONE_SD = stats.norm.cdf([-1.0, 1.0])

Step = tuple[str, str]  # (sentence in Markdown, or "" to go on from the step before; LaTeX)


# --- levels of pooling: the three models and what their divergences say (NumPyro tutorial) --------

POOLING_MODELS = {
    "no pooling": r"\mu_i \sim \mathcal N(0, 10^2),\ \sigma_i \sim \operatorname{Exp}(1),"
    r"\ y_i \sim \mathcal N(\mu_i, \sigma_i^2),\ i = 1,\dots,N",
    "complete pooling": r"\mu \sim \mathcal N(0, 10^2),\ \sigma \sim \operatorname{Exp}(1),"
    r"\ y_i \sim \mathcal N(\mu, \sigma^2)",
    "partial pooling": r"\mu_\text{pop} \sim \mathcal N(0, 10^2),\ \tau \sim \text{HalfNormal}(5),"
    r"\ \mu_g \sim \mathcal N(\mu_\text{pop}, \tau^2),\ \sigma \sim \operatorname{Exp}(1),"
    r"\ y_i \sim \mathcal N(\mu_{g[i]}, \sigma^2)",
}
"""Each level of pooling's model (:mod:`hbviz.models`' ``raw_*_pooling``), in LaTeX."""


def pooling_why(regime: str, *, groups: int) -> str | None:
    """Why a levels-of-pooling model diverges, in Markdown with LaTeX; None for complete pooling.

    Parameters
    ----------
    regime : {"no", "complete", "partial"}
        Level of pooling.
    groups : int
        Number of groups in the data (partial pooling: few groups leave τ poorly determined).
    """
    if regime not in ("no", "complete", "partial"):
        raise ValueError(f"regime must be 'no', 'complete' or 'partial'; got {regime!r}")
    if regime == "no":
        return (
            r"**Why it diverges.** Each pair $(\mu_i, \sigma_i)$ sees one value $y_i$, and "
            r"one value cannot separate a mean from a noise sd: $\mu_i = y_i$ with tiny noise and "
            r"$\mu_i$ a little off with more noise fit it equally well. So $\sigma_i$ learns "
            r"almost nothing (its rows stay near the Exp(1) prior's mean of 1) while $\mu_i$ is "
            r"held within about $\sigma_i$ of $y_i$: a **funnel**, wide at large $\sigma_i$, "
            r"narrowing to a neck as $\sigma_i \to 0,\ \mu_i \to y_i$. NUTS uses one step size "
            r"for the whole funnel; in the neck it is far too big, the simulated trajectory blows "
            r"up (a divergence) and the neck goes under-explored. More draws do not cure this; "
            r"more values per $(\mu_i, \sigma_i)$, or one $\sigma$ shared by all values "
            r"(complete or partial pooling), does."
        )
    if regime == "partial":
        return (
            f"With few groups (here {groups}) "
            r"$\tau$ is poorly determined, and the centered form has the same funnel between "
            r"$\tau$ and the $\mu_g$. The non-centered form samples "
            r"$z_g = (\mu_g - \mu_\text{pop})/\tau$, which is $\mathcal N(0, 1)$ a priori "
            r"whatever $\tau$: the neck at small $\tau$ is gone. Toggle it beside the data and "
            r"compare the divergences and the two funnels: whether anything else trips the "
            r"sampler, the count above says."
        )
    return None


def _counted(count: int, draws: int) -> str:
    if count == 0:
        return f"no divergent transition in {draws:,d} draws"
    plural = "s" if count != 1 else ""
    return f"{count:,d} divergent transition{plural} of {draws:,d} draws ({count / draws:.1%})"


def _where_in_tau(diverging: np.ndarray, tau: np.ndarray, *, centered: bool) -> str:
    """Where the divergent draws sit in τ, measured: their median against all draws' median."""
    if not 0 < diverging.sum() < diverging.size:
        return ""
    there, overall = np.median(tau[diverging]), np.median(tau)
    side = "smaller" if there < overall else "larger"
    where = f"Its divergent draws have median τ {there:.2f} against {overall:.2f} for all draws"
    if centered and side == "smaller":
        return where + ": they gather at small τ, in the funnel's neck (see the funnel below)."
    if not centered and side == "larger":
        return (
            where + ": they gather at large τ. There the data pin each μ_g down, so "
            "z_g = (μ_g − μ_pop)/τ is squeezed into a band that narrows like 1/τ: "
            "non-centering turned the funnel around rather than removing it."
        )
    return where + f": they gather at {side} τ than the draws as a whole."


def pooling_divergence_note(
    regime: str,
    diverging,
    *,
    chains: int,
    warmup: int,
    draws: int,
    centered: bool = True,
    tau=None,
    tutorial_data: bool = True,
) -> str:
    """What one levels-of-pooling fit's divergences say, in Markdown, every number measured.

    The count and its share of the draws, what that share means against the 1 % threshold of
    :mod:`hbviz.diagnostics`; for partial pooling, whether the divergent draws sit at smaller or
    larger τ than the rest (the centered funnel's neck; the non-centered form's funnel turned
    around); for no pooling, why the count differs from the tutorial's
    (:data:`hbviz.lecture_path.TUTORIAL`).

    Parameters
    ----------
    regime : {"no", "complete", "partial"}
        Level of pooling of the fit.
    diverging : bool array, shape (chains, draws)
        The fit's divergent transitions (:attr:`hbviz.nuts.Fit.diverging`).
    chains, warmup, draws : int
        The sampler's settings for the fit: chains, warm-up steps and draws per chain.
    centered : bool
        Form of partial pooling.
    tau : array, shape (chains, draws), optional
        Draws of τ (partial pooling), to say where the divergent draws sit.
    tutorial_data : bool
        Whether the data are the tutorial's; the comparison with its count needs them.
    """
    if regime not in ("no", "complete", "partial"):
        raise ValueError(f"regime must be 'no', 'complete' or 'partial'; got {regime!r}")
    diverging = np.asarray(diverging, dtype=bool).ravel()
    count, total = int(diverging.sum()), diverging.size
    if total == 0:
        raise ValueError("diverging holds no draws")
    limit = diagnostics.DIVERGENCE_FRACTION_MAX
    parts = [f"**This fit: {_counted(count, total)}.**"]
    if count == 0:
        parts.append("The sampler's trajectories never blew up (R̂ and ESS above say the rest).")
    elif count <= limit * total:
        parts.append(
            f"Few enough to pass (at most {limit:.0%}), but each marks a place where the "
            "step size was too large for the posterior's curvature, and the draws there are "
            "too few."
        )
    else:
        parts.append(
            f"More than {limit:.0%}: part of the posterior is under-explored, so its "
            "intervals here are not to be trusted."
        )
    if regime == "partial":
        if not centered:
            parts.append(
                "Non-centering removes the funnel's neck at small τ"
                + (
                    ", and nothing else here trips the sampler."
                    if count == 0
                    else ", not every difficulty."
                )
            )
        if tau is not None:
            tau = np.asarray(tau, dtype=float).ravel()
            if tau.shape != diverging.shape:
                raise ValueError(f"tau has {tau.size} draws, diverging {total}")
            parts.append(_where_in_tau(diverging, tau, centered=centered))
        parts.append(
            "The tutorial lists no groups for its values: the groups here are hbviz's choice, "
            "so this count has no counterpart there."
        )
    if regime == "no":
        t = TUTORIAL
        said = (
            f"The tutorial reports {t.no_pooling_divergences:,d} divergent transitions for this "
            f"model ({t.chains} chain, {t.warmup:,d} warm-up steps, {t.draws:,d} draws)"
        )
        if not tutorial_data:
            parts.append(said + " on its values 10, 12, 9, 11, 8; these data differ.")
        else:
            mine = {"chains": chains, "warm-up steps": warmup, "draws": draws}
            theirs = {"chains": t.chains, "warm-up steps": t.warmup, "draws": t.draws}
            differ = [
                f"{mine[k]:,d} {k} (tutorial {theirs[k]:,d})" for k in mine if mine[k] != theirs[k]
            ]
            if differ:
                parts.append(
                    said + ". This run has " + ", ".join(differ) + ": more chains and draws "
                    "give more transitions that can diverge, and the warm-up adapts the step "
                    "size the funnel's neck is met with."
                )
            else:
                parts.append(
                    said + ", the settings here. The count is itself random: it depends on "
                    "the seed and on the random numbers JAX draws from it, which can change "
                    "between JAX versions: change the seed and watch it move."
                )
    return " ".join(p for p in parts if p)


# --- drug trial: the method of moments (BDA3 §5.1) -------------------------------------------------


class MomentMatching(NamedTuple):
    """The empirical-Bayes prior of the drug trial, with the numbers it is built from.

    Attributes
    ----------
    mean, sd : float
        Sample mean m and sample sd s (ddof = 1) of the historical rates y_j/n_j.
    alpha, beta : float
        The Beta(α, β) with mean m and sd s (:func:`hbviz.beta_binomial.moment_estimate`).
    size : float
        α + β.
    groups : int
        Number of historical experiments J.
    """

    mean: float
    sd: float
    alpha: float
    beta: float
    size: float
    groups: int


def moment_matching(y, n) -> MomentMatching:
    """:func:`hbviz.beta_binomial.moment_estimate` and the mean and sd it matched.

    The matched Beta has exactly the sample's mean and sd, so m and s are read off it
    (:func:`hbviz.beta_binomial.beta_mean_sd`) rather than computed a second time.
    """
    alpha, beta = beta_binomial.moment_estimate(y, n)
    mean, sd = beta_binomial.beta_mean_sd(alpha, beta)
    return MomentMatching(float(mean), float(sd), alpha, beta, alpha + beta, len(np.asarray(y)))


def moment_matching_steps(mm: MomentMatching) -> list[Step]:
    """The method-of-moments equations with the drug trial's numbers (BDA3 §5.1)."""
    j = mm.groups
    return [
        (
            f"The mean and sd of the {j} historical rates:",
            rf"m = \frac{{1}}{{{j}}}\sum_{{j=1}}^{{{j}}} \frac{{y_j}}{{n_j}} = {mm.mean:.3f}",
        ),
        (
            "",
            rf"s = \sqrt{{\frac{{1}}{{{j - 1}}}\sum_{{j=1}}^{{{j}}} "
            rf"\Big(\frac{{y_j}}{{n_j}} - m\Big)^2}} = {mm.sd:.3f}",
        ),
        (
            "Set the mean and variance of Beta(α, β) equal to them:",
            r"\frac{\alpha}{\alpha+\beta} = m, \qquad "
            r"\frac{\alpha\beta}{(\alpha+\beta)^2(\alpha+\beta+1)} = s^2",
        ),
        (
            "and solve for α and β:",
            rf"\alpha+\beta = \frac{{m(1-m)}}{{s^2}} - 1 = {mm.size:.2f}",
        ),
        (
            "",
            rf"\alpha = m(\alpha+\beta) = {mm.alpha:.2f}, \quad "
            rf"\beta = (1-m)(\alpha+\beta) = {mm.beta:.2f}",
        ),
    ]


# --- eight schools: p(τ | y) → p(μ | τ, y) → p(θ | μ, τ, y) → ỹ (BDA3 §5.4) ------------------------


def normal_steps(
    y,
    sigma,
    tau: float,
    *,
    tau_prior: str = "uniform",
    mu_prior: tuple[float, float] | None = None,
    tau_draws=None,
    names: Sequence[str] | None = None,
) -> list[Step]:
    """The analytic steps of the normal hierarchy, with the numbers at ``tau``.

    Parameters
    ----------
    y, sigma : array, shape (J,)
    tau : float
        The τ at which μ̂, V_μ, θ̂_j and V_j are evaluated (≥ 0).
    tau_prior : str
        Name of the prior on τ (:data:`hbviz.priors.TAU_PRIORS`), named in p(τ | y).
    mu_prior : (mean, sd) or None
        Normal prior on μ; None for flat (BDA3's case).
    tau_draws : array, optional
        Posterior draws of τ, for its median and interval in the first step.
    names : sequence of str, optional
        Group names; the first is the example of the θ step.
    """
    y = np.asarray(y, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    at = normal_normal.conditional_posterior(y, sigma, tau, mu_prior=mu_prior)
    mu_hat, v_mu = float(at.mu_mean[0]), float(at.mu_sd[0] ** 2)
    b = float(at.shrinkage[0][0])
    name = str(names[0]) if names is not None else "1"
    prior_mu_terms = ("", "", "")
    if mu_prior is not None:
        m0, s0 = mu_prior
        prior_mu_terms = (
            rf"\frac{{{m0:g}}}{{{s0:g}^2}} + ",
            rf"\frac{{1}}{{{s0:g}^2}} + ",
            rf"\;\exp\!\Big(-\frac{{(\hat\mu - {m0:g})^2}}{{2 \cdot {s0:g}^2}}\Big)",
        )
    label = priors.label(tau_prior)
    tau_text = "p(τ | y) is one-dimensional: hbviz evaluates it on a grid and draws τ from it"
    if tau_draws is not None:
        lo, med, hi = np.quantile(np.asarray(tau_draws), [0.025, 0.5, 0.975])
        tau_text += f" (median {med:.1f}, 95% interval {lo:.1f} to {hi:.1f})"
    return [
        (
            f"**1. p(τ | y)** (BDA3 eq. 5.21), with μ and θ integrated out in closed form; "
            f"p(τ) is the {label} prior. " + tau_text + ":",
            r"p(\tau \mid y) \propto p(\tau)\, V_\mu^{1/2} \prod_{j=1}^{J} "
            r"(\sigma_j^2 + \tau^2)^{-1/2} \exp\!\Big(-\frac{(y_j - \hat\mu)^2}"
            r"{2(\sigma_j^2 + \tau^2)}\Big)" + prior_mu_terms[2],
        ),
        (
            f"**2. μ | τ, y** (BDA3 eq. 5.20) is normal; at τ = {tau:g}:",
            rf"\hat\mu = V_\mu \Big({prior_mu_terms[0]}\sum_j \frac{{y_j}}{{\sigma_j^2+\tau^2}}"
            rf"\Big) = {mu_hat:.2f}, \qquad V_\mu^{{-1}} = {prior_mu_terms[1]}\sum_j "
            rf"\frac{{1}}{{\sigma_j^2+\tau^2}}, \quad V_\mu = {v_mu:.2f}",
        ),
        (
            f"**3. θ_j | μ, τ, y** (BDA3 eq. 5.17) is normal, a weighted average of y_j and μ "
            f"with weight B_j = σ_j²/(σ_j² + τ²) on μ; for school {name} at τ = {tau:g} and "
            f"μ = μ̂:",
            r"\hat\theta_j = B_j\,\mu + (1 - B_j)\, y_j, \quad V_j = (1 - B_j)\,\sigma_j^2"
            rf"\qquad B = {b:.2f},\ \hat\theta = {b * mu_hat + (1 - b) * y[0]:.2f},"
            rf"\ V = {(1 - b) * sigma[0] ** 2:.2f}",
        ),
        (
            "**4. Predictions.** A new school's effect, then its estimate measured with standard "
            "error σ̃; or a new estimate of an existing school j. Drawing τ, μ, θ and ỹ in this "
            "order, each given the ones before, gives exact draws of the joint posterior:",
            r"\tilde\theta \mid \mu, \tau \sim \mathrm N(\mu, \tau^2), \quad "
            r"\tilde y \mid \tilde\theta \sim \mathrm N(\tilde\theta, \tilde\sigma^2); \qquad "
            r"\tilde y_j \mid \theta_j \sim \mathrm N(\theta_j, \sigma_j^2)",
        ),
    ]


# --- rat tumours: p(α, β | y) → p(θ | α, β, y) → ỹ (BDA3 §5.3) ----------------------------------


def beta_binomial_steps(post: beta_binomial.BetaBinomialPosterior, y, n) -> list[Step]:
    """The analytic steps of the beta–binomial hierarchy, with the posterior's numbers: its
    mode on the grid, E(α/(α+β) | y), and the last experiment's conditional posterior at the
    medians of α and β."""
    density = np.asarray(post.density)
    iv, iu = np.unravel_index(np.argmax(density), density.shape)
    u, v = float(post.logit_mean[iu]), float(post.log_size[iv])
    hyper = beta_binomial.hyperparameter_summary(post)
    a, b = float(hyper.loc["alpha", "median"]), float(hyper.loc["beta", "median"])
    y_last, n_last = int(np.asarray(y)[-1]), int(np.asarray(n)[-1])
    return [
        (
            "**1. p(α, β | y)** (BDA3 eq. 5.8): the θ_j integrate out of the binomial "
            "likelihood in closed form, leaving Beta functions B:",
            r"p(\alpha, \beta \mid y) \propto p(\alpha, \beta) \prod_{j} "
            r"\frac{B(\alpha + y_j, \beta + n_j - y_j)}{B(\alpha, \beta)}",
        ),
        ("", r"p(\alpha, \beta) \propto (\alpha + \beta)^{-5/2}"),
        (
            "On u = log(α/β), v = log(α + β) the density gains the Jacobian αβ and is smooth "
            "enough for a grid (BDA3 Fig. 5.3); hbviz draws (u, v) from that grid. Here its "
            "highest cell and the population mean are",
            r"p(u, v \mid y) \propto \alpha\beta\, p(\alpha, \beta \mid y)",
        ),
        ("", rf"\text{{mode}}\ (u, v) \approx ({u:.2f},\ {v:.2f})"),
        (
            "",
            rf"E\Big(\frac{{\alpha}}{{\alpha+\beta}} \,\Big|\, y\Big) = "
            rf"{hyper.loc['population_mean', 'mean']:.3f}",
        ),
        (
            f"**2. θ_j | α, β, y** is conjugate (BDA3 eq. 5.7); for the current experiment, "
            f"{y_last}/{n_last}, at the medians of α and β:",
            r"\theta_j \mid \alpha, \beta, y \sim \mathrm{Beta}(\alpha + y_j,\ "
            r"\beta + n_j - y_j)",
        ),
        (
            "",
            rf"\theta_{{{np.asarray(y).size}}} \mid \alpha, \beta, y \sim \mathrm{{Beta}}({a + y_last:.2f},\ "
            rf"{b + n_last - y_last:.2f})",
        ),
        (
            "**3. Predictions.** A new experiment's rate and its count of ñ rats, each draw "
            "given the ones before:",
            r"\tilde\theta \mid \alpha, \beta \sim \mathrm{Beta}(\alpha, \beta), \quad "
            r"\tilde y \mid \tilde\theta \sim \mathrm{Bin}(\tilde n, \tilde\theta)",
        ),
    ]


# --- BDA3 Table 5.3 against the exact posterior -------------------------------------------------


def table_5_3() -> pd.DataFrame:
    """BDA3 Table 5.3 as printed (whole numbers; 200 draws): indexed by school A–H, columns
    :data:`BOOK_LEVELS` (``data/bda3_table_5_3.csv``)."""
    table = pd.read_csv(datasets.DATA_DIR / "bda3_table_5_3.csv", index_col="school")
    return table.astype(float)


def book_comparison_unavailable(y, sigma, names, *, tau_prior: str, mu_prior) -> str | None:
    """Why the book's Table 5.3 does not apply to the page's settings, or None when it does
    (the bundled data, a uniform prior on τ, a flat prior on μ)."""
    schools = datasets.eight_schools()
    same_data = (
        list(map(str, names)) == schools["school"].tolist()
        and np.array_equal(np.asarray(y, dtype=float), schools["y"].to_numpy())
        and np.array_equal(np.asarray(sigma, dtype=float), schools["sigma"].to_numpy())
    )
    if not same_data:
        return "BDA3's Table 5.3 is for the eight schools as published; the data here differ."
    if tau_prior != "uniform" or mu_prior is not None:
        return "BDA3's Table 5.3 uses a uniform prior on τ and a flat prior on μ."
    return None


def _order_statistic(level: float, draws: int) -> int:
    """The rank k of the order statistic X_(k) nearest the ``level`` quantile of ``draws`` draws
    as R and NumPy compute it by default (type 7: at rank (n − 1)·level + 1)."""
    return int(np.clip(round(level * (draws - 1) + 1), 1, draws))


def _order_statistic_levels(level: float, draws: int, probs) -> np.ndarray:
    """Quantiles of U_(k) = F(X_(k)) ~ Beta(k, draws + 1 − k), k = :func:`_order_statistic`."""
    k = _order_statistic(level, draws)
    return stats.beta.ppf(probs, k, draws + 1 - k)


def book_comparison(theta, names, *, book: pd.DataFrame | None = None, book_draws=BOOK_DRAWS):
    """The exact posterior's quantiles beside the book's, and how far a ``book_draws``-draw
    estimate of each quantile strays.

    A quantile estimated from n draws is an order statistic X_(k); its level U_(k) = F(X_(k)) is
    Beta(k, n + 1 − k) whatever F is, so mapping the quantiles of that Beta through the exact
    posterior's quantile function F⁻¹ gives the sampling distribution of the n-draw estimate:
    its sd (half its central 68% range) and its central 95% range.

    Parameters
    ----------
    theta : array, shape (draws, J)
        Exact posterior draws (many more than ``book_draws``).
    names : sequence of str, length J
    book : DataFrame, optional
        :func:`table_5_3` by default.
    book_draws : int
        Draws behind the book's table.

    Returns
    -------
    DataFrame with a (school, level) MultiIndex and columns ``exact`` (from ``theta``),
    ``book``, ``sd_small`` (sd of a ``book_draws``-draw estimate), ``low``, ``high`` (its 95%
    range), ``book_within`` (the book's value within that range, widened by its rounding) and
    ``z`` ((book − exact) / sd_small).
    """
    book = table_5_3() if book is None else book
    theta = np.asarray(theta, dtype=float)
    rows = []
    for j, name in enumerate(map(str, names)):
        draws = theta[:, j]
        for label in BOOK_LEVELS:
            level = float(label.rstrip("%")) / 100
            q = np.quantile(draws, _order_statistic_levels(level, book_draws, _ONE_SD))
            lo, hi = np.quantile(draws, _order_statistic_levels(level, book_draws, [0.025, 0.975]))
            value = float(book.loc[name, label])
            rows.append(
                {
                    "school": name,
                    "level": label,
                    "exact": float(np.quantile(draws, level)),
                    "book": value,
                    "sd_small": float((q[1] - q[0]) / 2),
                    "low": float(lo),
                    "high": float(hi),
                    "book_within": bool(lo - 0.5 <= value <= hi + 0.5),
                    "z": (value - float(np.quantile(draws, level))) / float((q[1] - q[0]) / 2),
                }
            )
    return pd.DataFrame(rows).set_index(["school", "level"])


def book_table(comparison: pd.DataFrame, columns: Sequence[str] = ("exact", "book")):
    """:func:`book_comparison` as one row per school and, for each level, its ``columns``
    side by side (``"97.5% exact"``, ``"97.5% book"``, …; just ``"97.5%"`` for one column)."""
    wide = comparison[list(columns)].unstack("level")
    pairs = [(column, level) for level in BOOK_LEVELS for column in columns]
    wide = wide[pairs]
    one = len(columns) == 1
    wide.columns = [level if one else f"{level} {column}" for column, level in pairs]
    order = list(dict.fromkeys(comparison.index.get_level_values("school")))
    return wide.loc[order]


def book_differences(comparison: pd.DataFrame) -> str:
    """In words: how noisy a 200-draw tail is here, and which printed values it cannot explain."""
    tails = comparison.xs("97.5%", level="level")["sd_small"]
    outside = [f"{s} {lvl}" for (s, lvl), ok in comparison["book_within"].items() if not ok]
    text = (
        f"BDA3 made Table 5.3 from {BOOK_DRAWS} draws and printed whole numbers. A 97.5% point "
        f"of {BOOK_DRAWS} draws is about the {BOOK_DRAWS + 1 - _order_statistic(0.975, BOOK_DRAWS)}th largest draw, so it varies from one set of "
        f"draws to the next with an sd of {tails.min():.1f} to {tails.max():.1f} points here "
        f"(order statistics: its level is Beta(k, {BOOK_DRAWS} + 1 − k)); the medians' sd is "
        f"{comparison.xs('50%', level='level')['sd_small'].mean():.1f}. The page's values come "
        "from many more draws, so most differences are the book's Monte Carlo error."
    )
    if outside:
        far = comparison[comparison["z"].abs() > _FAR]
        text += (
            f" Outside the central 95% range of a {BOOK_DRAWS}-draw estimate (widened by ± 0.5 "
            f"for the rounding): {', '.join(outside)}. Of {len(comparison)} printed values a "
            "few may fall outside by chance, the more so as every school's tail rests on the "
            "same few large draws of τ."
        )
        if len(far):
            worst = ", ".join(
                f"{school}'s {lvl} ({row.book:g} against {row.exact:.1f}, {abs(row.z):.1f} sds)"
                for (school, lvl), row in far.iterrows()
            )
            text += (
                f" But {worst} lies further than {BOOK_DRAWS} draws can explain: more likely a "
                "slip in the printed table than a difference in the model."
            )
    else:
        text += f" Every printed value lies within the 95% range of a {BOOK_DRAWS}-draw estimate."
    return text

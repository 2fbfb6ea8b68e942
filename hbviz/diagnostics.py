"""Convergence diagnostics of current practice for MCMC draws, and what they say about a fit.

R̂ is the rank-normalized split R̂ and ESS the bulk and tail effective sample sizes of Vehtari,
Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding, and localization: an
improved R̂ for assessing convergence of MCMC", Bayesian Analysis 16:667–718. They are computed by
ArviZ (``arviz-stats``' array layer, NumPy and SciPy only). Classic split R̂ looks at means only and
misses chains that agree in mean but not in spread or tails (a fit with rank-normalized R̂ 1.06
reads 1.009 there); rank-normalizing and folding catch both.

The thresholds are the paper's: R̂ ≤ 1.01 and, with four chains, bulk and tail ESS ≥ 400; any
divergent transition is reported, and more than 1 % of the draws fails the check.

Split R̂ is defined for a single chain too: its first half is compared with its second, which
catches a chain still drifting. ArviZ (``arviz-stats`` 0.8) returns NaN below two chains, so for
one chain the same computation (split, rank-normalize, classic R̂ of the bulk and of the folded
draws) is done here; on two or more chains it reproduces ArviZ's numbers (tests/test_diagnostics.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from arviz_stats.base import array_stats
from scipy import special, stats

__all__ = [
    "DIVERGENCE_FRACTION_MAX",
    "ESS_MIN",
    "R_HAT_MAX",
    "ConvergenceReport",
    "convergence_report",
    "ess_bulk",
    "ess_tail",
    "r_hat",
]

R_HAT_MAX = 1.01
"""Largest acceptable rank-normalized split R̂ (Vehtari et al. 2021)."""
ESS_MIN = 400
"""Smallest acceptable bulk and tail ESS (100 per chain for four chains; Vehtari et al. 2021)."""
DIVERGENCE_FRACTION_MAX = 0.01
"""Largest acceptable share of divergent transitions among the kept draws."""

# the tail ESS is the smaller of the ESS of the 5% and the 95% quantile (ArviZ's default)
_TAIL_PROB = 0.05


def _chains_first(draws) -> np.ndarray:
    draws = np.asarray(draws, dtype=np.float64)
    if draws.ndim < 2:
        raise ValueError(f"draws must have shape (chains, draws, ...); got shape {draws.shape}")
    return draws


def _z_scale(x: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks over all chains together (Blom's offset 3/8, as ArviZ)."""
    rank = stats.rankdata(x, method="average", axis=None).reshape(x.shape)
    return special.ndtri((rank - 3 / 8) / (x.size + 1 / 4))


def _classic_r_hat(x: np.ndarray) -> float:
    """Gelman–Rubin R̂ of chains of shape (chains, n): between- against within-chain variance."""
    n = x.shape[1]
    between = n * np.var(x.mean(axis=1), ddof=1)
    within = np.mean(np.var(x, axis=1, ddof=1))
    return float(np.sqrt((between / within + n - 1) / n)) if within > 0 else float("nan")


def _split_rank_r_hat(chains: np.ndarray) -> float:
    """Rank-normalized split R̂ of draws of shape (chains, draws), any number of chains ≥ 1.

    Each chain is cut into its first and last halves (the middle draw of an odd count left out),
    so one chain is two half-chains; then the larger of the bulk R̂ (rank-normalized draws) and
    the tail R̂ (rank-normalized distances from the median), as Vehtari et al. (2021) define it.
    """
    if chains.shape[1] < 4 or not np.all(np.isfinite(chains)):
        return float("nan")
    half = chains.shape[1] // 2
    split = np.concatenate([chains[:, :half], chains[:, -half:]])
    folded = np.abs(split - np.median(split))
    return max(_classic_r_hat(_z_scale(split)), _classic_r_hat(_z_scale(folded)))


def r_hat(draws) -> np.ndarray:
    """Rank-normalized split R̂, the larger of the bulk and the folded (tail) R̂.

    With one chain it is the split R̂ within that chain: its first half against its second.

    Parameters
    ----------
    draws : array, shape (chains, draws, *site_shape)

    Returns
    -------
    array, shape site_shape (NaN where the draws are constant or too few)
    """
    draws = _chains_first(draws)
    if draws.shape[0] > 1:
        return np.asarray(array_stats.rhat(draws, chain_axis=0, draw_axis=1))
    out = np.empty(draws.shape[2:])
    for index in np.ndindex(out.shape):
        out[index] = _split_rank_r_hat(draws[(slice(None), slice(None), *index)])
    return out


def ess_bulk(draws) -> np.ndarray:
    """Bulk effective sample size: of the rank-normalized split chains (Vehtari et al. 2021).

    Arrays as in :func:`r_hat`.
    """
    return np.asarray(
        array_stats.ess(_chains_first(draws), chain_axis=0, draw_axis=1, method="bulk")
    )


def ess_tail(draws) -> np.ndarray:
    """Tail effective sample size: the smaller ESS of the 5% and 95% quantiles' indicators.

    Arrays as in :func:`r_hat`.
    """
    return np.asarray(
        array_stats.ess(
            _chains_first(draws), chain_axis=0, draw_axis=1, method="tail", prob=_TAIL_PROB
        )
    )


class ConvergenceReport(NamedTuple):
    """The worst diagnostics of a fit and, in words a student can act on, what fails.

    Attributes
    ----------
    divergences : int
        Divergent transitions after warm-up, over all chains.
    draws : int
        Kept draws over all chains.
    max_r_hat : float
        Largest rank-normalized R̂ over every site (NaN if none could be computed).
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail ESS over every site.
    problems : tuple of str
        One sentence per failed check; empty when the fit passes.
    notes : tuple of str
        Remarks that do not fail the check (a few divergences).
    """

    divergences: int
    draws: int
    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when R̂ ≤ 1.01, both ESS ≥ 400 and at most 1 % of the draws diverged."""
        return not self.problems


def _worst(values, pick) -> float:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(pick(values)) if values.size else float("nan")


def convergence_report(
    summary, divergences: int, draws: int, *, chains: int | None = None
) -> ConvergenceReport:
    """Check a fit's summary table (columns ``r_hat``, ``n_eff``, ``ess_tail``) and divergences.

    Parameters
    ----------
    summary : DataFrame
        As :func:`hbviz.nuts.posterior_summary` returns it.
    divergences : int
        Divergent transitions after warm-up.
    draws : int
        Kept draws over all chains.
    chains : int, optional
        Number of chains; with one, R̂ compares the chain's two halves and the text says so.

    Returns
    -------
    ConvergenceReport
    """
    max_r_hat = _worst(summary["r_hat"], np.max)
    min_bulk = _worst(summary["n_eff"], np.min)
    min_tail = _worst(summary["ess_tail"], np.min)
    problems = []
    if divergences > DIVERGENCE_FRACTION_MAX * draws:
        problems.append(
            f"{divergences} divergent transitions in {draws} draws (more than "
            f"{DIVERGENCE_FRACTION_MAX:.0%}): the sampler could not follow the posterior's shape "
            "somewhere, so part of it may be missing from the draws"
        )
    notes = ()
    if 0 < divergences <= DIVERGENCE_FRACTION_MAX * draws:
        notes = (
            f"{divergences} divergent transitions in {draws} draws: few enough to pass (at most "
            f"{DIVERGENCE_FRACTION_MAX:.0%}), but each marks a place the sampler could not follow",
        )
    if not max_r_hat <= R_HAT_MAX and chains == 1:
        problems.append(
            f"R̂ reaches {max_r_hat:.3f} (should be ≤ {R_HAT_MAX}; split R-hat within the one "
            "chain): the chain's first half and its second disagree, so it was still drifting "
            "or stuck; run longer, or run more chains"
        )
    elif not max_r_hat <= R_HAT_MAX:
        problems.append(
            f"R̂ reaches {max_r_hat:.3f} (should be ≤ {R_HAT_MAX}): the chains disagree with "
            "each other, so they have not all found the same distribution; run longer"
        )
    if not min_bulk >= ESS_MIN:
        problems.append(
            f"the bulk ESS falls to {min_bulk:,.0f} (should be ≥ {ESS_MIN}): the draws are so "
            "correlated that they are worth fewer than that many independent ones, too few for "
            "reliable means and intervals; run longer"
        )
    if not min_tail >= ESS_MIN:
        problems.append(
            f"the tail ESS falls to {min_tail:,.0f} (should be ≥ {ESS_MIN}): the 5% and 95% "
            "quantiles rest on too few independent draws, so the intervals are unreliable; "
            "run longer"
        )
    return ConvergenceReport(
        divergences=int(divergences),
        draws=int(draws),
        max_r_hat=max_r_hat,
        min_ess_bulk=min_bulk,
        min_ess_tail=min_tail,
        problems=tuple(problems),
        notes=notes,
    )

"""Convergence diagnostics of current practice for MCMC draws, and what they say about a fit.

R̂ is the rank-normalized split R̂ and ESS the bulk and tail effective sample sizes of Vehtari,
Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding, and localization: an
improved R̂ for assessing convergence of MCMC", Bayesian Analysis 16:667–718. Classic split R̂
looks at means only and misses chains that agree in mean but not in spread or tails (a fit with
rank-normalized R̂ 1.06 reads 1.009 there); rank-normalizing and folding catch both.

The thresholds are the paper's: R̂ ≤ 1.01 and, with four chains, bulk and tail ESS ≥ 400; any
divergent transition is reported, and more than 1 % of the draws fails the check.

The numbers are ArviZ's (``arviz-stats`` 0.8, tests/test_diagnostics.py checks them to 1e-10),
computed for every element of a site at once: ArviZ loops over the elements in Python, ranking and
transforming one at a time, which took 6 s of a 1,000-group summary. Split R̂ is defined for a
single chain too (its first half against its second, which catches a chain still drifting), so
unlike ArviZ, which returns NaN below two chains, one chain gets it here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import fft, special

__all__ = [
    "DIVERGENCE_FRACTION_MAX",
    "ESS_MIN",
    "R_HAT_MAX",
    "ConvergenceReport",
    "RankDiagnostics",
    "convergence_report",
    "ess_bulk",
    "ess_tail",
    "r_hat",
    "rank_diagnostics",
    "sorted_quantiles",
]

R_HAT_MAX = 1.01
"""Largest acceptable rank-normalized split R̂ (Vehtari et al. 2021)."""
ESS_MIN = 400
"""Smallest acceptable bulk and tail ESS (100 per chain for four chains; Vehtari et al. 2021)."""
DIVERGENCE_FRACTION_MAX = 0.01
"""Largest acceptable share of divergent transitions among the kept draws."""

# the tail ESS is the smaller of the ESS of the 5% and the 95% quantile (ArviZ's default)
_TAIL_PROB = 0.05
# fewer draws per chain and ArviZ returns NaN
_MIN_DRAWS = 4
# elements are processed in blocks of about this many draws: the temporaries (ranks, spectra)
# peak near 100 bytes a draw, so 53 MB here against 405 MB for 1,000 × 4,000 draws in one block
# (tracemalloc), as fast (0.84 s either way, 2 cores)
_BLOCK_DRAWS = 1 << 19


def sorted_quantiles(rows: np.ndarray, probs) -> np.ndarray:
    """``np.quantile(rows, probs, axis=1)`` (NumPy's default, linear method), shape
    (len(probs), rows), from one sort of each row: NumPy partitions the rows again for every
    probability, 3–7× slower for a fit's few thousand draws per element. A row with a NaN
    gets NaN, as in NumPy."""
    rows = np.asarray(rows, dtype=np.float64)
    n = rows.shape[1]
    ordered = np.sort(rows, axis=1)  # NaN sorts last
    out = np.empty((len(probs), rows.shape[0]))
    for i, prob in enumerate(probs):
        # NumPy's virtual index for the linear method, as it computes it (so the same rounding)
        virtual = (n - 1) * prob
        below = int(np.clip(np.floor(virtual), 0, n - 1))
        above = min(below + 1, n - 1)
        gamma = virtual - np.floor(virtual) if 0 <= virtual < n - 1 else 0.0
        a, b = ordered[:, below], ordered[:, above]
        diff = b - a
        # NumPy's _lerp: from the nearer end
        out[i] = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
    out[:, np.isnan(ordered[:, -1])] = np.nan
    return out


def _chains_first(draws) -> np.ndarray:
    draws = np.asarray(draws, dtype=np.float64)
    if draws.ndim < 2:
        raise ValueError(f"draws must have shape (chains, draws, ...); got shape {draws.shape}")
    return draws


def _per_element(
    draws, statistic: Callable[[np.ndarray], np.ndarray], outputs: int = 1
) -> np.ndarray:
    """``statistic`` of draws (chains, draws, *site) applied to rows (elements, chains, draws).

    ``statistic`` returns an array (outputs, elements); the result is (outputs, *site).
    As ArviZ: NaN for an element with a NaN draw and for fewer than four draws per chain.
    """
    draws = _chains_first(draws)
    chains, n = draws.shape[:2]
    site_shape = draws.shape[2:]
    rows = np.moveaxis(draws.reshape(chains, n, int(np.prod(site_shape))), 2, 0)
    out = np.full((outputs, rows.shape[0]), np.nan)
    if chains == 0 or n < _MIN_DRAWS:
        return out.reshape(-1, *site_shape)
    valid = np.flatnonzero(~np.isnan(rows).any(axis=(1, 2)))
    step = max(1, _BLOCK_DRAWS // (chains * n))
    for start in range(0, valid.size, step):
        block = valid[start : start + step]
        out[:, block] = statistic(np.ascontiguousarray(rows[block]))
    return out.reshape(-1, *site_shape)


def _split(rows: np.ndarray) -> np.ndarray:
    """Each chain cut into its first and last halves (the middle draw of an odd count left out)."""
    half = rows.shape[2] // 2
    return np.concatenate([rows[:, :, :half], rows[:, :, -half:]], axis=1)


def _z_scale(rows: np.ndarray) -> np.ndarray:
    """Normal scores of the average ranks over all chains together, per element (Blom's 3/8).

    The same as ``ndtri((scipy.stats.rankdata(x) - 3/8) / (N + 1/4))`` per element, with an
    unstable sort (ties get their average rank whatever their order; 4x faster than a stable
    one) and each normal score computed once per half-rank rather than once per draw.
    """
    k, chains, n = rows.shape
    size = chains * n
    values = rows.reshape(k, size)
    order = np.argsort(values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    position = np.arange(size)
    starts = np.ones((k, size), dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    if starts.all():
        twice_rank = np.broadcast_to(2 * position + 2, (k, size))
    else:
        # a tie group's average rank is the mean of its first and last positions, plus one
        first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
        ends = np.ones((k, size), dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        last = np.minimum.accumulate(np.where(ends, position, size)[:, ::-1], axis=1)[:, ::-1]
        twice_rank = first + last + 2
    half_ranks = np.arange(2 * size + 1) / 2
    score = special.ndtri((half_ranks - 3 / 8) / (size + 1 / 4))
    z = np.empty((k, size))
    np.put_along_axis(z, order, score[twice_rank], axis=1)
    return z.reshape(rows.shape)


def _classic_r_hat(rows: np.ndarray) -> np.ndarray:
    """Gelman–Rubin R̂ per element: between- against within-chain variance.

    NaN for constant draws (0/0), infinite for chains each constant but unlike each other.
    """
    n = rows.shape[2]
    between = n * np.var(rows.mean(axis=2), axis=1, ddof=1)
    within = np.var(rows, axis=2, ddof=1).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def _rank_r_hat(split: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
    """The larger of the bulk R̂ (rank-normalized split chains) and the tail R̂ (folded).

    ``split`` as :func:`_split` returns it; ``z`` its :func:`_z_scale` if already computed.
    """
    bulk = _classic_r_hat(_z_scale(split) if z is None else z)
    folded = np.abs(split - np.median(split, axis=(1, 2), keepdims=True))
    tail = _classic_r_hat(_z_scale(folded))
    # ArviZ's max(bulk, tail): the bulk R̂ unless the tail's is larger (so a NaN tail is ignored)
    return np.where(tail > bulk, tail, bulk)


def _mean_autocov(rows: np.ndarray) -> np.ndarray:
    """Autocovariance at every lag (biased, divided by n), averaged over the chains, by FFT.

    Shape (elements, draws). The chains' power spectra are averaged before the one inverse
    transform, which is the average of their autocovariances (the transform is linear).
    """
    n = rows.shape[2]
    # zero-padded to at least 2n so that the circular correlation equals the linear one
    m = fft.next_fast_len(2 * n, real=True)
    spectrum = np.fft.rfft(rows - rows.mean(axis=2, keepdims=True), n=m, axis=2)
    power = (spectrum.real**2 + spectrum.imag**2).mean(axis=1)
    return np.fft.irfft(power, n=m, axis=1)[:, :n] / n


def _ess(rows: np.ndarray) -> np.ndarray:
    """ESS per element of chains (elements, chains, draws), as Stan and ArviZ estimate it.

    Autocorrelations are combined over chains (Vehtari et al. 2021, eq. 10) and summed in pairs
    of lags ρ_2k + ρ_2k+1 up to the first pair that is not positive (Geyer's initial positive
    sequence), each pair capped by the one before (initial monotone sequence). Constant draws
    count as independent (ESS = their number), as in ArviZ.
    """
    k, chains, n = rows.shape
    size = chains * n
    acov = _mean_autocov(rows)
    mean_var = acov[:, 0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if chains > 1:
        var_plus = var_plus + np.var(rows.mean(axis=2), axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    # pairs P_0 … P_last; ArviZ's loop reaches lag 2·last + 1 ≤ n − 2
    last = max((n - 3) // 2, 0)
    pairs = rho[:, 0 : 2 * last + 1 : 2] + rho[:, 1 : 2 * last + 2 : 2]
    stop = pairs <= 0
    stop[:, -1] = True
    first_stop = np.argmax(stop, axis=1)
    elements = np.arange(k)
    monotone = np.minimum.accumulate(pairs, axis=1)
    head = np.where(np.arange(last + 1) < first_stop[:, None], monotone, 0.0).sum(axis=1)
    # the even lag of the stopping pair counts once: kept if positive or if its pair is not negative
    even = rho[elements, 2 * first_stop]
    tail = np.where((even > 0) | (pairs[elements, first_stop] >= 0), even, 0.0)
    tau = np.maximum(-1.0 + 2.0 * head + tail, 1 / np.log10(size))
    ess = np.where(np.isnan(rho).any(axis=1), np.nan, size / tau)
    constant = np.ptp(rows, axis=(1, 2)) < np.finfo(np.float64).resolution
    return np.where(constant, float(size), ess)


def _ess_tail(rows: np.ndarray) -> np.ndarray:
    """The smaller ESS of the indicators of the 5% and the 95% quantile (pooled chains)."""
    k = rows.shape[0]
    with np.errstate(invalid="ignore"):  # an infinite draw may give a NaN quantile, as in ArviZ
        low, high = sorted_quantiles(rows.reshape(k, -1), [_TAIL_PROB, 1 - _TAIL_PROB])
    below = np.concatenate([rows <= low[:, None, None], rows <= high[:, None, None]])
    ess_low, ess_high = np.split(_ess(_split(below.astype(np.float64))), 2)
    # ArviZ's min(low, high): the lower quantile's ESS unless the upper one's is smaller
    return np.where(ess_high < ess_low, ess_high, ess_low)


def _rank_diagnostics(rows: np.ndarray) -> np.ndarray:
    """Bulk ESS, tail ESS and R̂ of rows (elements, chains, draws), sharing the bulk's ranks."""
    split = _split(rows)
    z = _z_scale(split)
    return np.stack([_ess(z), _ess_tail(rows), _rank_r_hat(split, z)])


class RankDiagnostics(NamedTuple):
    """Bulk ESS, tail ESS and rank-normalized R̂ of each element of a site, computed together.

    Attributes
    ----------
    ess_bulk, ess_tail, r_hat : array, shape site_shape
        As :func:`ess_bulk`, :func:`ess_tail` and :func:`r_hat` return them.
    """

    ess_bulk: np.ndarray
    ess_tail: np.ndarray
    r_hat: np.ndarray


def rank_diagnostics(draws) -> RankDiagnostics:
    """:func:`ess_bulk`, :func:`ess_tail` and :func:`r_hat` at once, ranking the draws once less.

    Parameters
    ----------
    draws : array, shape (chains, draws, *site_shape)

    Returns
    -------
    RankDiagnostics
    """
    return RankDiagnostics(*_per_element(draws, _rank_diagnostics, 3))


def r_hat(draws) -> np.ndarray:
    """Rank-normalized split R̂, the larger of the bulk and the folded (tail) R̂.

    With one chain it is the split R̂ within that chain: its first half against its second.

    Parameters
    ----------
    draws : array, shape (chains, draws, *site_shape)

    Returns
    -------
    array, shape site_shape (NaN where the draws are constant, hold a NaN or are fewer than four
    per chain; infinite where each half-chain is constant but they differ)
    """
    (values,) = _per_element(draws, lambda rows: _rank_r_hat(_split(rows))[None])
    return values


def ess_bulk(draws) -> np.ndarray:
    """Bulk effective sample size: of the rank-normalized split chains (Vehtari et al. 2021).

    Arrays as in :func:`r_hat`; constant draws count as independent, as in ArviZ.
    """
    (values,) = _per_element(draws, lambda rows: _ess(_z_scale(_split(rows)))[None])
    return values


def ess_tail(draws) -> np.ndarray:
    """Tail effective sample size: the smaller ESS of the 5% and 95% quantiles' indicators.

    Arrays as in :func:`r_hat`; constant draws count as independent, as in ArviZ.
    """
    (values,) = _per_element(draws, lambda rows: _ess_tail(rows)[None])
    return values


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
    # NaN is a constant site (nothing to say); an infinite R̂ is chains each stuck apart
    values = values[~np.isnan(values)]
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

"""The priors on the population sd τ: one registry that every model, sampler and page reads.

Each entry holds what the code needs of one prior: its name (the ``tau_prior`` argument), its
label as the pages show it, its log density for the exact normal–normal grid, its NumPyro
distribution for NUTS, whether it is proper, and which models offer it. Adding a prior is one
entry here (and a test); compare NumPyro's ``numpyro/distributions/__init__.py``.

The models that read the registry:

- ``"exact"``: the exact normal–normal posterior on a τ grid (:mod:`hbviz.normal_normal`), and the
  analysis of uploaded estimates and raw data built on it (:mod:`hbviz.your_data`);
- ``"estimates"``: NUTS on estimates with known standard errors (``hbviz.models.estimates_*``);
- ``"raw"``: NUTS on raw grouped observations (``hbviz.models.raw_*``);
- ``"counts"``: NUTS on the logit-normal hierarchy of counts (``hbviz.models.counts_logit_normal_*``).

Every ``tau_scale`` means the same thing for every prior: the scale of a half-Cauchy or
half-normal, the mean of an exponential; a uniform prior ignores it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp
import numpyro.distributions as dist

__all__ = ["MODELS", "TAU_PRIORS", "TauPrior", "check", "label", "names"]

MODELS = ("exact", "estimates", "raw", "counts")


class TauPrior(NamedTuple):
    """One prior on τ.

    Attributes
    ----------
    name : str
        The value of ``tau_prior`` that selects it.
    label : str
        Its name as the pages show it ("half-Cauchy").
    log_density : callable
        ``log_density(tau, tau_scale)``: JAX log density of τ ≥ 0 up to a constant, for the
        exact grid; ``tau`` is an array, ``tau_scale`` a scalar.
    distribution : callable or None
        ``distribution(tau_scale)``: the NumPyro distribution of τ; None if improper.
    proper : bool
        Whether it integrates. An improper prior is taken to be flat in its tail: the exact
        posterior then needs enough groups (see :func:`hbviz.normal_normal.sample_posterior`),
        and NUTS does not offer it.
    models : frozenset of str
        The members of :data:`MODELS` that offer it.
    """

    name: str
    label: str
    log_density: Callable
    distribution: Callable[[float], dist.Distribution] | None
    proper: bool
    models: frozenset[str]


def _uniform(tau, tau_scale):
    return jnp.zeros_like(tau)


def _half_cauchy(tau, tau_scale):
    z = tau / tau_scale
    return -jnp.log1p(z * z)


def _half_normal(tau, tau_scale):
    z = tau / tau_scale
    return -0.5 * z * z


def _exponential(tau, tau_scale):
    return -tau / tau_scale


# The registry, in the order the pages list the priors. Tests may add entries temporarily
# (``monkeypatch.setitem``): every consumer reads this dict when called, never a copy.
TAU_PRIORS: dict[str, TauPrior] = {
    p.name: p
    for p in (
        TauPrior("uniform", "uniform", _uniform, None, False, frozenset({"exact"})),
        TauPrior(
            "half_cauchy",
            "half-Cauchy",
            _half_cauchy,
            dist.HalfCauchy,
            True,
            frozenset({"exact", "estimates", "counts"}),
        ),
        TauPrior(
            "half_normal",
            "half-normal",
            _half_normal,
            dist.HalfNormal,
            True,
            frozenset({"exact", "estimates", "raw", "counts"}),
        ),
        TauPrior(
            "exponential",
            "exponential",
            _exponential,
            lambda tau_scale: dist.Exponential(1.0 / tau_scale),
            True,
            frozenset({"raw"}),
        ),
    )
}


def names(model: str | None = None) -> tuple[str, ...]:
    """Names of the priors that ``model`` offers (all of them if None), in registry order."""
    if model is not None and model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    return tuple(n for n, p in TAU_PRIORS.items() if model is None or model in p.models)


def check(tau_prior, model: str) -> TauPrior:
    """The registry entry of ``tau_prior`` if ``model`` offers it; else a ValueError naming it."""
    offered = names(model)
    if not isinstance(tau_prior, str) or tau_prior not in offered:
        expected = ", ".join(repr(n) for n in offered)
        raise ValueError(f"tau_prior must be one of {expected}; got {tau_prior!r}")
    return TAU_PRIORS[tau_prior]


def label(tau_prior: str) -> str:
    """The label the pages show for ``tau_prior`` ("half-Cauchy" for "half_cauchy")."""
    return TAU_PRIORS[tau_prior].label


def scale_label(model: str) -> str:
    """The label of the τ-scale slider for the priors ``model`` offers.

    E.g. "Scale of the half-Cauchy / half-normal prior on τ" for the exact analysis (the uniform
    prior has no scale).
    """
    with_scale = [label(n) for n in names(model) if TAU_PRIORS[n].proper]
    return f"Scale of the {' / '.join(with_scale)} prior on τ"

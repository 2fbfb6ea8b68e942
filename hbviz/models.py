"""NumPyro models of the three data shapes, one small function per pooling regime.

The families follow the shapes that ``hbviz`` accepts:

- **estimates** with known standard errors (eight schools, BDA3 §5.5): ``estimates_*``;
- **raw** grouped observations with an unknown noise sd (the NumPyro tutorial on levels of
  pooling, data 10, 12, 9, 11, 8): ``raw_*``;
- **counts**, binomial successes out of trials (rat tumors, BDA3 §5.1–5.3; free throws):
  ``counts_*``.

Within a family every model has the same signature, so a runner can swap one for another. The
hyperparameters are ordinary (traceable) arguments, so a jitted runner can change them without
recompiling; choices that change the model's structure (the family of the τ prior, the number of
groups) are keyword-only and meant to be fixed when compiling. As in NumPyro's
``examples/baseball.py``, passing the observations as ``None`` turns a model into its predictive:
it then samples them (from the prior, or from the posterior under
``numpyro.infer.Predictive(model, posterior_samples)``).

The non-centered forms sample a standardized ``*_decentered`` site (the name NumPyro's
``LocScaleReparam`` uses) and expose the group parameters as a deterministic site with the same
name as in the centered form, so that both forms can be read the same way.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jax.nn import log_sigmoid, sigmoid
from jax.scipy.special import gammaln
from numpyro.distributions import constraints

from hbviz import priors

__all__ = [
    "BetaBinomial",
    "counts_beta_binomial",
    "counts_logit_normal_centered",
    "counts_logit_normal_noncentered",
    "estimates_complete_pooling",
    "estimates_no_pooling",
    "estimates_partial_pooling_centered",
    "estimates_partial_pooling_noncentered",
    "log_rising_factorial",
    "raw_complete_pooling",
    "raw_no_pooling",
    "raw_partial_pooling_centered",
    "raw_partial_pooling_noncentered",
    "tau_distribution",
]


def tau_distribution(tau_prior: str, tau_scale) -> dist.Distribution:
    """The prior of the population sd τ, named by ``tau_prior`` and scaled by ``tau_scale``.

    The registry :data:`hbviz.priors.TAU_PRIORS` holds the distributions: ``"half_cauchy"`` and
    ``"half_normal"`` take ``tau_scale`` as their scale, ``"exponential"`` as its mean (rate
    ``1 / tau_scale``), so the slider means the same thing for all of them.
    """
    prior = priors.TAU_PRIORS.get(tau_prior) if isinstance(tau_prior, str) else None
    if prior is None or prior.distribution is None:
        proper = ", ".join(repr(n) for n, p in priors.TAU_PRIORS.items() if p.proper)
        raise ValueError(f"tau_prior must be one of {proper}; got {tau_prior!r}")
    return prior.distribution(tau_scale)


# --- the population level every partial-pooling model shares -------------------------------------


def _population(mean_name: str, mu_mean, mu_sd, tau_prior: str, tau_scale):
    """The population mean ~ N(mu_mean, mu_sd²) and its sd τ ~ the named prior."""
    mean = numpyro.sample(mean_name, dist.Normal(mu_mean, mu_sd))
    tau = numpyro.sample("tau", tau_distribution(tau_prior, tau_scale))
    return mean, tau


def _group_effects(
    mean_name: str, name: str, groups, mu_mean, mu_sd, tau_prior, tau_scale, centered
):
    """The population level (:func:`_population`) and each of ``groups`` groups' effect
    (:func:`_group_effect`) in the ``"group"`` plate: the hierarchy every partial-pooling model
    shares, whatever its data."""
    mean, tau = _population(mean_name, mu_mean, mu_sd, tau_prior, tau_scale)
    with numpyro.plate("group", groups):
        return _group_effect(name, mean, tau, centered=centered)


def _group_effect(name: str, mean, tau, *, centered: bool):
    """Each group's effect ~ N(mean, τ²), inside the caller's group plate: sampled directly
    (centered), or as ``mean + τ · z`` with ``{name}_decentered`` z ~ N(0, 1) sampled
    (non-centered; the same distribution without the funnel between τ and the effects)."""
    if centered:
        return numpyro.sample(name, dist.Normal(mean, tau))
    decentered = numpyro.sample(f"{name}_decentered", dist.Normal(0.0, 1.0))
    return numpyro.deterministic(name, mean + tau * decentered)


# --- estimates with known standard errors (BDA3 §5.4–5.5) ---------------------------------------
# Signature: (sigma, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_cauchy").


def estimates_no_pooling(sigma, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_cauchy"):
    r"""No pooling: each group's effect is estimated on its own (BDA3 §5.5, "separate estimates").

    .. math::
        \theta_j \sim \mathcal N(\mu_0, s_0^2), \qquad y_j \sim \mathcal N(\theta_j, \sigma_j^2),

    with :math:`(\mu_0, s_0)` = ``(mu_mean, mu_sd)``, the prior that μ gets in the other regimes
    (the τ → ∞ limit of the hierarchy, made proper). ``tau_scale`` and ``tau_prior`` are unused.

    Parameters
    ----------
    sigma : array, shape (J,)
        Known standard errors σ_j.
    mu_mean, mu_sd : float
        Mean and sd of the normal prior.
    tau_scale : float
        Unused (no population sd).
    y : array, shape (J,), optional
        Estimates y_j; ``None`` samples them.
    """
    with numpyro.plate("group", sigma.shape[0]):
        theta = numpyro.sample("theta", dist.Normal(mu_mean, mu_sd))
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def estimates_complete_pooling(
    sigma, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_cauchy"
):
    r"""Complete pooling: one common effect for every group (BDA3 §5.5, τ = 0).

    .. math::
        \mu \sim \mathcal N(\mu_0, s_0^2), \qquad \theta_j = \mu,
        \qquad y_j \sim \mathcal N(\mu, \sigma_j^2).

    ``theta`` is exposed as a deterministic site (μ repeated J times) so that every regime has it.
    ``tau_scale`` and ``tau_prior`` are unused. Arguments as in :func:`estimates_no_pooling`.
    """
    mu = numpyro.sample("mu", dist.Normal(mu_mean, mu_sd))
    with numpyro.plate("group", sigma.shape[0]):
        numpyro.deterministic("theta", jnp.broadcast_to(mu, sigma.shape))
        numpyro.sample("y", dist.Normal(mu, sigma), obs=y)


def estimates_partial_pooling_centered(
    sigma, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_cauchy"
):
    r"""Partial pooling, centered form: the normal hierarchy of BDA3 §5.4–5.5.

    .. math::
        \mu \sim \mathcal N(\mu_0, s_0^2), \quad
        \tau \sim \text{HalfCauchy}(s_\tau) \text{ or HalfNormal}(s_\tau), \quad
        \theta_j \sim \mathcal N(\mu, \tau^2), \quad y_j \sim \mathcal N(\theta_j, \sigma_j^2).

    With few groups the posterior has a funnel at small τ that NUTS cannot enter in this form, so
    expect divergences (the eight schools are the classic case).

    Parameters
    ----------
    sigma : array, shape (J,)
        Known standard errors σ_j.
    mu_mean, mu_sd : float
        Mean and sd of the normal prior on μ.
    tau_scale : float
        Scale s_τ of the prior on τ.
    y : array, shape (J,), optional
        Estimates y_j; ``None`` samples them.
    tau_prior : {"half_cauchy", "half_normal"}
        Family of the prior on τ (keyword-only: it changes the model's structure).
    """
    _estimates_partial_pooling(sigma, mu_mean, mu_sd, tau_scale, y, tau_prior, centered=True)


def estimates_partial_pooling_noncentered(
    sigma, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_cauchy"
):
    r"""Partial pooling, non-centered form: the same model as the centered one, sampled through

    .. math::
        \tilde\theta_j \sim \mathcal N(0, 1), \qquad \theta_j = \mu + \tau\,\tilde\theta_j,

    which removes the funnel between τ and θ (Papaspiliopoulos, Roberts & Sköld 2007; the Stan
    eight-schools case study). ``theta`` is deterministic; ``theta_decentered`` is sampled.
    Arguments as in :func:`estimates_partial_pooling_centered`.
    """
    _estimates_partial_pooling(sigma, mu_mean, mu_sd, tau_scale, y, tau_prior, centered=False)


def _estimates_partial_pooling(sigma, mu_mean, mu_sd, tau_scale, y, tau_prior, *, centered):
    groups = sigma.shape[0]
    theta = _group_effects("mu", "theta", groups, mu_mean, mu_sd, tau_prior, tau_scale, centered)
    with numpyro.plate("group", groups):
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


# --- raw grouped observations, unknown noise sd (NumPyro tutorial, levels of pooling) ------------
# Signature: (group, mu_mean, mu_sd, sigma_rate, tau_scale, values=None, *,
#             num_groups=None, tau_prior="half_normal").
# ``group`` holds integer ids 0..G-1, one per observation. ``num_groups`` must be given under jit
# (it sets a plate's size); eagerly it defaults to max(group) + 1.


def _num_groups(group, num_groups):
    return int(jnp.max(group)) + 1 if num_groups is None else num_groups


def raw_no_pooling(
    group,
    mu_mean,
    mu_sd,
    sigma_rate,
    tau_scale,
    values=None,
    *,
    num_groups=None,
    tau_prior="half_normal",
):
    r"""No pooling: every observation has its own mean and its own noise sd (the tutorial's form).

    .. math::
        \mu_i \sim \mathcal N(\mu_0, s_0^2), \quad \sigma_i \sim \text{Exponential}(\lambda), \quad
        v_i \sim \mathcal N(\mu_i, \sigma_i^2), \qquad i = 1, \dots, N,

    with the tutorial's :math:`\mu_0 = 0, s_0 = 10, \lambda = 1` by default in :mod:`hbviz.nuts`.
    One value cannot tell a mean from a noise sd: the posterior has a funnel toward
    :math:`\sigma_i \to 0,\ \mu_i \to v_i` and NUTS diverges there, which is the point of showing it.
    ``group``, ``tau_scale``, ``num_groups`` and ``tau_prior`` only fix N or are unused.

    Parameters
    ----------
    group : int array, shape (N,)
        Group id of each observation (only its length is used here).
    mu_mean, mu_sd : float
        Mean and sd of the normal prior on each mean.
    sigma_rate : float
        Rate λ of the exponential prior on each noise sd.
    tau_scale : float
        Unused.
    values : array, shape (N,), optional
        Observations v_i; ``None`` samples them.
    """
    with numpyro.plate("obs", group.shape[0]):
        mu = numpyro.sample("mu", dist.Normal(mu_mean, mu_sd))
        sigma = numpyro.sample("sigma", dist.Exponential(sigma_rate))
        numpyro.sample("values", dist.Normal(mu, sigma), obs=values)


def raw_complete_pooling(
    group,
    mu_mean,
    mu_sd,
    sigma_rate,
    tau_scale,
    values=None,
    *,
    num_groups=None,
    tau_prior="half_normal",
):
    r"""Complete pooling: one mean and one noise sd for all observations (tutorial).

    .. math::
        \mu \sim \mathcal N(\mu_0, s_0^2), \quad \sigma \sim \text{Exponential}(\lambda), \quad
        v_i \sim \mathcal N(\mu, \sigma^2).

    Arguments as in :func:`raw_no_pooling`; ``group`` only fixes N.
    """
    mu = numpyro.sample("mu", dist.Normal(mu_mean, mu_sd))
    sigma = numpyro.sample("sigma", dist.Exponential(sigma_rate))
    with numpyro.plate("obs", group.shape[0]):
        numpyro.sample("values", dist.Normal(mu, sigma), obs=values)


def raw_partial_pooling_centered(
    group,
    mu_mean,
    mu_sd,
    sigma_rate,
    tau_scale,
    values=None,
    *,
    num_groups=None,
    tau_prior="half_normal",
):
    r"""Partial pooling, centered form: group means drawn from a shared population (tutorial).

    .. math::
        \mu_\text{pop} \sim \mathcal N(\mu_0, s_0^2), \quad
        \tau \sim \text{HalfNormal}(s_\tau) \text{ or Exponential}(\text{mean } s_\tau), \quad
        \mu_g \sim \mathcal N(\mu_\text{pop}, \tau^2), \quad
        \sigma \sim \text{Exponential}(\lambda), \quad
        v_i \sim \mathcal N(\mu_{g[i]}, \sigma^2).

    Parameters
    ----------
    group : int array, shape (N,)
        Group id g[i] in 0..G-1 of each observation.
    mu_mean, mu_sd : float
        Mean and sd of the normal prior on the population mean.
    sigma_rate : float
        Rate λ of the exponential prior on the noise sd.
    tau_scale : float
        Scale s_τ of the prior on the population sd τ.
    values : array, shape (N,), optional
        Observations v_i; ``None`` samples them.
    num_groups : int, optional
        G; required under jit, ``max(group) + 1`` otherwise.
    tau_prior : {"half_normal", "exponential"}
        Family of the prior on τ.
    """
    _raw_partial_pooling(
        group, mu_mean, mu_sd, sigma_rate, tau_scale, values, num_groups, tau_prior, centered=True
    )


def raw_partial_pooling_noncentered(
    group,
    mu_mean,
    mu_sd,
    sigma_rate,
    tau_scale,
    values=None,
    *,
    num_groups=None,
    tau_prior="half_normal",
):
    r"""Partial pooling, non-centered form: as the centered model, with
    :math:`\mu_g = \mu_\text{pop} + \tau\,\tilde\mu_g,\ \tilde\mu_g \sim \mathcal N(0, 1)`.

    ``mu`` is deterministic, ``mu_decentered`` sampled. Arguments as in
    :func:`raw_partial_pooling_centered`.
    """
    _raw_partial_pooling(
        group, mu_mean, mu_sd, sigma_rate, tau_scale, values, num_groups, tau_prior, centered=False
    )


def _raw_partial_pooling(
    group, mu_mean, mu_sd, sigma_rate, tau_scale, values, num_groups, tau_prior, *, centered
):
    groups = _num_groups(group, num_groups)
    mu = _group_effects("mu_pop", "mu", groups, mu_mean, mu_sd, tau_prior, tau_scale, centered)
    sigma = numpyro.sample("sigma", dist.Exponential(sigma_rate))
    with numpyro.plate("obs", group.shape[0]):
        numpyro.sample("values", dist.Normal(mu[group], sigma), obs=values)


# --- binomial counts (BDA3 §5.1–5.3) -------------------------------------------------------------
# Signature: (n, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_normal").


# Stirling's series is used for log Γ(x + m) − log Γ(x) from this x on: its first omitted term,
# 1/(1188 x^9), is below 1e-12 there, and below it log Γ itself is small, so subtracting is exact.
_STIRLING_FROM = 10.0


def _stirling_tail(z):
    # log Γ(z) − [(z − ½) log z − z + ½ log 2π]
    r = 1.0 / z
    r2 = r * r
    return r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 / 1680.0)))


def log_rising_factorial(x, m):
    """log Γ(x + m) − log Γ(x) for x > 0, m ≥ 0, accurate for any x (differentiable in x).

    For large x the plain difference of log Γ loses everything to cancellation (log Γ(e^40) is
    about 10^19, where a float64 ulp is 2000): NumPyro's ``BetaBinomial.log_prob`` returns
    log densities off by thousands at α + β ≈ e^40, where NUTS then wanders. Here, for
    x ≥ 10, the difference is taken inside Stirling's series, with no large number subtracted:
    (x + m − ½) log1p(m/x) + m (log x − 1) + S(x + m) − S(x).
    """
    use_direct = x < _STIRLING_FROM
    # each branch sees only inputs it is safe for, so neither puts a NaN into the gradient
    small = jnp.where(use_direct, x, _STIRLING_FROM)
    large = jnp.where(use_direct, _STIRLING_FROM, x)
    direct = gammaln(small + m) - gammaln(small)
    series = (
        (large + m - 0.5) * jnp.log1p(m / large)
        + m * (jnp.log(large) - 1.0)
        + _stirling_tail(large + m)
        - _stirling_tail(large)
    )
    return jnp.where(use_direct, direct, series)


class BetaBinomial(dist.BetaBinomial):
    """NumPyro's beta–binomial (``concentration1`` = α, ``concentration0`` = β), with a log
    density that stays accurate for any α + β (see :func:`log_rising_factorial`)."""

    def log_prob(self, value):
        n = self.total_count
        alpha, beta = self.concentration1, self.concentration0
        log_choose = gammaln(n + 1.0) - gammaln(value + 1.0) - gammaln(n - value + 1.0)
        return (
            log_choose
            + log_rising_factorial(alpha, value)
            + log_rising_factorial(beta, n - value)
            - log_rising_factorial(alpha + beta, n)
        )


def counts_beta_binomial(n, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_normal"):
    r"""Beta–binomial hierarchy with BDA3's hyperprior :math:`p(\alpha, \beta) \propto
    (\alpha + \beta)^{-5/2}` (BDA3 §5.3, eqs. 5.8–5.10), with the θ_j integrated out.

    .. math::
        \theta_j \sim \text{Beta}(\alpha, \beta), \qquad y_j \sim \text{Bin}(n_j, \theta_j)
        \quad\Longrightarrow\quad y_j \mid \alpha, \beta \sim
        \text{BetaBinomial}(n_j, \alpha, \beta).

    NUTS samples only the two hyperparameters, in :math:`u = \log(\alpha/\beta)` and
    :math:`v = \log(\alpha+\beta)` with a flat base measure; the hyperprior on that scale is
    :math:`p(u, v) \propto \alpha\beta(\alpha+\beta)^{-5/2}` (the Jacobian is αβ), added with
    ``numpyro.factor``. Why marginalize: with the θ_j sampled too, the posterior is a funnel
    whose neck (large α + β, every θ_j pinned to α/(α+β)) NUTS cannot enter, and the chains stick
    (R̂ 2.3 and 56 divergences on the baseball data). In (u, v) alone the posterior is smooth,
    with an exponential tail e^{-v/2} in v that NUTS follows. The θ_j are then drawn exactly,
    θ_j | α, β, y ~ Beta(α + y_j, β + n_j − y_j) (:func:`hbviz.nuts.fit_binomial_hierarchy`).

    The hyperprior is improper; the posterior is proper when at least one experiment has
    0 < y_j < n_j (:func:`hbviz.beta_binomial.posterior_is_proper`). Only the posterior
    predictive exists: with ``y=None`` use ``Predictive(model, posterior_samples)``.
    ``mu_mean``, ``mu_sd``, ``tau_scale`` and ``tau_prior`` are unused.

    Parameters
    ----------
    n : int array, shape (J,)
        Trials n_j.
    y : int array, shape (J,), optional
        Successes y_j; ``None`` samples them.
    """
    flat = dist.ImproperUniform(constraints.real, (), ())
    log_ratio = numpyro.sample("log_alpha_over_beta", flat)
    log_total = numpyro.sample("log_alpha_plus_beta", flat)
    # log α = log(α+β) + log σ(log(α/β)); written this way it stays finite for any real inputs
    log_mean = log_sigmoid(log_ratio)
    log_alpha = log_total + log_mean
    log_beta = log_total + log_sigmoid(-log_ratio)
    alpha = numpyro.deterministic("alpha", jnp.exp(log_alpha))
    beta = numpyro.deterministic("beta", jnp.exp(log_beta))
    numpyro.deterministic("population_mean", jnp.exp(log_mean))
    numpyro.factor("hyperprior", log_alpha + log_beta - 2.5 * log_total)
    with numpyro.plate("group", n.shape[0]):
        numpyro.sample("y", BetaBinomial(alpha, beta, n), obs=y)


def counts_logit_normal_centered(n, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_normal"):
    r"""Logit-normal hierarchy, centered form (BDA3 §5.3's alternative to the beta prior).

    .. math::
        \mu \sim \mathcal N(\mu_0, s_0^2), \quad
        \tau \sim \text{HalfNormal}(s_\tau) \text{ or HalfCauchy}(s_\tau), \quad
        \operatorname{logit}\theta_j \sim \mathcal N(\mu, \tau^2), \quad
        y_j \sim \text{Bin}(n_j, \theta_j).

    Parameters
    ----------
    n : int array, shape (J,)
        Trials n_j.
    mu_mean, mu_sd : float
        Mean and sd of the normal prior on μ (logit scale).
    tau_scale : float
        Scale s_τ of the prior on τ (logit scale).
    y : int array, shape (J,), optional
        Successes y_j; ``None`` samples them.
    tau_prior : {"half_normal", "half_cauchy"}
        Family of the prior on τ.
    """
    _counts_logit_normal(n, mu_mean, mu_sd, tau_scale, y, tau_prior, centered=True)


def counts_logit_normal_noncentered(
    n, mu_mean, mu_sd, tau_scale, y=None, *, tau_prior="half_normal"
):
    r"""Logit-normal hierarchy, non-centered form: as the centered model, with
    :math:`\operatorname{logit}\theta_j = \mu + \tau z_j,\ z_j \sim \mathcal N(0, 1)`.

    ``logit_theta`` and ``theta`` are deterministic, ``logit_theta_decentered`` sampled.
    Arguments as in :func:`counts_logit_normal_centered`.
    """
    _counts_logit_normal(n, mu_mean, mu_sd, tau_scale, y, tau_prior, centered=False)


def _counts_logit_normal(n, mu_mean, mu_sd, tau_scale, y, tau_prior, *, centered):
    groups = n.shape[0]
    logit_theta = _group_effects(
        "mu", "logit_theta", groups, mu_mean, mu_sd, tau_prior, tau_scale, centered
    )
    with numpyro.plate("group", groups):
        numpyro.deterministic("theta", sigmoid(logit_theta))
        numpyro.sample("y", dist.Binomial(n, logits=logit_theta), obs=y)

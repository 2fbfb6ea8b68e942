"""The τ-prior registry: every consumer reads it, so one entry adds a prior everywhere."""

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from numpyro import handlers

from hbviz import _validate, estimate_tables, models, normal_normal, priors
from hbviz import your_data as yd

SCHOOLS_Y = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]
SCHOOLS_SIGMA = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]


def _half_student_t(tau, tau_scale):
    z = tau / tau_scale
    return -2.0 * jnp.log1p(z * z / 3.0)  # ν = 3: −(ν + 1)/2 · log(1 + z²/ν)


HALF_T = priors.TauPrior(
    "half_student_t",
    "half-Student-t(3)",
    _half_student_t,
    lambda tau_scale: dist.FoldedDistribution(dist.StudentT(3.0, 0.0, tau_scale)),
    True,
    frozenset(priors.MODELS),
)


def _tau_site(tau_prior, tau_scale=5.0):
    """The τ site of the estimates model under ``tau_prior``, traced without inference."""
    model = handlers.seed(models.estimates_partial_pooling_noncentered, rng_seed=0)
    sigma = jnp.asarray(SCHOOLS_SIGMA)
    trace = handlers.trace(model).get_trace(sigma, 0.0, 5.0, tau_scale, tau_prior=tau_prior)
    return trace["tau"]


def test_a_registered_prior_reaches_the_exact_sampler_and_the_models(monkeypatch):
    monkeypatch.setitem(priors.TAU_PRIORS, HALF_T.name, HALF_T)
    for model in priors.MODELS:
        assert HALF_T.name in priors.names(model)

    # Exact grid: the posterior over the uniform-prior posterior is the prior, up to a constant.
    kwargs = {"tau_scale": 5.0, "mu_prior": (0.0, 20.0)}
    grid, density = normal_normal.tau_posterior(
        SCHOOLS_Y, SCHOOLS_SIGMA, tau_prior=HALF_T.name, **kwargs
    )
    flat = np.interp(
        grid, *normal_normal.tau_posterior(SCHOOLS_Y, SCHOOLS_SIGMA, tau_prior="uniform", **kwargs)
    )
    inside = (grid > 0.5) & (grid < 40)
    log_ratio = np.log(density[inside] / flat[inside])
    expected = np.asarray(_half_student_t(grid[inside], 5.0))
    np.testing.assert_allclose(log_ratio - log_ratio[0], expected - expected[0], atol=1e-3)
    draws = normal_normal.sample_posterior(
        SCHOOLS_Y, SCHOOLS_SIGMA, tau_prior=HALF_T.name, draws=200, **kwargs
    )
    assert draws.tau.shape == (200,)

    # NumPyro: the models draw τ from the entry's distribution; NUTS's checks accept the name.
    site = _tau_site(HALF_T.name)
    assert isinstance(site["fn"], dist.FoldedDistribution)
    for model in ("estimates", "raw", "counts"):
        checked = _validate.hierarchy(
            model, centered=False, tau_prior=HALF_T.name, tau_scale=2.0, mu_prior=(0, 1)
        )
        assert checked.tau_prior == HALF_T.name

    # Tables and Your data offer it too.
    assert estimate_tables.nuts_priors(HALF_T.name, 5.0, (0.0, 5.0)).tau_prior == HALF_T.name
    assert HALF_T.name in yd.offered_tau_priors()
    assert HALF_T.name in yd.nuts_tau_priors("raw")


@pytest.mark.parametrize("name", priors.names())
def test_every_entry_is_consistent_across_its_consumers(name):
    prior = priors.TAU_PRIORS[name]
    assert prior.name == name and prior.label and prior.models <= set(priors.MODELS)
    tau = jnp.array([0.1, 1.0, 3.0, 10.0])
    log_p = np.asarray(prior.log_density(tau, 2.0))
    if prior.proper:
        # the grid's density and the NumPyro distribution agree up to their normalising constant
        reference = np.asarray(prior.distribution(2.0).log_prob(tau))
        np.testing.assert_allclose(log_p - log_p[0], reference - reference[0], atol=1e-6)
        assert isinstance(models.tau_distribution(name, 2.0), dist.Distribution)
    else:
        assert prior.distribution is None
        # NUTS cannot take it: nothing offers it but the exact grid, and NUTS replaces it
        assert prior.models == {"exact"}
        assert estimate_tables.nuts_priors(name, 5.0, None).substituted
        with pytest.raises(ValueError, match="tau_prior must be one of"):
            models.tau_distribution(name, 2.0)
    for model in priors.MODELS:
        if model in prior.models:
            assert priors.check(name, model) is prior
        else:
            with pytest.raises(ValueError, match=f"got {name!r}"):
                priors.check(name, model)
    if "exact" in prior.models:
        post = normal_normal.sample_posterior(
            SCHOOLS_Y, SCHOOLS_SIGMA, tau_prior=name, tau_scale=5.0, draws=100
        )
        assert np.all(np.isfinite(post.tau))
    if "estimates" in prior.models:
        assert _tau_site(name)["fn"].log_prob(1.0) == pytest.approx(
            float(prior.distribution(5.0).log_prob(1.0))
        )


def test_an_unknown_model_or_prior_is_named():
    with pytest.raises(ValueError, match=r"model must be one of .*got 'nuts'"):
        priors.names("nuts")
    with pytest.raises(ValueError, match=r"tau_prior must be one of 'uniform'.*got 'gamma'"):
        priors.check("gamma", "exact")


def test_slider_label_names_the_priors_with_a_scale():
    assert priors.scale_label("exact") == "Scale of the half-Cauchy / half-normal prior on τ"

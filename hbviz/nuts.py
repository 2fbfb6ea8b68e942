"""NUTS fits of the models in :mod:`hbviz.models`, compiled once and re-used across refits.

NumPyro's ``MCMC.run`` traces and compiles the sampler on every call (2.5–6 s on a 2-core
machine), too slow for a slider. Here a run is a loop of calls of one module-level ``jax.jit``
program that starts a chain and advances it by a fixed chunk of iterations (NumPyro's own NUTS
transition and adaptation, carried in its state). Only what sets the program's structure is
static: the model, its structural options (the τ-prior family, the number of groups) and the
warm-up length (NumPyro builds the adaptation schedule from it). The number of draws is the number
of calls and each chain is its own sequence of calls, so neither the chains nor the draws controls
compile anything; nor do new data values or prior scales. New data of another length compiles
once more. :func:`runner_cache_size` counts the compiled programs, so a caller (or a test) can
tell whether a call was warm. Chains are not vectorized: each takes its own trajectory lengths,
where vectorized chains move in lockstep at the pace of the longest.

Each chain runs in a thread of its own (XLA runs the program outside the GIL, so the chains use
every core). With ``progress=callback`` a fit calls ``callback(fraction_done)`` in the caller's
thread as the chains move; with or without it, the same draws.

Diagnostics (:mod:`hbviz.diagnostics`, computed by ArviZ): ``r_hat`` is the rank-normalized
split R̂, ``n_eff`` the bulk ESS and ``ess_tail`` the tail ESS of Vehtari et al. (2021); ``5%`` and
``95%`` are equal-tailed quantiles (not the HPDI bounds that NumPyro's ``print_summary`` prints
under the same labels).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax import lax
from numpyro.infer import NUTS

from hbviz import _concurrency, _exported, _validate, beta_binomial, diagnostics, models

__all__ = [
    "SUMMARY_COLUMNS",
    "Fit",
    "fit_binomial_hierarchy",
    "fit_model",
    "fit_normal_hierarchy",
    "fit_pooling",
    "fit_together",
    "keep_compiled",
    "posterior_summary",
    "runner_cache_size",
]

SUMMARY_COLUMNS = ("mean", "sd", "median", "5%", "95%", "n_eff", "ess_tail", "r_hat")
"""Columns of :attr:`Fit.summary`: ``n_eff`` is the bulk ESS (its name in NumPyro's summary),
``ess_tail`` the tail ESS and ``r_hat`` the rank-normalized split R̂ (:mod:`hbviz.diagnostics`)."""


class Fit(NamedTuple):
    """A NUTS fit.

    Attributes
    ----------
    samples : dict of str to array, each shape (chains, draws, *site_shape)
        Posterior draws of every site, sampled and deterministic, in the constrained space.
    diverging : bool array, shape (chains, draws)
        Whether the transition that produced each draw diverged (warm-up not included).
    divergences : int
        ``diverging.sum()``: divergent transitions after warm-up, over all chains.
    summary : DataFrame
        One row per scalar (``"mu"``) or element (``"theta[0]"``) of every site, with the columns
        :data:`SUMMARY_COLUMNS`. ``mean`` and ``sd`` are NaN for sites whose posterior mean does
        not exist (α and β of the beta–binomial hierarchy); their quantiles are finite.
    model : str
        Name of the model function in :mod:`hbviz.models`.

    ``diagnostics.convergence_report(fit.summary, fit.divergences, fit.diverging.size,
    chains=fit.diverging.shape[0])`` says whether the fit passes R̂ ≤ 1.01, bulk and tail
    ESS ≥ 400 and divergences ≤ 1 % of the draws (with one chain, R̂ is its split R̂);
    ``export.fit_to_netcdf(fit)`` writes it as ArviZ InferenceData.
    """

    samples: dict[str, np.ndarray]
    diverging: np.ndarray
    divergences: int
    summary: pd.DataFrame
    model: str


# --- the compiled programs ------------------------------------------------------------------------
# ``options`` is a sorted tuple of (name, value) pairs: the model's keyword-only, structural
# arguments. It is static (hashable), unlike ``model_args``, which hold every array and number.


# Models defined outside hbviz.models (hbviz.regression's), registered by name when their module
# is imported; the runner looks a name up here first. The name is part of the static key.
MODELS: dict[str, Callable] = {}


def _model(model_name: str, options: tuple) -> Callable:
    model = MODELS[model_name] if model_name in MODELS else getattr(models, model_name)
    return partial(model, **dict(options))


def fit_model(model_name: str, options: dict, model_args: tuple, **run) -> Fit:
    """NUTS fit of a model registered in :data:`MODELS`, through the compiled-once runner.

    ``options`` are the model's static keyword arguments, ``model_args`` its traced positional
    arguments (NumPy arrays and numbers; the observations last); ``run`` takes ``num_chains``,
    ``num_warmup``, ``num_samples``, ``seed``, ``progress`` and ``status`` as in
    :func:`fit_normal_hierarchy` (all of them required).
    """
    if model_name not in MODELS:
        raise ValueError(f"model_name must be one of {sorted(MODELS)}; got {model_name!r}")
    return _fit(model_name, options, model_args, _Sampler(**run))


# Iterations per call of the compiled program: a run of any length is a loop of calls of one
# program, so the number of draws never changes the program. About 1 ms of dispatch per call; a
# call's draws come back as one array.
_CHUNK = 100


def _initialized_kernel(rng_key, model_args, model_name, options, num_warmup):
    """A NUTS kernel with its transition built for this model and warm-up length, and the initial
    state of a chain started from ``rng_key``."""
    kernel = NUTS(_model(model_name, options))
    state = kernel.init(rng_key, num_warmup, None, model_args, {})
    return kernel, state


@partial(jax.jit, static_argnames=("model_name", "options", "num_warmup"))
def _advance_chain(
    rng_key, state, model_args, num_active, start, *, model_name, options, num_warmup
):
    """Start a chain from ``rng_key`` if ``start`` (``state`` is then a placeholder of the right
    shapes), and run ``num_active`` (at most :data:`_CHUNK`) NUTS transitions.

    Returns the new state, the draws of every site, shape (_CHUNK, ...), and the diverging flags,
    shape (_CHUNK,); entries past ``num_active`` are padding. Warm-up and sampling run in the
    same program: past ``num_warmup`` iterations (``state.i``) NumPyro's transition stops
    adapting, so one program serves any number of draws. Warm-up chunks collect draws too, to be
    thrown away.
    """
    static = (model_args, model_name, options, num_warmup)
    # the placeholder's types are the fresh state's, so both branches agree to the last weak type
    state = lax.cond(
        start,
        lambda s: jax.tree.map(
            lambda new, old: new.astype(old.dtype), _initialized_kernel(rng_key, *static)[1], s
        ),
        lambda s: s,
        state,
    )
    # NumPyro builds a kernel's transition (step-size and mass-matrix adaptation schedule for
    # ``num_warmup``) inside ``init``. The state ``init`` returns here is not used, so XLA drops
    # the work; the warm-up position is carried by ``state.i`` and ``state.adapt_state``.
    kernel, _ = _initialized_kernel(state.rng_key, *static)

    def transition(state, step):
        state = lax.cond(
            step < num_active, lambda s: kernel.sample(s, model_args, {}), lambda s: s, state
        )
        return state, (state.z, state.diverging)

    state, (z, diverging) = lax.scan(transition, state, jnp.arange(_CHUNK))
    return state, jax.vmap(kernel.postprocess_fn(model_args, {}))(z), diverging


def _flat_chain_program(static: dict, arg_types: tuple, tree) -> tuple[Callable, list, dict]:
    """The chain program on flat lists of arrays, for :mod:`hbviz._exported`: its function, zero
    arguments of the right shapes and types, and its meta (the number of state arrays; the
    sites, filled in when the function is traced).

    Arguments: the chain's key, the state's arrays, the model arguments' arrays, ``num_active``,
    ``start``; results: the new state's arrays, each site's draws (sites sorted by name), the
    diverging flags. Knowing the state's shapes takes a trace of NumPyro's ``init``."""
    zeros = jax.tree.unflatten(tree, [np.zeros(shape, dtype) for shape, dtype in arg_types])
    state = jax.eval_shape(
        lambda key, a: _initialized_kernel(
            key, a, static["model_name"], static["options"], static["num_warmup"]
        )[1],
        jax.random.PRNGKey(0),
        zeros,
    )
    state_leaves, state_tree = jax.tree.flatten(state)
    num_state, num_args = len(state_leaves), len(arg_types)
    meta: dict = {"state_leaves": num_state}

    def function(key, *rest):
        new_state, samples, diverging = _advance_chain.__wrapped__(
            key,
            jax.tree.unflatten(state_tree, rest[:num_state]),
            jax.tree.unflatten(tree, rest[num_state : num_state + num_args]),
            *rest[num_state + num_args :],  # num_active, start
            **static,
        )
        meta["sites"] = sorted(samples)
        return [*jax.tree.leaves(new_state), *(samples[s] for s in meta["sites"]), diverging]

    example = [
        np.zeros(2, np.uint32),
        *(np.zeros(leaf.shape, leaf.dtype) for leaf in state_leaves),
        *jax.tree.leaves(zeros),
        np.int64(0),
        np.True_,
    ]
    return function, example, meta


def _chain_key(static: dict, arg_types: tuple, tree) -> tuple:
    return (tuple(sorted(static.items())), arg_types, str(tree))


def _child_spec(static: dict, arg_types: tuple) -> dict:
    """What a child process needs to build the chain program (JSON): the model's module, so
    that models registered from outside hbviz.models are there too."""
    model = MODELS.get(static["model_name"]) or getattr(models, static["model_name"])
    return {
        "model_module": model.__module__,
        "model_name": static["model_name"],
        "options": [list(pair) for pair in static["options"]],
        "num_warmup": static["num_warmup"],
        "arg_types": [[list(shape), dtype] for shape, dtype in arg_types],
    }


def _build_in_child(spec: dict):
    """In a child process (:mod:`hbviz._exported`): build the chain program of ``spec``, store
    it and compile it into JAX's persistent cache; return the file's path."""
    importlib.import_module(spec["model_module"])
    static = {
        "model_name": spec["model_name"],
        "options": tuple(tuple(pair) for pair in spec["options"]),
        "num_warmup": spec["num_warmup"],
    }
    arg_types = tuple((tuple(shape), dtype) for shape, dtype in spec["arg_types"])
    tree = jax.tree.structure(tuple(range(len(arg_types))))
    key = _chain_key(static, arg_types, tree)
    _exported.build("nuts-chain", key, partial(_flat_chain_program, static, arg_types, tree))
    return _exported._path("nuts-chain", key)


def _chain_program(model_args: tuple, static: dict, status):
    """The compiled chain program for ``static`` (model, options, warm-up length) and the types
    of ``model_args`` (:func:`_flat_chain_program`), its meta and its arguments' types, from the
    process's program cache: built under the tracing lock, by a child process, or loaded from
    :mod:`hbviz._exported`'s store without tracing."""
    leaves, tree = jax.tree.flatten(model_args)
    arg_types = tuple((np.shape(x), np.result_type(x).str) for x in leaves)
    key = _chain_key(static, arg_types, tree)

    def build():
        # Traced through a function made for this compile: JAX's tracing caches are keyed by it
        # and go with it when its program is evicted (through one module-level function they
        # would keep the jaxprs of every program compiled, ~40 MB each: bench/memory.py).
        trace = partial(_flat_chain_program, static, arg_types, tree)
        flat = tree == jax.tree.structure(tuple(range(len(leaves))))
        child = {"builder": "hbviz.nuts:_build_in_child", "spec": _child_spec(static, arg_types)}
        return _exported.build("nuts-chain", key, trace, child=child if flat else None)

    keep = getattr(_keeping, "on", False)
    return _PROGRAMS.get(("nuts-chain", key), build, keep=keep, status=status)


def runner_cache_size() -> int:
    """Number of compiled NUTS programs this process holds.

    A fit that leaves it unchanged re-used a compiled program (a warm call, ~0.3 s for eight
    schools); one that increases it traced and compiled (several seconds, less when JAX's
    persistent cache already holds the program). It is bounded: past :data:`MAX_PROGRAMS`
    programs (not counting those compiled under :func:`keep_compiled`), the least recently used
    one is dropped.
    """
    return len(_PROGRAMS)


# A compiled NUTS program holds 35–60 MB of the process's memory however it was obtained (a real
# compile or a load from JAX's persistent cache; it grows with the program's ~16 000 HLO
# instructions, not with the draw count: `python bench/memory.py steps`). One program serves a
# model at one warm-up length for every chains and draws setting. The warm-up keeps the
# Levels-of-pooling page's 3 (see hbviz.warmup.keeps). Two others on top, so that Eight schools'
# two forms refit without loading again: a fit holds its program until it ends, so an evicted
# program is never compiled twice within one fit, and a size asked for again after eviction loads
# from the persistent cache (seconds) while st.cache_data keeps the fits' results. Each program
# more costs ~45 MB of the server's peak (docs/DEPLOYMENT.md, Memory).
MAX_PROGRAMS = int(os.environ.get("HBVIZ_MAX_PROGRAMS", "2"))
_PROGRAMS = _concurrency.ProgramCache(MAX_PROGRAMS)
_SHARED_FITS = _concurrency.SharedCalls()
_keeping = threading.local()


@contextmanager
def keep_compiled() -> Iterator[None]:
    """Within this block (in this thread), the programs that fits compile or use are kept for
    the life of the process instead of being evicted least-recently-used; the warm-up marks the
    lecture's sizes with it."""
    before = getattr(_keeping, "on", False)
    _keeping.on = True
    try:
        yield
    finally:
        _keeping.on = before


def _run_chains(
    rng_key, model_args, *, num_chains, num_warmup, num_samples, report, status, **static
):
    """Warm-up and draws of each chain, chunk by chunk, through one compiled program, each chain
    in a thread of its own; ``report`` (or None) is called in this thread with the fraction done.

    Chain i starts from ``fold_in(rng_key, i)``, so a fit's first chains are those of a fit with
    fewer. The chains are not vectorized: each moves at its own pace (vectorized chains take
    every iteration at the pace of the longest trajectory), and the threads run them side by
    side on the CPU's cores (XLA runs a compiled program outside the GIL): eight schools,
    4 × (1000 + 1000), 0.20 s against 0.45 s one chain after another on 2 cores.
    """
    static = {**static, "num_warmup": num_warmup}
    # Fetched once and held for the whole fit: with other sessions compiling other sizes, a
    # lookup per chunk could find it evicted and compile it again mid-fit.
    program, meta, types = _chain_program(model_args, static, status)
    num_state, sites = meta["state_leaves"], meta["sites"]
    arg_types = types[1 + num_state : -2]  # after the key and the state; before num_active, start
    arg_leaves = [
        np.asarray(x, t.dtype) for x, t in zip(jax.tree.leaves(model_args), arg_types, strict=True)
    ]
    placeholder = [np.zeros(t.shape, t.dtype) for t in types[1 : 1 + num_state]]
    total = num_warmup + num_samples
    progress = _ChainsProgress(num_chains)

    def run_chain(chain: int) -> tuple[dict, np.ndarray]:
        key = jax.random.fold_in(rng_key, chain)
        state = program(key, *placeholder, *arg_leaves, np.int64(0), np.True_)[:num_state]
        pieces = []
        for phase_length, keep in ((num_warmup, False), (num_samples, True)):
            for begin in range(0, phase_length, _CHUNK):
                if progress.cancelled:
                    return {}, np.zeros(0, bool)
                num_active = min(_CHUNK, phase_length - begin)
                out = program(key, *state, *arg_leaves, np.int64(num_active), np.False_)
                state = out[:num_state]
                if keep:
                    pieces.append([np.asarray(x)[:num_active] for x in out[num_state:]])
                else:
                    jax.block_until_ready(state)
                progress.advanced(chain, num_active / total)
        draws = [np.concatenate(column) for column in zip(*pieces, strict=True)]
        return dict(zip(sites, draws[:-1], strict=True)), draws[-1]

    with ThreadPoolExecutor(max_workers=num_chains, thread_name_prefix="hbviz-chain") as pool:
        chains = [pool.submit(run_chain, chain) for chain in range(num_chains)]
        try:
            progress.follow(chains, report)
        finally:  # this thread interrupted (a session's rerun): the chains stop at their next chunk
            progress.cancelled = not all(chain.done() for chain in chains)
        results = [chain.result() for chain in chains]
    samples = {site: np.stack([r[0][site] for r in results]) for site in sites}
    return samples, np.stack([r[1] for r in results])


class _Cancelled(Exception):
    """Raised in a worker's progress callback when the caller stopped waiting."""


class _ChainsProgress:
    """The fractions done of several parts (a fit's chains, or :func:`fit_together`'s fits),
    written by their threads and followed by the caller's, with the status messages they say."""

    def __init__(self, num_parts: int):
        self.changed = threading.Condition()
        self.fractions = [0.0] * num_parts
        self.messages: list[str] = []
        self.cancelled = False

    def advanced(self, part: int, fraction: float) -> None:
        with self.changed:
            self.fractions[part] += fraction
            self.changed.notify_all()

    def said(self, message: str) -> None:
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()

    def poke(self, *_) -> None:
        with self.changed:
            self.changed.notify_all()

    def follow(self, parts: list, report, status=None) -> None:
        """Until every part is done (or one failed): ``report`` the mean fraction as it moves,
        and pass on the parts' status messages, in this thread."""
        for part in parts:  # a part that ends wakes the follower at once
            part.add_done_callback(self.poke)
        if report is not None:
            report(0.0)
        seen = 0.0
        while True:
            with self.changed:
                if not all(part.done() for part in parts):
                    self.changed.wait(timeout=0.5)
                fraction = sum(self.fractions) / len(self.fractions)
                messages, self.messages = self.messages, []
            if status is not None:
                for message in messages:
                    status(message)
            if any(part.done() and part.exception() for part in parts):
                return
            if all(part.done() for part in parts):
                break
            if report is not None and fraction > seen:
                seen = fraction
                report(min(fraction, 1.0))
        if report is not None and seen < 1.0:
            report(1.0)


class _Sampler(NamedTuple):
    """The run settings every fit takes, as :func:`fit_normal_hierarchy` documents them."""

    num_chains: int
    num_warmup: int
    num_samples: int
    seed: int
    progress: Callable[[float], object] | None
    status: Callable[[str], object] | None


def _fit(model_name: str, options: dict, model_args: tuple, sampler: _Sampler) -> Fit:
    num_chains, num_warmup, num_samples, seed, progress, status = sampler
    num_chains = _validate.draw_count(num_chains, "num_chains")
    num_warmup = _validate.draw_count(num_warmup, "num_warmup")
    num_samples = _validate.draw_count(num_samples, "num_samples")
    if num_samples < 4:
        # split R-hat halves each chain and needs two draws per half
        raise ValueError(f"num_samples must be at least 4; got {num_samples}")
    seed = _validate.seed(seed)
    rng_key = jax.random.PRNGKey(seed)
    if progress is not None and not callable(progress):
        raise ValueError(
            f"progress must be a callable taking a fraction, or None; got {progress!r}"
        )
    if status is not None and not callable(status):
        raise ValueError(f"status must be a callable taking a message, or None; got {status!r}")
    static = {"model_name": model_name, "options": tuple(sorted(options.items()))}
    sizes = {"num_chains": num_chains, "num_warmup": num_warmup, "num_samples": num_samples}

    def compute(report):
        samples, diverging = _run_chains(
            rng_key, model_args, **sizes, report=report, status=status, **static
        )
        diverging = np.asarray(diverging, dtype=bool)
        return Fit(
            samples=samples,
            diverging=diverging,
            divergences=int(diverging.sum()),
            summary=posterior_summary(samples),
            model=model_name,
        )

    request = (*static.values(), *sizes.values(), seed, *(_digest(a) for a in model_args))
    return _SHARED_FITS.run(request, compute, progress=progress, status=status)


def fit_together(
    fits: Sequence[Callable[..., Fit]],
    *,
    progress: Callable[[float], object] | None = None,
    status: Callable[[str], object] | None = None,
) -> list[Fit]:
    """Several fits at once, each in a thread of its own (and its chains in theirs): e.g. the
    three levels of pooling of one data set, whose chains then share the cores instead of each
    fit waiting for the one before (the no-pooling fit's funnel makes its chains the longest).

    ``fits`` are callables taking this module's ``progress`` and ``status`` keywords, e.g.
    ``partial(fit_pooling, values, group, regime="no", num_chains=2, seed=1)``. ``progress``
    gets the mean fraction done over the fits and ``status`` their messages, both called in
    this thread; if either raises (a Streamlit rerun), every fit stops at its chains' next
    chunk and the error is raised here. Returns the fits in the order given, each the same
    draws as the call alone.
    """
    fits = list(fits)
    if not fits or not all(callable(fit) for fit in fits):
        raise ValueError(f"fits must be a non-empty sequence of callables; got {fits!r}")
    tracker = _ChainsProgress(len(fits))
    keep = getattr(_keeping, "on", False)  # keep_compiled() reaches the fits' threads

    def run(index: int, fit: Callable[..., Fit]) -> Fit:
        _keeping.on = keep
        done = 0.0

        def report(fraction: float) -> None:
            nonlocal done
            if tracker.cancelled:
                raise _Cancelled
            tracker.advanced(index, fraction - done)
            done = fraction

        return fit(progress=report, status=tracker.said)

    with ThreadPoolExecutor(max_workers=len(fits), thread_name_prefix="hbviz-fit") as pool:
        parts = [pool.submit(run, index, fit) for index, fit in enumerate(fits)]
        try:
            tracker.follow(parts, progress, status)
        finally:  # this thread interrupted: the fits stop at their chains' next chunk
            tracker.cancelled = not all(part.done() for part in parts)
        return [part.result() for part in parts]


def _digest(values) -> tuple:
    values = np.asarray(values)
    return values.dtype.str, values.shape, hashlib.sha1(values.tobytes()).hexdigest()


# --- diagnostics ---------------------------------------------------------------------------------


def posterior_summary(
    samples: dict[str, np.ndarray], *, moments_undefined: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Mean, sd, median, 5% and 95% quantiles, bulk and tail ESS and rank-normalized R̂ per site.

    Parameters
    ----------
    samples : dict of str to array, each shape (chains, draws, *site_shape)
        Draws grouped by chain; at least 4 draws per chain.
    moments_undefined : tuple of str
        Sites whose posterior mean is infinite (α and β under p(α, β) ∝ (α+β)^(-5/2)): their
        ``mean`` and ``sd`` are NaN rather than numbers that grow with the number of draws.

    Returns
    -------
    DataFrame indexed by site (``"mu"``) or site element (``"theta[0]"``, ``"x[1,2]"``), with the
    columns :data:`SUMMARY_COLUMNS`.
    """
    labels, tables = [], []
    for name, draws in samples.items():
        draws = np.asarray(draws, dtype=np.float64)
        site_shape = draws.shape[2:]
        flat = draws.reshape(-1, int(np.prod(site_shape)))
        undefined = np.full(flat.shape[1], np.nan)
        low, median, high = diagnostics.sorted_quantiles(flat.T, [0.05, 0.5, 0.95])
        ess_bulk, ess_tail, r_hat = (d.ravel() for d in diagnostics.rank_diagnostics(draws))
        stats = {
            "mean": undefined if name in moments_undefined else flat.mean(axis=0),
            "sd": undefined if name in moments_undefined else flat.std(axis=0, ddof=1),
            "median": median,
            "5%": low,
            "95%": high,
            "n_eff": ess_bulk,
            "ess_tail": ess_tail,
            "r_hat": r_hat,
        }
        tables.append(np.column_stack([stats[c] for c in SUMMARY_COLUMNS]))
        labels += [
            f"{name}[{','.join(map(str, index))}]" if index else name
            for index in np.ndindex(site_shape)
        ]
    table = np.concatenate(tables) if tables else np.empty((0, len(SUMMARY_COLUMNS)))
    return pd.DataFrame(table, index=labels, columns=list(SUMMARY_COLUMNS))


_REGIMES = ("no", "complete", "partial")


def _model_name(family: str, regime: str, centered: bool) -> str:
    """The ``hbviz.models`` function of a regime: ``estimates_partial_pooling_centered``, …"""
    if regime == "partial":
        return f"{family}_partial_pooling_{'centered' if centered else 'noncentered'}"
    return f"{family}_{regime}_pooling"


# --- the fits ------------------------------------------------------------------------------------


def fit_normal_hierarchy(
    y,
    sigma,
    *,
    regime: str = "partial",
    centered: bool = False,
    tau_prior: str = "half_cauchy",
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] = (0.0, 5.0),
    num_chains: int = 4,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    status: Callable[[str], object] | None = None,
) -> Fit:
    """NUTS fit of estimates with known standard errors (eight schools, BDA3 §5.5).

    Model (partial pooling): μ ~ N(mu_prior), τ ~ HalfCauchy(tau_scale) or
    HalfNormal(tau_scale), θ_j ~ N(μ, τ²), y_j ~ N(θ_j, σ_j²); see ``hbviz.models.estimates_*``.

    Parameters
    ----------
    y : array, shape (J,)
        Estimates.
    sigma : array, shape (J,)
        Their standard errors, all > 0.
    regime : {"partial", "no", "complete"}
        Level of pooling.
    centered : bool
        Centered (θ sampled) or non-centered (θ = μ + τ·θ̃) form of partial pooling.
    tau_prior : {"half_cauchy", "half_normal"}
        Family of the prior on τ.
    tau_scale : float
        Its scale, > 0.
    mu_prior : (float, float)
        Mean and sd of the normal prior on μ (the prior of each θ_j under no pooling).
    num_chains, num_warmup, num_samples : int
        Vectorized chains, warm-up iterations and kept draws per chain (num_samples ≥ 4).
    seed : int
        Seed of the run; the same inputs and seed give the same draws.
    progress : callable, optional
        Called with the fraction of iterations done (0 to 1) between chunks of the run, in the
        caller's thread (also while it waits for the same fit started by another thread).
    status : callable, optional
        Called, in the caller's thread, with a message when the fit must wait: for another
        thread's compile (:data:`hbviz._concurrency.WAITING_FOR_COMPILE`), for its own compile
        (``COMPILING``), or for the same fit started by another thread (``WAITING_FOR_SAME_FIT``).

    Returns
    -------
    Fit
        ``samples`` has ``"theta"`` (chains, draws, J) in every regime, ``"mu"`` and ``"tau"``
        (chains, draws) where the regime has them.
    """
    y_arr = _validate.as_vector(y, "y")
    sigma_arr = _validate.as_vector(sigma, "sigma")
    _validate.same_length(y_arr, "y", sigma_arr, "sigma")
    _validate.positive(sigma_arr, "sigma")
    regime = _validate.choice(regime, "regime", _REGIMES)
    h = _validate.hierarchy(
        "estimates", centered=centered, tau_prior=tau_prior, tau_scale=tau_scale, mu_prior=mu_prior
    )
    return _fit(
        _model_name("estimates", regime, h.centered),
        {"tau_prior": h.tau_prior},
        (sigma_arr, h.mu_mean, h.mu_sd, h.tau_scale, y_arr),
        _Sampler(num_chains, num_warmup, num_samples, seed, progress, status),
    )


def fit_pooling(
    values,
    group,
    *,
    regime: str = "partial",
    centered: bool = False,
    tau_prior: str = "half_normal",
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] = (0.0, 10.0),
    sigma_rate: float = 1.0,
    num_chains: int = 4,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    status: Callable[[str], object] | None = None,
) -> Fit:
    """NUTS fit of raw grouped observations with an unknown noise sd (NumPyro's levels of pooling).

    Models (see ``hbviz.models.raw_*``): no pooling gives each observation its own
    μ_i ~ N(mu_prior) and σ_i ~ Exponential(sigma_rate); complete pooling shares one μ and one σ;
    partial pooling draws group means μ_g ~ N(μ_pop, τ²) with μ_pop ~ N(mu_prior),
    τ ~ HalfNormal(tau_scale) or Exponential(mean tau_scale), and one σ ~ Exponential(sigma_rate).

    Parameters
    ----------
    values : array, shape (N,)
        Observations (the tutorial's 10, 12, 9, 11, 8).
    group : int array, shape (N,)
        Group id of each observation: 0, 1, …, G-1, each present (e.g. ``pd.factorize`` codes).
        Unused by no pooling, where every observation is its own group.
    regime : {"partial", "no", "complete"}
        Level of pooling.
    centered : bool
        Centered or non-centered form of partial pooling.
    tau_prior : {"half_normal", "exponential"}
        Family of the prior on τ.
    tau_scale : float
        Scale (half-normal) or mean (exponential) of the prior on τ, > 0.
    mu_prior : (float, float)
        Mean and sd of the normal prior on μ_i, μ or μ_pop.
    sigma_rate : float
        Rate of the exponential prior on the noise sd, > 0.
    num_chains, num_warmup, num_samples, seed, progress, status
        As in :func:`fit_normal_hierarchy`.

    Returns
    -------
    Fit
        ``samples["mu"]`` is (chains, draws, N) under no pooling, (chains, draws) under complete
        pooling and (chains, draws, G) under partial pooling, which also has ``"mu_pop"`` and
        ``"tau"``; ``"sigma"`` is (chains, draws, N) under no pooling, (chains, draws) otherwise.
    """
    values_arr = _validate.as_vector(values, "values")
    group_ids, num_groups = _validate.group_ids(group, values_arr.size)
    regime = _validate.choice(regime, "regime", _REGIMES)
    h = _validate.hierarchy(
        "raw", centered=centered, tau_prior=tau_prior, tau_scale=tau_scale, mu_prior=mu_prior
    )
    sigma_rate = np.float64(_validate.positive_scalar(sigma_rate, "sigma_rate"))
    if regime == "partial":
        options = {"num_groups": num_groups, "tau_prior": h.tau_prior}
    else:
        # G and the τ family do not enter these models: leave them out of the static key, so
        # that regrouping the data does not compile them again
        options = {"num_groups": None}
    return _fit(
        _model_name("raw", regime, h.centered),
        options,
        (group_ids, h.mu_mean, h.mu_sd, sigma_rate, h.tau_scale, values_arr),
        _Sampler(num_chains, num_warmup, num_samples, seed, progress, status),
    )


_HIERARCHIES = ("beta", "logit_normal")


def fit_binomial_hierarchy(
    y,
    n,
    *,
    hierarchy: str = "beta",
    centered: bool = False,
    tau_prior: str = "half_normal",
    tau_scale: float = 1.0,
    mu_prior: tuple[float, float] = (0.0, 2.5),
    num_chains: int = 4,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    status: Callable[[str], object] | None = None,
) -> Fit:
    """NUTS fit of binomial counts y_j successes out of n_j trials (rat tumors, BDA3 §5.1–5.3).

    ``hierarchy="beta"``: θ_j ~ Beta(α, β) with p(α, β) ∝ (α+β)^(-5/2). NUTS samples only
    (log(α/β), log(α+β)), with the θ_j integrated out (beta–binomial likelihood); each θ_j is then
    drawn exactly from Beta(α + y_j, β + n_j − y_j) given each draw of (α, β). This is the model
    of :func:`hbviz.beta_binomial.sample_posterior`, so the two agree within Monte Carlo error.
    ``tau_prior``, ``tau_scale``, ``mu_prior`` and ``centered`` are then unused.
    E(α | y) and E(β | y) are infinite under this hyperprior, so the summary's ``mean`` and
    ``sd`` of ``alpha`` and ``beta`` are NaN; their quantiles, and every moment of ``theta``,
    ``population_mean`` = α/(α+β) and ``log_alpha_plus_beta``, are finite.
    ``hierarchy="logit_normal"``: logit θ_j ~ N(μ, τ²), μ ~ N(mu_prior),
    τ ~ HalfNormal(tau_scale) or HalfCauchy(tau_scale), centered or not. See
    ``hbviz.models.counts_*``.

    Parameters
    ----------
    y, n : int arrays, shape (J,)
        Successes and trials, 0 ≤ y_j ≤ n_j, n_j ≥ 1.
    hierarchy : {"beta", "logit_normal"}
        Population distribution of the θ_j.
    centered, tau_prior, tau_scale, mu_prior
        Of the logit-normal hierarchy (logit scale).
    num_chains, num_warmup, num_samples, seed, progress, status
        As in :func:`fit_normal_hierarchy`. With the defaults (4 × 1000 + 1000) the beta
        hierarchy passes R̂ ≤ 1.01 and bulk and tail ESS ≥ 400 on the bundled counts data
        (``bench/nuts_check.py``).

    Returns
    -------
    Fit
        ``samples["theta"]`` is (chains, draws, J); the beta hierarchy adds ``"alpha"``,
        ``"beta"``, ``"population_mean"`` (α/(α+β)), ``"log_alpha_over_beta"`` and
        ``"log_alpha_plus_beta"``; the logit-normal one ``"mu"``, ``"tau"`` and
        ``"logit_theta"``.

    Raises
    ------
    ValueError
        For the beta hierarchy, if the posterior is improper (no experiment with
        0 < y_j < n_j: e.g. all y_j = 0, or all n_j = 1); NUTS would drift off to α + β → 0.
    """
    y_arr, n_arr = _validate.counts(y, n)
    hierarchy = _validate.choice(hierarchy, "hierarchy", _HIERARCHIES)
    h = _validate.hierarchy(
        "counts", centered=centered, tau_prior=tau_prior, tau_scale=tau_scale, mu_prior=mu_prior
    )
    if hierarchy == "beta":
        if not beta_binomial.posterior_is_proper(y_arr, n_arr):
            raise ValueError(
                "the beta–binomial posterior under p(α, β) ∝ (α+β)^(-5/2) is improper for these "
                "counts: no experiment has 0 < successes < trials, so nothing bounds α + β "
                "from below"
            )
        model_name, options = "counts_beta_binomial", {}
    else:
        form = "centered" if h.centered else "noncentered"
        model_name, options = f"counts_logit_normal_{form}", {"tau_prior": h.tau_prior}
    fit = _fit(
        model_name,
        options,
        (n_arr.astype(np.int64), h.mu_mean, h.mu_sd, h.tau_scale, y_arr.astype(np.int64)),
        _Sampler(num_chains, num_warmup, num_samples, seed, progress, status),
    )
    if hierarchy == "beta":
        fit = _with_exact_theta(fit, y_arr, n_arr, seed)
    return fit


def _with_exact_theta(fit: Fit, y: np.ndarray, n: np.ndarray, seed: int) -> Fit:
    """The fit with θ_j | α, β, y ~ Beta(α + y_j, β + n_j − y_j) drawn for every (α, β) draw."""
    alpha, beta = fit.samples["alpha"], fit.samples["beta"]
    theta = beta_binomial.theta_given_hyperparameters(alpha.ravel(), beta.ravel(), y, n, seed=seed)
    samples = {"theta": theta.reshape(*alpha.shape, y.size), **fit.samples}
    summary = posterior_summary(samples, moments_undefined=("alpha", "beta"))
    return fit._replace(samples=samples, summary=summary)

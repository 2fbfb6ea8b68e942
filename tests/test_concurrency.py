"""Fits asked for by several threads at once (Streamlit sessions, the warm-up thread).

Each test uses sizes no other test module compiles, so that its fits are first fits in this
process (traced and compiled here, while the other threads trace theirs): the case that crashed.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hbviz import _concurrency, beta_binomial, datasets, normal_normal, nuts, warmup

THREADS = 4


def run_together(calls: list) -> list:
    """Run the calls in threads released at the same moment; return results (or exceptions)."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def work(i, call):
        start.wait()
        try:
            results[i] = call()
        except BaseException as err:  # reported by the test, with the thread's index
            results[i] = err

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def no_errors(results: list) -> None:
    errors = [f"call {i}: {r!r}" for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert not errors, "\n".join(errors)


def schools(j: int):
    df = datasets.eight_schools()
    return df["y"].to_numpy()[:j], df["sigma"].to_numpy()[:j]


def fit_calls(num_samples: int) -> list:
    """First fits of different models and shapes, chunked (progress) and single-call."""
    values = np.array([10.0, 12, 9, 11, 8, 7])
    group = np.array([0, 0, 1, 1, 2, 2])
    rats = datasets.rat_tumor().tail(9)  # the first rows are all 0/n: an improper posterior
    small = dict(num_chains=2, num_warmup=num_samples, num_samples=num_samples, seed=3)
    return [
        lambda: nuts.fit_normal_hierarchy(*schools(5), **small),
        lambda: nuts.fit_normal_hierarchy(*schools(6), centered=True, **small),
        lambda: nuts.fit_pooling(values, group, **small, progress=lambda f: None),
        lambda: nuts.fit_pooling(values, group, regime="no", **small),
        lambda: nuts.fit_binomial_hierarchy(rats["y"], rats["n"], **small),
        lambda: nuts.fit_binomial_hierarchy(
            rats["y"], rats["n"], hierarchy="logit_normal", **small, progress=lambda f: None
        ),
    ]


def same_fit(a: nuts.Fit, b: nuts.Fit) -> None:
    assert a.model == b.model and a.samples.keys() == b.samples.keys()
    for site in a.samples:
        np.testing.assert_array_equal(a.samples[site], b.samples[site], err_msg=site)
    np.testing.assert_array_equal(a.diverging, b.diverging)


def test_first_fits_of_several_shapes_started_together_all_succeed_and_match_sequential():
    together = run_together(fit_calls(num_samples=37))
    no_errors(together)
    # the same calls again, one after another (now compiled): the same draws
    for fit, call in zip(together, fit_calls(num_samples=37), strict=True):
        same_fit(fit, call())


def test_identical_requests_started_together_compile_and_run_once():
    y, sigma = schools(7)
    seen: dict[int, list] = {i: [] for i in range(THREADS)}
    statuses: list[str] = []

    def call(i):
        return lambda: nuts.fit_normal_hierarchy(
            y,
            sigma,
            num_chains=1,
            num_warmup=41,
            num_samples=41,
            seed=5,
            progress=seen[i].append,
            status=statuses.append,
        )

    compiles = nuts._PROGRAMS.compiles
    computations = nuts._SHARED_FITS.computations
    fits = run_together([call(i) for i in range(THREADS)])
    no_errors(fits)
    for fit in fits[1:]:
        same_fit(fit, fits[0])
    assert nuts._SHARED_FITS.computations - computations == 1
    assert nuts._PROGRAMS.compiles - compiles == 1  # the run's one program, once
    # every caller saw the run finish through its own callback, waiting or not
    assert all(fractions and fractions[-1] == 1.0 for fractions in seen.values())
    assert statuses.count(_concurrency.WAITING_FOR_SAME_FIT) >= 1


def test_page_fits_while_the_warm_up_runs():
    # two of the warm-up's NUTS steps (the others are the same calls at other sizes)
    steps = {"eight schools, NUTS non-centered", "levels of pooling, NUTS partial"}
    values, group = np.array([1.0, 2, 3, 4]), np.array([0, 1, 0, 1])
    small = dict(num_chains=3, num_warmup=23, num_samples=23)
    results = run_together(
        [
            lambda: warmup.warm_up(only=steps.__contains__),
            lambda: nuts.fit_pooling(values, group, **small),
            lambda: nuts.fit_pooling(values, group, regime="complete", **small),
            lambda: nuts.fit_normal_hierarchy(*schools(4), **small, progress=lambda f: None),
        ]
    )
    no_errors(results)
    assert set(results[0]) == steps
    # warm_up records a failing step as NaN instead of raising
    assert all(np.isfinite(seconds) for seconds in results[0].values())
    assert results[3].samples["theta"].shape == (3, 23, 4)


def test_exact_samplers_trace_safely_side_by_side_with_nuts():
    # Plain jax.jit functions: JAX keeps its tracing state per thread, so they need no lock;
    # their first traces here (new draw counts) run beside a NUTS compile.
    y, sigma = schools(8)
    rats = datasets.rat_tumor()
    results = run_together(
        [
            lambda: normal_normal.sample_posterior(y, sigma, draws=1234, seed=1),
            lambda: normal_normal.sample_posterior(y, sigma, draws=1235, seed=1),
            lambda: beta_binomial.sample_posterior(rats["y"], rats["n"], draws=1236, seed=1),
            lambda: nuts.fit_normal_hierarchy(
                *schools(3), num_chains=1, num_warmup=31, num_samples=31
            ),
        ]
    )
    no_errors(results)
    alone = normal_normal.sample_posterior(y, sigma, draws=1234, seed=1)
    np.testing.assert_array_equal(results[0].theta, alone.theta)


def test_programs_past_capacity_are_evicted_least_recently_used_and_kept_ones_stay(monkeypatch):
    cache = _concurrency.ProgramCache(capacity=1)
    monkeypatch.setattr(nuts, "_PROGRAMS", cache)
    y, sigma = schools(8)

    def fit(draws):
        return nuts.fit_normal_hierarchy(
            y, sigma, num_chains=1, num_warmup=draws, num_samples=draws
        )

    with nuts.keep_compiled():
        fit(11)
    fit(12)
    fit(13)  # evicts 12, the least recently used of those not kept
    assert len(cache) == nuts.runner_cache_size() == 2
    assert cache.kept() == 1 and cache.evictions == 1
    compiles = cache.compiles
    fit(11)  # kept: no compile
    fit(13)  # held: no compile
    assert cache.compiles == compiles
    fit(12)  # evicted: compiles again
    assert cache.compiles == compiles + 1
    with pytest.raises(ValueError, match="capacity"):
        _concurrency.ProgramCache(capacity=0)


def test_a_waiting_caller_is_not_handed_the_first_callers_interruption():
    shared = _concurrency.SharedCalls()
    started, waiting = threading.Event(), threading.Event()

    class Interrupted(Exception):
        pass

    def first_compute(report):
        started.set()
        waiting.wait()
        raise Interrupted  # as a Streamlit rerun interrupts its session's script

    results = {}

    def waiter():
        started.wait()
        results["waiter"] = shared.run(
            "key", lambda report: "computed by the waiter", status=lambda message: waiting.set()
        )

    thread = threading.Thread(target=waiter)
    thread.start()
    with pytest.raises(Interrupted):
        shared.run("key", first_compute)
    thread.join()
    assert results["waiter"] == "computed by the waiter"
    assert shared.computations == 2

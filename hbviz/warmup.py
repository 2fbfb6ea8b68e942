"""Compile the lecture's samplers before the first student asks for them.

A fresh server process traces and compiles every jitted sampler on first use: about a second for
an exact sampler and several seconds for each NUTS model, even with JAX's persistent cache warm
(tracing is not cached). :func:`start_in_background` runs the calls that the lecture pages make
first, on their default data, in a daemon thread, once per process; app.py starts it on the
server's first request, so the pages a class opens next are already compiled. The NUTS programs
of the page that fits NUTS as it opens (Levels of pooling) are kept for the life of the process
(:func:`hbviz.nuts.keep_compiled`); Eight schools fits NUTS only behind a toggle (off by default),
so its two programs are compiled (into JAX's persistent cache too) but left to the
least-recently-used table with every other size users ask for (see :func:`keeps`). A page asking
for a fit while the warm-up compiles waits for the compile (NumPyro tracing takes turns, see
:mod:`hbviz._concurrency`); asking for the very same fit shares the warm-up's run.

Set ``HBVIZ_WARM_UP=0`` to switch it off (the test suite does, to keep its timings its own).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext

from hbviz import beta_binomial, datasets, lecture, normal_normal, nuts, predictive, simulation


def _eight_schools():
    df = datasets.eight_schools()
    return df["y"].to_numpy(), df["sigma"].to_numpy()


def _steps() -> list[tuple[str, Callable[[], object]]]:
    """(name, call) pairs in the order a lecture uses them; sizes from :mod:`hbviz.lecture`."""
    y, sigma = _eight_schools()
    rats = datasets.rat_tumor()
    throws = datasets.free_throws()
    pooling = datasets.pooling_demo()
    values = pooling["value"].to_numpy()
    groups = pooling["group"].astype("category").cat.codes.to_numpy()
    schools, home = lecture.page("pages/eight_schools.py"), lecture.page("pages/home.py")
    drug, free = lecture.page("pages/drug_trial.py"), lecture.page("pages/free_throws.py")
    levels = lecture.page("pages/levels_of_pooling.py")
    lab = lecture.page("pages/simulation_lab.py")
    steps = [
        (
            "eight schools, exact",
            lambda: normal_normal.sample_posterior(y, sigma, draws=schools.exact_draws),
        ),
        ("home, exact", lambda: normal_normal.sample_posterior(y, sigma, draws=home.exact_draws)),
        (
            "rat tumors, exact",
            lambda: beta_binomial.sample_posterior(rats["y"], rats["n"], draws=drug.exact_draws),
        ),
        (
            "free throws, exact",
            lambda: beta_binomial.sample_posterior(
                throws["made"], throws["attempts"], draws=free.exact_draws
            ),
        ),
        # one batch of data sets compiles the program every replication count runs in batches
        (
            "simulation lab, exact",
            lambda: simulation.pooling_risk(
                groups=lab.groups, mu=0.0, tau=5.0, sigma=10.0, replications=1, seed=0
            ),
        ),
        ("eight schools, prior predictive", lambda: predictive.normal_prior_predictive(sigma)),
    ]
    for centered in (False, True):
        steps.append(
            (
                f"eight schools, NUTS {'centered' if centered else 'non-centered'}",
                lambda c=centered: nuts.fit_normal_hierarchy(
                    y,
                    sigma,
                    centered=c,
                    num_chains=schools.nuts_chains,
                    num_warmup=schools.nuts_warmup,
                    num_samples=schools.nuts_draws,
                ),
            )
        )
    for regime in ("no", "complete", "partial"):
        steps.append(
            (
                f"levels of pooling, NUTS {regime}",
                lambda r=regime: nuts.fit_pooling(
                    values,
                    groups,
                    regime=r,
                    # the page's default ("Non-centered partial pooling" off); the flag does
                    # not enter the no- and complete-pooling models
                    centered=True,
                    num_chains=levels.nuts_chains,
                    num_warmup=levels.nuts_warmup,
                    num_samples=levels.nuts_draws,
                ),
            )
        )
    return steps


# A kept NUTS program holds 35-60 MB for the life of the process (`python bench/memory.py steps`);
# the Eight schools pair, kept too, put a server's peak over 1 GB (docs/DEPLOYMENT.md, Memory).
_KEPT = ("levels of pooling, NUTS",)


def keeps(name: str) -> bool:
    """Whether the warm-up step ``name`` keeps the NUTS programs it compiles for the life of the
    process (those of a page that fits NUTS as it opens), rather than leaving them to be evicted."""
    return name.startswith(_KEPT)


def step_names() -> list[str]:
    return [name for name, _ in _steps()]


def warm_up(*, only: Callable[[str], bool] | None = None) -> dict[str, float]:
    """Run the warm-up calls (those whose name ``only`` accepts); return seconds per call.

    A call that fails is recorded as NaN and the rest still run: warming is best effort, and the
    page that makes the same call will show its error properly.
    """
    seconds = {}
    for name, call in _steps():
        if only is not None and not only(name):
            continue
        start = time.perf_counter()
        try:
            with nuts.keep_compiled() if keeps(name) else nullcontext():
                call()
        except Exception:  # best effort: a failing step must not stop the others
            seconds[name] = float("nan")
            continue
        seconds[name] = time.perf_counter() - start
    return seconds


_started = threading.Event()


def start_in_background() -> threading.Thread | None:
    """Start :func:`warm_up` in a daemon thread, once per process (None if already started or
    switched off with ``HBVIZ_WARM_UP=0``)."""
    if os.environ.get("HBVIZ_WARM_UP", "1") == "0" or _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=warm_up, name="hbviz-warm-up", daemon=True)
    thread.start()
    return thread


__all__ = ["keeps", "start_in_background", "step_names", "warm_up"]

"""Beta samplers inside the exact beta–binomial sampler's real use, measured in one run.

The last step of :func:`hbviz.beta_binomial.sample_posterior` draws θ_j ~ Beta(α + y_j,
β + n_j − y_j) for every draw of (α, β): 71 groups × 4000 draws for the rats, 100,000 groups ×
1000 draws (10^8 variates) for the largest size of bench/scaling.py. The same (α, β) draws and
counts go to each sampler in turn, in one process, the order rotating every round, so that the
shared machine's load hits all alike. CPU time (summed over threads) is reported beside the wall
time: on a loaded machine it is the fairer figure, and it shows what the threads buy.
``python -m bench.beta_sampler [--quick]`` prints the table.

``jax.random.beta`` takes microseconds per variate on the CPU (a while-loop of gamma draws per
element), so at 100,000 groups it runs on the first ``JAX_SLICE`` groups and its times are
scaled by J / ``JAX_SLICE`` (marked "extrapolated"); all 10^8 would take tens of minutes.

Earlier decisions: commit dd5b1f4 measured the Cheng (1978) BB sampler with its own
counter-based RNG that beta_binomial then carried (82.7 ms rats, 3.26 s at 10,000 groups)
against NumPy's Generator.beta (41.6 ms, 1.66 s) and jax.random.beta (1.81 s, 174 s); NumPy won
and the own sampler was removed (d562beb). Issue 14 then asked for 100,000 groups in ≤ 2 s:
Generator.beta stays, called in chunks on threads (see ``hbviz.beta_binomial``).
"""

from __future__ import annotations

import sys
import time

import jax
import numpy as np

from bench.harness import Config, Section, Stats, fmt_seconds, make_config, rat_tumor

JAX_SLICE = 200  # groups given to jax.random.beta at 100,000 groups


def _cases():
    """(name, y, n, draws): the rats, and bench/scaling.py's 100,000 simulated groups."""
    y, n = rat_tumor()
    groups = 100_000
    rng = np.random.default_rng(groups)  # the data of bench/scaling.py at this size
    big_n = rng.integers(10, 60, size=groups)
    big_y = rng.binomial(big_n, rng.beta(2.0, 13.0, size=groups))
    return [
        ("rats: 71 groups × 4000 draws", y, n, 4000),
        ("100,000 groups × 1000 draws", big_y, big_n, 1000),
    ]


@jax.jit
def _jax_beta(key, a, b):
    return jax.random.beta(key, a, b)


def _samplers(alpha, beta, y, n):
    """name → (function of a seed returning θ of shape (draws, J'), J / J'), one distribution."""
    from hbviz import beta_binomial

    def one_call(bit_generator):
        # the path beta_binomial took before issue 14 (on PCG64): both J × draws arrays of
        # shapes, one call
        def draw(i):
            a = y[:, None] + alpha[None, :]
            b = (n - y)[:, None] + beta[None, :]
            return np.random.Generator(bit_generator(i)).beta(a, b).T

        return draw

    part = slice(0, y.size if y.size <= 10_000 else JAX_SLICE)
    a_jax = y[part, None] + alpha[None, :]
    b_jax = (n - y)[part, None] + beta[None, :]
    return {
        "hbviz: Generator.beta (SFC64), chunks of groups on threads": (
            lambda i: beta_binomial.theta_given_hyperparameters(alpha, beta, y, n, seed=i),
            1.0,
        ),
        "NumPy Generator.beta, one call, PCG64 (before)": (one_call(np.random.PCG64), 1.0),
        "NumPy Generator.beta, one call, SFC64": (one_call(np.random.SFC64), 1.0),
        "jax.random.beta (jitted)": (
            lambda i: np.asarray(_jax_beta(jax.random.key(i), a_jax, b_jax)).T,
            y.size / a_jax.shape[0],
        ),
    }


def bench_beta(cfg: Config) -> Section:
    from hbviz import beta_binomial

    sec = Section(
        "Beta draws of θ | α, β, y inside the exact beta–binomial sampler (warm, interleaved)",
        ["case", "sampler", "median", "spread", "CPU (all threads)", "n", "× hbviz"],
    )
    rounds = 3 if cfg.quick else 5
    for name, y, n, draws in _cases():
        post = beta_binomial.sample_posterior(y, n, draws=draws, seed=1)
        samplers = _samplers(post.alpha, post.beta, y.astype(np.float64), n.astype(np.float64))
        names = list(samplers)
        for fn, scale in samplers.values():  # compile, and check the shape each returns
            assert fn(0).shape == (draws, round(y.size / scale))
        times: dict[str, list[float]] = {k: [] for k in names}
        cpu: dict[str, list[float]] = {k: [] for k in names}
        for r in range(rounds):
            for k in names[r % len(names) :] + names[: r % len(names)]:
                fn, scale = samplers[k]
                start, start_cpu = time.perf_counter(), time.process_time()
                fn(r + 1)
                times[k].append((time.perf_counter() - start) * scale)
                cpu[k].append((time.process_time() - start_cpu) * scale)
        ours = Stats(times[names[0]]).median
        for k in names:
            st = Stats(times[k])
            scale = samplers[k][1]
            label = (
                k
                if scale == 1.0
                else f"{k}, extrapolated ×{scale:,.0f} from {draws} × {round(y.size / scale)}"
            )
            row = [name, label, fmt_seconds(st.median), st.spread()]
            row += [fmt_seconds(float(np.median(cpu[k]))), str(len(st.times))]
            sec.rows.append([*row, f"{st.median / ours:.2f}×"])
            print(" | ".join(sec.rows[-1]), flush=True)
        whole = Stats([])
        for i in range(rounds):
            start = time.perf_counter()
            beta_binomial.sample_posterior(y, n, draws=draws, seed=i)
            whole.times.append(time.perf_counter() - start)
        sec.notes.append(
            f"{name}: the whole `sample_posterior` call takes {fmt_seconds(whole.median)}."
        )
        print(sec.notes[-1], flush=True)
    return sec


if __name__ == "__main__":
    print(bench_beta(make_config(quick="--quick" in sys.argv)).markdown())

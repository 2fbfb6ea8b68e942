"""Section ``beta``: three Beta samplers inside the exact beta–binomial sampler's real use.

The last step of :func:`hbviz.beta_binomial.sample_posterior` draws θ_j ~ Beta(α + y_j,
β + n_j − y_j) for every draw of (α, β): 71 groups × 4000 draws for the rats, 10,000 groups ×
1000 draws for a large upload. The same (α, β) draws and counts go to each sampler in turn, in
one process, the order rotating every round, so that the shared machine's load hits all three
alike. ``python -m bench.beta_sampler [--quick]`` prints the table.

The decision it made (commit dd5b1f4, where beta_binomial still had its own Cheng (1978) BB
sampler with a counter-based RNG; ``--quick``, 3 rounds, a 2-core machine under load ~7):

| case | Cheng BB (own RNG) | jax.random.beta | NumPy Generator.beta |
|---|---|---|---|
| rats, 71 × 4000 | 82.7 ms | 1.81 s | 41.6 ms |
| 10,000 groups × 1000 | 3.26 s | 174 s | 1.66 s |

NumPy was no slower (half the time, in both cases), so beta_binomial now draws with it and the
190 lines of the own sampler are gone; the first row below is that NumPy path, as called.
"""

from __future__ import annotations

import sys
import time

import jax
import numpy as np

from bench.harness import Config, Section, Stats, fmt_seconds, make_config, rat_tumor


def _cases():
    """(name, y, n, draws): the rats, and 10,000 simulated groups of 20–200 trials."""
    y, n = rat_tumor()
    rng = np.random.default_rng(0)
    big_n = rng.integers(20, 201, size=10_000)
    big_y = rng.binomial(big_n, rng.beta(2.0, 12.0, size=big_n.size))
    return [
        ("rats: 71 groups × 4000 draws", y, n, 4000),
        ("10,000 groups × 1000 draws", big_y, big_n, 1000),
    ]


@jax.jit
def _jax_beta(key, a, b):
    return jax.random.beta(key, a, b)


def _samplers(alpha, beta, y, n):
    """name → function of a seed returning θ of shape (draws, J), each the same distribution."""
    from hbviz import beta_binomial

    a = (y[None, :] + alpha[:, None]).astype(np.float64)
    b = (n - y)[None, :] + beta[:, None]
    return {
        "hbviz.beta_binomial (as called)": lambda i: beta_binomial._theta_given_hyper(
            jax.random.key(i), alpha, beta, y, n - y
        ),
        "jax.random.beta (jitted)": lambda i: np.asarray(_jax_beta(jax.random.key(i), a, b)),
        "numpy Generator.beta": lambda i: np.random.default_rng(i).beta(a, b),
    }


def bench_beta(cfg: Config) -> Section:
    from hbviz import beta_binomial

    sec = Section(
        "Beta draws of θ | α, β, y inside the exact beta–binomial sampler (warm, interleaved)",
        ["case", "sampler", "median", "spread", "n", "× hbviz"],
    )
    rounds = 3 if cfg.quick else 7
    for name, y, n, draws in _cases():
        post = beta_binomial.sample_posterior(y, n, draws=draws, seed=1)
        samplers = _samplers(post.alpha, post.beta, y.astype(np.float64), n.astype(np.float64))
        names = list(samplers)
        for fn in samplers.values():  # compile, and check the shape each returns
            assert fn(0).shape == (draws, y.size)
        times: dict[str, list[float]] = {k: [] for k in names}
        for r in range(rounds):
            for k in names[r % 3 :] + names[: r % 3]:
                start = time.perf_counter()
                samplers[k](r + 1)
                times[k].append(time.perf_counter() - start)
        ours = Stats(times[names[0]]).median
        for k in names:
            st = Stats(times[k])
            row = [name, k, fmt_seconds(st.median), st.spread(), str(len(st.times))]
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

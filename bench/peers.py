"""Section 9: hbviz's NUTS refit against the samplers a user would pick instead (issue 14, item 4).

nutpie (compiled once and fed new data with ``compiled.with_data``, or recompiled for every refit),
PyMC's ``pm.sample`` (its own sampler, and ``nuts_sampler="numpyro"``) and NumPyro's ``MCMC`` (one
object re-used with ``jit_model_args=True``, or a new one per refit), beside
``hbviz.nuts.fit_normal_hierarchy``, on two problems: eight schools and a simulated hierarchy of
1,000 estimates with known standard errors. One model everywhere: non-centered,
μ ~ N(0, 5²), τ ~ HalfCauchy(5), θ̃_j ~ N(0, 1), θ_j = μ + τ θ̃_j, y_j ~ N(θ_j, σ_j²) (hbviz's
eight-schools NUTS default), 4 chains × (1000 warm-up + 1000 draws).

Each sampler runs in its own process (``bench/run.py --child peer --spec FILE``) on the same data
sequence, which the parent writes to a file, so that no sampler's imports or JAX settings reach
another. A child times its refits, writes each refit's draws of μ, τ and θ to a file, and the parent
computes every sampler's effective sample sizes with the same function
(``hbviz.diagnostics.ess_bulk``). The peers are optional: ``bench/requirements-peers.txt`` (``make
bench-peers`` installs it into its own venv); a sampler whose packages are missing gets a row that
says so, and the others still run.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.harness import Config, Section, Stats, fmt_seconds, run_child

MU_MEAN, MU_SD, TAU_SCALE = 0.0, 5.0, 5.0
EIGHT_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])  # Rubin (1981), BDA3 §5.5
EIGHT_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
INSTALL_HINT = (
    "`make bench` and `make bench-peers` install bench/requirements-peers.txt in .venv-peers "
    "and run the samplers there (HBVIZ_PEERS_PYTHON)"
)


@dataclass(frozen=True)
class Peer:
    key: str
    label: str
    modules: tuple[str, ...]  # what it imports; a missing one skips its row


PEERS = (
    Peer("hbviz", "hbviz `nuts.fit_normal_hierarchy` (compiled once)", ("jax", "numpyro")),
    Peer("nutpie_data", "nutpie, compiled once, `compiled.with_data(y=…)`", ("nutpie", "pymc")),
    Peer("nutpie_recompile", "nutpie, `pm.set_data` and recompiled", ("nutpie", "pymc")),
    Peer("pymc", "PyMC `pm.sample` (its NUTS, cores=2)", ("pymc",)),
    Peer("pymc_numpyro", 'PyMC `pm.sample(nuts_sampler="numpyro")`', ("pymc", "numpyro")),
    Peer("numpyro_reused", "NumPyro `MCMC` re-used, `jit_model_args=True`", ("numpyro",)),
    Peer("numpyro_new", "NumPyro new `MCMC(NUTS(model))` per refit", ("numpyro",)),
)
PEER_KEYS = tuple(p.key for p in PEERS)


@dataclass(frozen=True)
class Problem:
    name: str
    groups: int  # 8 means the eight schools; otherwise simulated
    chains: int
    warmup: int
    draws: int
    refits: int  # timed refits, after one untimed first call


def problems(quick: bool) -> tuple[Problem, ...]:
    if quick:
        return (
            Problem("eight schools", 8, 4, 200, 200, 2),
            Problem("J = 100", 100, 4, 200, 200, 1),
        )
    return (
        Problem("eight schools", 8, 4, 1000, 1000, 5),
        Problem("J = 1,000", 1000, 4, 1000, 1000, 2),
    )


def problem_data(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(y of every call, shape (refits + 1, J); σ, shape (J,)): call 0 is the data, call i the data
    plus N(0, 2²) noise (as bench.harness.perturbed), the same sequence for every sampler."""
    if problem.groups == 8:
        y, sigma = EIGHT_Y, EIGHT_SIGMA
    else:  # estimates with known standard errors, eight-schools-like spread
        rng = np.random.default_rng(14)
        sigma = rng.uniform(5.0, 20.0, problem.groups)
        y = rng.normal(rng.normal(8.0, 6.0, problem.groups), sigma)
    ys = [y] + [
        y + np.random.default_rng(1000 + i).normal(0.0, 2.0, y.shape)
        for i in range(1, problem.refits + 1)
    ]
    return np.stack(ys), sigma


# The interpreter the samplers' children run in: `make bench` points it at .venv-peers (the app's
# pinned packages plus the peers'), so that one run of bench/run.py in the app's venv measures the
# peers too while their packages never reach the app's venv.
PEERS_PYTHON = os.environ.get("HBVIZ_PEERS_PYTHON") or sys.executable


@functools.cache
def installed(module: str) -> bool:
    """Whether ``module`` imports in the children's interpreter (:data:`PEERS_PYTHON`)."""
    if sys.executable == PEERS_PYTHON:
        return importlib.util.find_spec(module) is not None
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    try:
        return subprocess.run([PEERS_PYTHON, "-c", probe], timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


# --- the children: one sampler each ---------------------------------------------------------------


def _numpyro_model(sigma, y=None):
    """The model in plain NumPyro, as a NumPyro user writes it (no hbviz import in the child)."""
    import numpyro
    import numpyro.distributions as dist

    mu = numpyro.sample("mu", dist.Normal(MU_MEAN, MU_SD))
    tau = numpyro.sample("tau", dist.HalfCauchy(TAU_SCALE))
    with numpyro.plate("group", sigma.shape[0]):
        z = numpyro.sample("theta_decentered", dist.Normal(0.0, 1.0))
        theta = numpyro.deterministic("theta", mu + tau * z)
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def _pymc_model(y, sigma):
    import pymc as pm

    with pm.Model() as model:
        y_data = pm.Data("y", y)
        mu = pm.Normal("mu", MU_MEAN, MU_SD)
        tau = pm.HalfCauchy("tau", TAU_SCALE)
        z = pm.Normal("theta_decentered", 0.0, 1.0, shape=len(sigma))
        theta = pm.Deterministic("theta", mu + tau * z)
        pm.Normal("obs", theta, sigma, observed=y_data)
    return model


def _idata_draws(idata) -> dict[str, np.ndarray]:
    return {k: np.asarray(idata.posterior[k].values) for k in ("mu", "tau", "theta")}


def _numpyro_draws(mcmc) -> dict[str, np.ndarray]:
    samples = mcmc.get_samples(group_by_chain=True)
    return {k: np.asarray(samples[k]) for k in ("mu", "tau", "theta")}


def _refit_function(spec: dict, ys: np.ndarray, sigma: np.ndarray) -> Callable[[int], tuple]:
    """``refit(i) -> (draws, extra)`` for the spec's sampler: imports and one-time set-up here."""
    key, chains, warmup, draws = spec["sampler"], spec["chains"], spec["warmup"], spec["draws"]

    if key == "hbviz":
        from bench.harness import CompileLog
        from hbviz import nuts

        log = CompileLog()

        def refit(i):
            before = log.snapshot()
            fit = nuts.fit_normal_hierarchy(
                ys[i], sigma, centered=False, tau_prior="half_cauchy", tau_scale=TAU_SCALE,
                mu_prior=(MU_MEAN, MU_SD), num_chains=chains, num_warmup=warmup,
                num_samples=draws, seed=i,
            )  # fmt: skip
            done = CompileLog.since(before, log.snapshot())
            # the share of the refit its summaries take (R-hat, bulk/tail ESS, quantiles of
            # every site): timed again apart, outside the refit's time
            start = time.perf_counter()
            nuts.posterior_summary(fit.samples)
            done["summary"] = time.perf_counter() - start
            return {k: fit.samples[k] for k in ("mu", "tau", "theta")}, done

        return refit

    if key.startswith("numpyro"):
        import jax

        jax.config.update("jax_enable_x64", True)
        from numpyro.infer import MCMC, NUTS

        from bench.harness import CompileLog

        log = CompileLog()

        def mcmc():
            return MCMC(
                NUTS(_numpyro_model), num_warmup=warmup, num_samples=draws, num_chains=chains,
                chain_method="vectorized", progress_bar=False, jit_model_args=True,
            )  # fmt: skip

        reused = mcmc()

        def refit(i):
            before = log.snapshot()
            run = reused if key == "numpyro_reused" else mcmc()
            run.run(jax.random.PRNGKey(i), sigma, ys[i])
            return _numpyro_draws(run), CompileLog.since(before, log.snapshot())

        return refit

    import pymc as pm

    model = _pymc_model(ys[0], sigma)
    if key.startswith("nutpie"):
        import nutpie

        compiled = nutpie.compile_pymc_model(model)

        def refit(i):
            nonlocal compiled
            start = time.perf_counter()
            if key == "nutpie_data":
                run = compiled.with_data(y=ys[i])
            else:
                pm.set_data({"y": ys[i]}, model=model)
                run = compiled = nutpie.compile_pymc_model(model)
            compile_s = time.perf_counter() - start
            idata = nutpie.sample(
                run, chains=chains, tune=warmup, draws=draws, seed=i, progress_bar=False
            )
            return _idata_draws(idata), {"compile": compile_s}

        return refit

    log = None
    if key == "pymc_numpyro":
        from bench.harness import CompileLog

        log = CompileLog()

    def refit(i):
        before = log.snapshot() if log else None
        pm.set_data({"y": ys[i]}, model=model)
        with model:
            idata = pm.sample(
                draws=draws, tune=warmup, chains=chains, cores=2, random_seed=i,
                progressbar=False, nuts_sampler="numpyro" if log else "pymc",
            )  # fmt: skip
        attrs = {**idata.posterior.attrs, **idata.sample_stats.attrs}
        extra = {"sampling": float(attrs.get("sampling_time", np.nan))}
        if log:
            extra |= CompileLog.since(before, log.snapshot())
        return _idata_draws(idata), extra

    return refit


def child_peer(spec_path: str) -> None:
    """Run one sampler: call 0 untimed, then the timed refits; draws to files, times printed."""
    spec = json.loads(Path(spec_path).read_text())
    with np.load(spec["data"]) as data:
        ys, sigma = data["y"], data["sigma"]
    start = time.perf_counter()
    refit = _refit_function(spec, ys, sigma)
    draws, _ = refit(0)
    first = time.perf_counter() - start
    times, extras = [], []
    for i in range(1, len(ys)):
        t0 = time.perf_counter()
        draws, extra = refit(i)
        times.append(time.perf_counter() - t0)
        extras.append(extra)
        np.savez(Path(spec["out"]) / f"{spec['sampler']}_{i}.npz", **draws)
    dtype = str(draws["mu"].dtype)
    print(json.dumps({"first": first, "times": times, "extras": extras, "dtype": dtype}))


# --- the parent ------------------------------------------------------------------------------------


def min_bulk_ess(path: Path) -> float:
    """Smallest bulk ESS over μ, τ, every θ_j and every θ̃_j = (θ_j − μ) / τ of one refit's draws,
    by the same function for every sampler."""
    from hbviz import diagnostics

    with np.load(path) as d:
        mu, tau, theta = d["mu"], d["tau"], d["theta"]
    z = (theta - mu[..., None]) / tau[..., None]
    return float(min(np.nanmin(diagnostics.ess_bulk(x)) for x in (mu, tau, theta, z)))


@dataclass
class Measured:
    peer: Peer
    stats: Stats | None = None
    ess: list[float] | None = None
    first: float = float("nan")
    extras: list[dict] | None = None
    dtype: str = ""
    skipped: str = ""

    def ess_per_second(self) -> float:
        return float(np.median([e / t for e, t in zip(self.ess, self.stats.times, strict=True)]))


def _run_peer_child(args: list[str]) -> tuple[dict, float]:
    return run_child(args, python=PEERS_PYTHON)


def measure(
    peer: Peer, problem: Problem, data: Path, out: Path, runner=_run_peer_child
) -> Measured:
    missing = [m for m in peer.modules if not installed(m)]
    if missing:
        return Measured(peer, skipped=f"not installed: {', '.join(missing)}")
    spec = out / f"{peer.key}.json"
    fields = {k: v for k, v in asdict(problem).items() if k in ("chains", "warmup", "draws")}
    spec.write_text(json.dumps({"sampler": peer.key, "data": str(data), "out": str(out), **fields}))
    try:
        result, _ = runner(["peer", "--spec", str(spec)])
    except Exception as err:  # one failing peer must not hide the others
        return Measured(peer, skipped=f"failed: {str(err).strip().splitlines()[-1][:200]}")
    ess = [min_bulk_ess(out / f"{peer.key}_{i}.npz") for i in range(1, problem.refits + 1)]
    return Measured(
        peer, Stats(result["times"]), ess, result["first"], result["extras"], result["dtype"]
    )


def _median_of(extras: list[dict], key: str) -> float:
    values = [e[key] for e in extras if key in e]
    return float(np.median(values)) if values else float("nan")


def where_time_goes(problem: Problem, results: Sequence[Measured]) -> str:
    parts = []
    for m in results:
        if m.stats is None:
            continue
        med = m.stats.median
        if m.peer.key == "hbviz":
            programs = sum(e["programs"] for e in m.extras)
            parts.append(
                f"hbviz compiled {programs:.0f} programs over its {len(m.extras)} refits "
                f"(first call {fmt_seconds(m.first)}), so a refit of {fmt_seconds(med)} is "
                f"sampling and its summaries (`nuts.posterior_summary` of the same draws, timed "
                f"apart: {fmt_seconds(_median_of(m.extras, 'summary'))})"
            )
        elif m.peer.key.startswith("nutpie"):
            parts.append(
                f"{m.peer.key}: {fmt_seconds(_median_of(m.extras, 'compile'))} of "
                f"{fmt_seconds(med)} in `with_data`/`compile_pymc_model`, the rest `nutpie.sample`"
            )
        elif m.peer.key.startswith("pymc"):
            text = (
                f"{m.peer.key}: sampling loop {fmt_seconds(_median_of(m.extras, 'sampling'))} "
                f"of {fmt_seconds(med)} (PyMC's `sampling_time`)"
            )
            if "trace" in m.extras[0]:
                jax_s = sum(_median_of(m.extras, k) for k in ("trace", "lower", "compile"))
                text += f", JAX trace + lower + compile {fmt_seconds(jax_s)}"
            parts.append(text)
        else:
            jax_s = {k: _median_of(m.extras, k) for k in ("trace", "lower", "compile")}
            parts.append(
                f"{m.peer.key}: trace {fmt_seconds(jax_s['trace'])}, lower "
                f"{fmt_seconds(jax_s['lower'])}, compile {fmt_seconds(jax_s['compile'])} of "
                f"{fmt_seconds(med)}"
            )
    return f"Where the time goes, {problem.name} (medians per refit): " + "; ".join(parts) + "."


def bench_peers(
    cfg: Config,
    *,
    peers: Sequence[str] = PEER_KEYS,
    sizes: Sequence[Problem] | None = None,
    runner=_run_peer_child,
) -> Section:
    sizes = problems(cfg.quick) if sizes is None else sizes
    load_start = os.getloadavg()
    shapes = {f"{p.chains} × ({p.warmup} + {p.draws})" for p in sizes}
    sec = Section(
        "9. Peers: NUTS refits against nutpie, PyMC and NumPyro (non-centered, "
        f"{' / '.join(sorted(shapes))}, new data each refit, each sampler in its own process)",
        ["problem", "sampler", "warm refit, median", "spread", "n", "min bulk ESS (median)",
         "ESS / s", "time / hbviz", "ESS/s ÷ hbviz's", "first call", "floats"],
    )  # fmt: skip
    chosen = [p for p in PEERS if p.key in peers]
    with tempfile.TemporaryDirectory(prefix="hbviz-peers-") as tmp:
        for problem in sizes:
            out = Path(tmp) / problem.name.replace(" ", "_").replace(",", "")
            out.mkdir()
            ys, sigma = problem_data(problem)
            np.savez(out / "data.npz", y=ys, sigma=sigma)
            results = [measure(p, problem, out / "data.npz", out, runner) for p in chosen]
            base = next((m for m in results if m.peer.key == "hbviz" and m.stats), None)
            for m in results:
                if m.stats is None:
                    sec.rows.append([problem.name, m.peer.label, m.skipped, *["–"] * 8])
                    continue
                ratio_t = m.stats.median / base.stats.median if base else float("nan")
                ratio_e = m.ess_per_second() / base.ess_per_second() if base else float("nan")
                sec.rows.append([
                    problem.name, m.peer.label, fmt_seconds(m.stats.median), m.stats.spread(),
                    str(len(m.stats.times)), f"{np.median(m.ess):,.0f}",
                    f"{m.ess_per_second():,.0f}", f"{ratio_t:.2f}×", f"{ratio_e:.2f}×",
                    fmt_seconds(m.first), m.dtype,
                ])  # fmt: skip
            sec.notes.append(where_time_goes(problem, results))
            nutpie = next((m for m in results if m.peer.key == "nutpie_data" and m.stats), None)
            if base and nutpie:
                sec.verdicts.append(
                    (
                        f"{problem.name}: hbviz's refit faster than nutpie's `with_data`, with "
                        f"at least its ESS/s (issue 14; {fmt_seconds(base.stats.median)} against "
                        f"{fmt_seconds(nutpie.stats.median)}, {base.ess_per_second():,.0f} "
                        f"against {nutpie.ess_per_second():,.0f} ESS/s)",
                        base.stats.median < nutpie.stats.median
                        and base.ess_per_second() >= nutpie.ess_per_second(),
                    )
                )
    load_end = os.getloadavg()
    sec.notes += [
        "Every refit gets new y (the data plus N(0, 2²) noise, one sequence shared by every "
        "sampler) and seed i; each sampler's first call (imports, compiles) is untimed and shown "
        "apart. J = 1,000: σ_j ~ U(5, 20), θ_j ~ N(8, 6²), y_j ~ N(θ_j, σ_j²), seed 14. Same "
        "model and priors everywhere: μ ~ N(0, 5²), τ ~ HalfCauchy(5), θ̃_j ~ N(0, 1), "
        "θ_j = μ + τ θ̃_j.",
        "min bulk ESS: the smallest `hbviz.diagnostics.ess_bulk` over μ, τ, every θ_j and θ̃_j of "
        "a refit's draws, computed in this process for every sampler; ESS / s is the median over "
        "refits of min ESS / time; the ratio columns divide by hbviz's row of the same problem.",
        'Settings: NumPyro rows `chain_method="vectorized"`, `progress_bar=False`, '
        "`jax_enable_x64`, JAX's defaults otherwise (no persistent cache, as in a NumPyro "
        "session); PyMC `progressbar=False`, its defaults otherwise (convergence checks on, "
        '`nuts_sampler="numpyro"` with chain_method "parallel" on 1 JAX device, so the 4 '
        "chains run one after the other); nutpie `progress_bar=False`, numba backend, its "
        "default cores (all). 'floats' is the dtype of each sampler's draws.",
        f"Every sampler's child ran in {PEERS_PYTHON}.",
        f"Load average (1, 5, 15 min) at the section's start: "
        f"{', '.join(f'{x:.2f}' for x in load_start)}; at its end: "
        f"{', '.join(f'{x:.2f}' for x in load_end)}. Ratios are from the same run.",
    ]
    missing = [r for r in sec.rows if r[2].startswith("not installed")]
    if missing:
        sec.notes.append(f"Rows not installed are skipped: {INSTALL_HINT}.")
    return sec

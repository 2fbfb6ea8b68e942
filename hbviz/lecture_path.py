"""The lecture's path through each page: a few steps, each a sentence, the controls that show it and
the figure it is about; and the presets of each page's main dial.

Plain data, read by the pages (the step panel, the dial's buttons) and by the tests, which check
that every step's values are values its page's controls can hold. A value may name a quantity the
page computes (:data:`POSTERIOR_MEDIAN`, :data:`AXIS_END`): :func:`resolve` replaces it with the
page's number. Importing this module needs neither JAX nor Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

# Values a page computes from its data: the posterior median of τ, the end of the τ axis (where
# every school is back at its own estimate: τ → ∞ as far as the figures can tell).
POSTERIOR_MEDIAN = "posterior median"
AXIS_END = "axis end"
NAMED = frozenset({POSTERIOR_MEDIAN, AXIS_END})


class Step(NamedTuple):
    """One step of a page's lecture path."""

    text: str  # what to say, one or two sentences (Markdown, fixed text)
    values: Mapping[str, object]  # control key → value (or a name in NAMED) set by this step
    figure: str  # the key of the figure the step is about (``_ui.plot(..., key=...)``)


class Preset(NamedTuple):
    """One button beside a page's main dial."""

    label: str
    values: Mapping[str, object]


class Tutorial(NamedTuple):
    """The NumPyro tutorial's NUTS run on levels of pooling, and the divergences it reported."""

    chains: int = 1
    warmup: int = 500  # warm-up steps per chain
    draws: int = 1000  # draws per chain kept after the warm-up
    no_pooling_divergences: int = 120


TUTORIAL = Tutorial()
# The levels-of-pooling controls at the tutorial's settings: its chains, warm-up and draws, the
# page's seed 0 and the centered form (the tutorial's own).
TUTORIAL_SETTINGS: Mapping[str, object] = {
    "chains": TUTORIAL.chains,
    "warmup": TUTORIAL.warmup,
    "draws": TUTORIAL.draws,
    "seed": 0,
    "noncentered": False,
}


def _drug(text: str, figure: str, *, y: int = 4, n: int = 14) -> Step:
    """A drug-trial step: the current experiment y of n (the lecture's 4 / 14 unless said)."""
    return Step(text, {"current_y": y, "current_n": n}, figure)


def _pooling(text: str, figure: str, *, noncentered: bool = False) -> Step:
    """A levels-of-pooling step at the tutorial's sampler settings, so each step's link shows the
    tutorial's run (a step names no count: the page says the fit's own)."""
    return Step(text, {**TUTORIAL_SETTINGS, "noncentered": noncentered}, figure)


SCHOOLS = "pages/eight_schools.py"
DRUG = "pages/drug_trial.py"
THROWS = "pages/free_throws.py"
POOLING = "pages/levels_of_pooling.py"

PATHS: dict[str, tuple[Step, ...]] = {
    SCHOOLS: (
        Step(
            "Eight estimates, eight standard errors. **No pooling** takes each school alone, "
            "**complete pooling** one mean for all (7.7 ± 4.1); the hierarchy lands in between.",
            {"tau": 10.0},
            "pooling-forest",
        ),
        Step(
            "How different are the schools? **p(τ | y)** is highest at τ = 0, yet values of 10 "
            "to 20 are not ruled out (BDA3 Fig. 5.5).",
            {"tau": 10.0},
            "tau-posterior",
        ),
        Step(
            "At **τ = 0** every school gets the pooled estimate: complete pooling.",
            {"tau": 0.0},
            "shrinkage",
        ),
        Step(
            "At the **posterior median of τ** each estimate is pulled part of the way, furthest "
            "for the schools with the largest σ_j.",
            {"tau": POSTERIOR_MEDIAN},
            "shrinkage",
        ),
        Step(
            "As **τ → ∞** every school goes back to its own y_j: no pooling.",
            {"tau": AXIS_END},
            "shrinkage",
        ),
        Step(
            "Which school is best? A leads, but Pr(best) stays far from 1: averaged over τ the "
            "schools are hard to tell apart.",
            {},
            "probabilities",
        ),
        Step(
            "**NUTS**, centered against non-centered: the first school's θ against τ. The "
            "centered form's draws form a funnel, its divergent transitions (red) in the neck at "
            "small τ; the non-centered form takes the neck away. The caption counts both.",
            {"nuts": True},
            "nuts-funnel",
        ),
    ),
    DRUG: (
        _drug(
            "In the current experiment **4 of 14** rats got tumors (0.29). On its own that is a "
            "wide guess; both Bayesian analyses pull it down toward the history.",
            "current",
        ),
        _drug(
            "The 70 historical rates: near 0.14 is usual. **Empirical Bayes** fits Beta(1.4, "
            "8.6) to them and treats it as known.",
            "history",
        ),
        _drug(
            "**Full Bayes** keeps α and β uncertain: p(log(α/β), log(α+β) | y) with its draws "
            "(BDA3 Fig. 5.3).",
            "contour",
        ),
        _drug(
            "The same rate from **40 of 140** rats: now the experiment's own data outweigh the "
            "history, and the three analyses nearly agree.",
            "current",
            y=40,
            n=140,
        ),
        _drug(
            "All 71 experiments: each is pulled toward the population, the small ones furthest "
            "(BDA3 Fig. 5.4).",
            "intervals",
        ),
    ),
    THROWS: (
        Step(
            "Four seasons, each with its own Beta posterior under a uniform prior: the lecture's "
            "table.",
            {"this_season": "2015-2016"},
            "densities",
        ),
        Step(
            "Is **2015-2016** higher than the other seasons? The hierarchical model's answers are "
            "less extreme than the independent ones: it pulls the seasons together.",
            {"this_season": "2015-2016"},
            "answers-bars",
        ),
        Step(
            "The same questions for **2012-2013**, the season with the fewest attempts (46).",
            {"this_season": "2012-2013"},
            "answers-bars",
        ),
        Step(
            "Shrinkage: the hierarchy pulls each season toward the player's overall rate, the "
            "seasons with few attempts furthest.",
            {"this_season": "2015-2016"},
            "shrinkage",
        ),
    ),
    POOLING: (
        _pooling(
            "The tutorial's run: **1 chain, 500 warm-up steps, 1000 draws**. Five values, three "
            "models. **No pooling**: each value its own mean and noise sd; one value cannot "
            "separate them, so NUTS diverges.",
            "pooling-estimates",
        ),
        _pooling(
            "No pooling's **funnel**: log σ_i against μ_i. Where σ_i is small, μ_i is pinned to "
            "y_i: a neck NUTS cannot follow with one step size, and its divergent transitions "
            "(red) gather there.",
            "funnel-no-pooling",
        ),
        _pooling(
            "**Complete pooling**: one mean and one noise sd for all five values; compare its "
            "divergences with no pooling's.",
            "pooling-estimates",
        ),
        _pooling(
            "**Partial pooling**, centered: group means between the two; with three groups τ is "
            "poorly determined, and the funnel between τ and the group means makes transitions "
            "diverge at small τ.",
            "funnel-partial-pooling",
        ),
        _pooling(
            "**Non-centered** partial pooling samples z_g ~ N(0, 1) instead: the neck at small τ "
            "is gone, yet divergences may remain elsewhere; the page counts them and shows where.",
            "funnel-partial-pooling",
            noncentered=True,
        ),
    ),
}

PRESETS: dict[str, tuple[Preset, ...]] = {
    SCHOOLS: (
        Preset("τ = 0", {"tau": 0.0}),
        Preset("posterior median", {"tau": POSTERIOR_MEDIAN}),
        Preset("τ → ∞ (large)", {"tau": AXIS_END}),
    ),
    DRUG: (
        Preset("the lecture's 4 / 14", {"current_y": 4, "current_n": 14}),
        Preset("same rate, 40 / 140", {"current_y": 40, "current_n": 140}),
    ),
    POOLING: (Preset("the tutorial's settings", TUTORIAL_SETTINGS),),
}


def path(page: str) -> tuple[Step, ...]:
    """The lecture path of the page whose script is ``page``; empty for a page without one."""
    return PATHS.get(page, ())


def presets(page: str) -> tuple[Preset, ...]:
    """The presets of the page's main dial; empty for a page without them."""
    return PRESETS.get(page, ())


def resolve(values: Mapping[str, object], named: Mapping[str, float]) -> dict[str, object]:
    """``values`` with every name in :data:`NAMED` replaced by the page's number in ``named``."""
    resolved = {}
    for key, value in values.items():
        if isinstance(value, str) and value in NAMED:
            if value not in named:
                raise ValueError(f"{key} = {value!r} needs the page's {value}; none was given")
            value = named[value]
        resolved[key] = value
    return resolved


__all__ = [
    "AXIS_END",
    "NAMED",
    "PATHS",
    "POSTERIOR_MEDIAN",
    "PRESETS",
    "TUTORIAL",
    "TUTORIAL_SETTINGS",
    "Preset",
    "Step",
    "Tutorial",
    "path",
    "presets",
    "resolve",
]

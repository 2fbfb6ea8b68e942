"""The lecture paths and presets as data: every page they name exists, every step names a figure
its page draws and sets only controls its page has, to values those controls can hold."""

from __future__ import annotations

import re

import pytest

from hbviz import datasets, lecture, lecture_path
from tests.conftest import ROOT

ENTRIES = [(page, step) for page, steps in lecture_path.PATHS.items() for step in steps]
PRESETS = [(page, p) for page, presets in lecture_path.PRESETS.items() for p in presets]
# What each page's controls can hold (their ranges in the page scripts; AppTest runs of every
# step in tests/test_present.py check the pages accept them).
VALID = {
    "tau": lambda v: v in lecture_path.NAMED or 0.0 <= v <= 30.0,
    "current_y": lambda v: isinstance(v, int) and 0 <= v <= 2000,
    "current_n": lambda v: isinstance(v, int) and 1 <= v <= 2000,
    "this_season": lambda v: v in set(datasets.free_throws()["season"]),
    "noncentered": lambda v: isinstance(v, bool),
    "chains": lambda v: v in range(1, 5),
    "draws": lambda v: v in (50, 100, 250, 500, 1000, 2000),
    "warmup": lambda v: v in (100, 250, 500, 1000, 2000),
    "seed": lambda v: isinstance(v, int) and 0 <= v <= 10_000,
    "nuts": lambda v: isinstance(v, bool),
}


def source(page: str) -> str:
    """The page's script and the glue modules of ``pages/`` it imports (a figure or control a
    page shows through ``_predictive`` or ``_present`` is still the page's)."""
    text = (ROOT / page).read_text()
    glue = re.findall(r"^from pages import (.+)$", text, flags=re.M)
    names = [name.strip() for line in glue for name in line.split(",")]
    return "\n".join([text, *((ROOT / "pages" / f"{name}.py").read_text() for name in names)])


def test_every_path_belongs_to_a_lecture_page_and_has_a_few_steps():
    pages = {entry.path for entry in lecture.PAGES}
    assert set(lecture_path.PATHS) <= pages and set(lecture_path.PRESETS) <= pages
    assert all(3 <= len(steps) <= 8 for steps in lecture_path.PATHS.values())
    assert lecture_path.path("pages/home.py") == () and lecture_path.presets("pages/x.py") == ()


@pytest.mark.parametrize(("page", "step"), ENTRIES, ids=[s.figure for _, s in ENTRIES])
def test_each_step_says_something_about_a_figure_its_page_draws(page, step):
    assert len(step.text) > 20 and "<" not in step.text  # fixed Markdown, no HTML
    # the figure's key, given to the plot call or in a mapping of keys beside it
    assert re.search(rf'(key=|: )"{re.escape(step.figure)}"', source(page)), step.figure


@pytest.mark.parametrize(("page", "values"), [(p, s.values) for p, s in ENTRIES + PRESETS])
def test_every_value_is_one_its_control_can_hold(page, values):
    for key, value in values.items():
        assert f'"{key}"' in source(page), f"{page} has no control {key!r}"
        assert VALID[key](value), (key, value)
    if {"current_y", "current_n"} <= set(values):
        assert values["current_y"] <= values["current_n"]


def test_resolve_replaces_the_page_numbers_and_names_a_missing_one():
    values = {"tau": lecture_path.POSTERIOR_MEDIAN, "c": 28.0}
    assert lecture_path.resolve(values, {lecture_path.POSTERIOR_MEDIAN: 4.5}) == {
        "tau": 4.5,
        "c": 28.0,
    }
    with pytest.raises(ValueError, match="posterior median"):
        lecture_path.resolve(values, {})


@pytest.mark.parametrize(
    ("y", "n", "shown"), [(4, 14, ["4/14", "0.083", '"var"']), (0, 2000, ["0/2000"])]
)
def test_the_drug_trial_caption_uses_the_current_experiment(y, n, shown):
    """Issue 12: the caption said "For 4/14" whatever y and n were, and "variance 0.0000"."""
    from hbviz import beta_binomial, historical_controls

    rats = datasets.rat_tumor()
    prior = beta_binomial.moment_estimate(rats["y"].to_numpy()[:-1], rats["n"].to_numpy()[:-1])
    post = [float(p[0]) for p in beta_binomial.conjugate_posterior(*prior, [y], [n])]
    sd = beta_binomial.beta_mean_sd(*post)[1]
    note = historical_controls.empirical_bayes_note(y, n, sd)
    assert all(s in note for s in shown), note
    variance = re.search(r"variance ([0-9.]+)\.", note).group(1)
    assert "e" not in variance and float(variance) == pytest.approx(sd**2, rel=0.05), note


def test_the_eight_schools_path_ends_with_the_nuts_funnel():
    *_, last = lecture_path.path(lecture_path.SCHOOLS)
    assert last.values == {"nuts": True} and last.figure == "nuts-funnel"
    assert len(lecture_path.path(lecture_path.SCHOOLS)) == 7


def test_the_pooling_path_and_preset_run_the_tutorials_sampler():
    """Issue 12: the tutorial ran 1 chain, 500 warm-up steps and 1000 draws; each step's link
    reproduces that run, whichever form the step shows."""
    tutorial = {"chains": 1, "warmup": 500, "draws": 1000, "seed": 0}
    steps = lecture_path.path(lecture_path.POOLING)
    assert all(tutorial.items() <= step.values.items() for step in steps)
    assert [step.values["noncentered"] for step in steps] == [False] * 4 + [True]
    assert {"funnel-no-pooling", "funnel-partial-pooling"} <= {step.figure for step in steps}
    (preset,) = lecture_path.presets(lecture_path.POOLING)
    assert preset.values == tutorial | {"noncentered": False}


def test_the_drug_trial_steps_hold_the_lecture_experiment_unless_they_say_otherwise():
    counts = [
        (s.values["current_y"], s.values["current_n"]) for s in lecture_path.path(lecture_path.DRUG)
    ]
    assert counts == [(4, 14)] * 3 + [(40, 140), (4, 14)]

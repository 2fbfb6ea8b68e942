"""The background warm-up: what it covers, that it runs, and that it starts once per process."""

from __future__ import annotations

import math
import threading

from hbviz import warmup


def test_it_covers_every_lecture_page():
    names = " ".join(warmup.step_names())
    pages = (
        "eight schools",
        "home",
        "rat tumors",
        "free throws",
        "levels of pooling",
        "simulation",
    )
    for page in (*pages, "prior predictive"):
        assert page in names
    assert "NUTS centered" in names and "NUTS non-centered" in names


def test_the_exact_steps_run_and_are_timed():
    exact = ("exact", "prior predictive")  # the steps that compile no NUTS program
    seconds = warmup.warm_up(only=lambda name: name.endswith(exact))
    assert set(seconds) == {n for n in warmup.step_names() if n.endswith(exact)}
    assert all(math.isfinite(s) and s >= 0 for s in seconds.values())


def test_it_starts_once_per_process_and_can_be_switched_off(monkeypatch):
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append(threading.current_thread().name))
    monkeypatch.setattr(warmup, "_started", threading.Event())
    monkeypatch.setenv("HBVIZ_WARM_UP", "0")
    assert warmup.start_in_background() is None
    monkeypatch.setenv("HBVIZ_WARM_UP", "1")
    thread = warmup.start_in_background()
    thread.join(timeout=300)
    assert not thread.is_alive(), "the warm-up thread did not finish within 300 s"
    assert warmup.start_in_background() is None  # a second request does not start another
    assert calls == ["hbviz-warm-up"]


def test_the_programs_it_compiles_are_kept(monkeypatch):
    from hbviz import _concurrency, nuts

    cache = _concurrency.ProgramCache(capacity=1)
    monkeypatch.setattr(nuts, "_PROGRAMS", cache)
    y, sigma = warmup._eight_schools()
    sizes = dict(num_chains=1, num_warmup=17, num_samples=17)
    kept = ("levels of pooling, NUTS tiny", lambda: nuts.fit_normal_hierarchy(y, sigma, **sizes))
    monkeypatch.setattr(warmup, "_steps", lambda: [kept])
    assert math.isfinite(warmup.warm_up()["levels of pooling, NUTS tiny"])
    assert cache.kept() == 1
    nuts.fit_normal_hierarchy(y, sigma, centered=True, **sizes)  # a page's fit: not kept
    assert len(cache) == 2 and cache.kept() == 1
    # a step of a page that fits NUTS only behind a toggle compiles, but is left to the LRU table
    compiles = cache.compiles
    other = dict(sizes, num_warmup=18)
    toggled = ("eight schools, NUTS tiny", lambda: nuts.fit_normal_hierarchy(y, sigma, **other))
    monkeypatch.setattr(warmup, "_steps", lambda: [toggled])
    assert math.isfinite(warmup.warm_up()["eight schools, NUTS tiny"])
    assert cache.compiles == compiles + 1 and cache.kept() == 1


def test_only_the_page_that_fits_nuts_as_it_opens_keeps_its_programs():
    nuts_steps = [name for name in warmup.step_names() if "NUTS" in name]
    assert {name for name in nuts_steps if warmup.keeps(name)} == {
        f"levels of pooling, NUTS {regime}" for regime in ("no", "complete", "partial")
    }

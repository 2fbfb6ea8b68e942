"""Shared fixtures: the bundled data and fixed seeds (tests never depend on global random state),
and the test run's bounds on waiting, which hold on a busy machine too."""

from __future__ import annotations

import os
from pathlib import Path

# The app warms its samplers in a background thread on a server's first request; in tests that
# would compete with the test's own compile work, so it is off (tests/test_warmup.py runs it
# directly; the load test turns it on for its own server, as a lecture server has it).
os.environ.setdefault("HBVIZ_WARM_UP", "0")
# One persistent JAX compilation cache for the whole run: this process, every `streamlit run`
# server and bench child it starts (they inherit the environment). A fresh clone starts with it
# empty and fills it; later runs load compiled programs instead of compiling them.
os.environ.setdefault(
    "HBVIZ_JAX_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".jax_cache")
)
# (the imports below come after: hbviz reads both variables when it is imported)

import numpy as np
import pytest
import streamlit as st
from hypothesis import HealthCheck, settings
from streamlit.testing.v1 import AppTest

from hbviz import datasets

ROOT = Path(__file__).resolve().parent.parent
# How long one AppTest script run may take before the test fails ("AppTest script run timed
# out after …"). Generous: a first run compiles NUTS models, which takes seconds on an idle
# machine with a warm cache and minutes on a loaded one with an empty cache.
APP_TIMEOUT = float(os.environ.get("HBVIZ_APP_TIMEOUT", "600"))

# Hypothesis: no per-example deadline (its default, 200 ms, fails any example that compiles or
# runs while the machine is busy) and no "too slow" health check, for every property test,
# including those whose own @settings do not say so (they inherit this profile).
settings.register_profile(
    "hbviz", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("hbviz")


@pytest.fixture(scope="session")
def schools():
    df = datasets.eight_schools()
    return df["y"].to_numpy(), df["sigma"].to_numpy()


@pytest.fixture(scope="session")
def rats():
    df = datasets.rat_tumor()
    return df["y"].to_numpy(), df["n"].to_numpy()


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


@pytest.fixture
def app_page():
    """Factory for an AppTest of one page of the real app (router included), caches cleared.

    ``app_page("pages/eight_schools.py", query={"tau": "5"})`` runs app.py, switches to the page
    with those query parameters, and returns the AppTest after its first run. Streamlit's caches
    outlive AppTest instances in one process, so they are cleared first.
    """
    st.cache_data.clear()
    st.cache_resource.clear()

    def make(page: str, *, query: dict[str, str] | None = None, timeout: float = APP_TIMEOUT):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        for name, value in (query or {}).items():
            at.query_params[name] = value
        at.switch_page(page)
        return at.run()

    return make

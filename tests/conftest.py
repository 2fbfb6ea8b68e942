"""Shared fixtures: the bundled data and fixed seeds (tests never depend on global random state)."""

from __future__ import annotations

import os

# The app warms its samplers in a background thread on a server's first request; in tests that
# would compete with the test's own timings and compile work, so it is off (tests/test_warmup.py
# runs it directly).
os.environ.setdefault("HBVIZ_WARM_UP", "0")

from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from hbviz import datasets


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


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_page():
    """Factory for an AppTest of one page of the real app (router included), caches cleared.

    ``app_page("pages/eight_schools.py", query={"tau": "5"})`` runs app.py, switches to the page
    with those query parameters, and returns the AppTest after its first run. Streamlit's caches
    outlive AppTest instances in one process, so they are cleared first.
    """
    st.cache_data.clear()
    st.cache_resource.clear()

    def make(page: str, *, query: dict[str, str] | None = None, timeout: float = 180):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        for name, value in (query or {}).items():
            at.query_params[name] = value
        at.switch_page(page)
        return at.run()

    return make

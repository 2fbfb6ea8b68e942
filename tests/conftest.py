"""Shared fixtures: the bundled data and fixed seeds (tests never depend on global random state)."""

from __future__ import annotations

import numpy as np
import pytest

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

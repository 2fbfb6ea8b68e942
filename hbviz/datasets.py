"""The lecture datasets bundled in ``data/``, as pandas DataFrames (sources in ``data/SOURCES.md``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name)


def eight_schools() -> pd.DataFrame:
    """Rubin's eight schools (BDA3 Table 5.2).

    Returns
    -------
    DataFrame with 8 rows and columns ``school`` (A–H), ``y`` (estimated coaching effect) and
    ``sigma`` (its standard error).
    """
    return _read("eight_schools.csv").astype({"school": str, "y": float, "sigma": float})


def rat_tumor() -> pd.DataFrame:
    """Tarone's rat tumor experiments (BDA3 Table 5.1).

    Returns
    -------
    DataFrame with 71 rows and integer columns ``y`` (rats with tumors) and ``n`` (rats). Rows 0–69
    are the historical control groups; the last row (4 of 14) is the current experiment.
    """
    return _read("rat_tumor.csv").astype({"y": int, "n": int})


def free_throws() -> pd.DataFrame:
    """One player's free throws over four seasons (the lecture slides).

    Returns
    -------
    DataFrame with 4 rows and columns ``season`` (e.g. ``"2012-2013"``), ``made`` and ``attempts``.
    """
    return _read("free_throws.csv").astype({"season": str, "made": int, "attempts": int})


def pooling_demo() -> pd.DataFrame:
    """The NumPyro tutorial's values 10, 12, 9, 11, 8 with group ids chosen by hbviz.

    Returns
    -------
    DataFrame with 5 rows and columns ``group`` (``"a"``, ``"b"``, ``"c"``) and ``value``.
    """
    return _read("pooling_demo.csv").astype({"group": str, "value": float})

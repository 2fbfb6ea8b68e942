"""The layers' import rules (docs/ARCHITECTURE.md) hold, and ruff's ban list covers every module."""

from __future__ import annotations

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_plots_ban_every_core_module():
    """hbviz/plots/ruff.toml names each core module: a new one must be added to keep plots drawing
    only what they are given (ruff cannot ban ``hbviz`` without banning ``hbviz.plots``)."""
    config = tomllib.loads((ROOT / "hbviz" / "plots" / "ruff.toml").read_text())
    banned = set(config["lint"]["flake8-tidy-imports"]["banned-api"])
    core = {f"hbviz.{p.stem}" for p in (ROOT / "hbviz").glob("*.py") if p.stem != "__init__"}
    assert core - banned == set()

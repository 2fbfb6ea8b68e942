"""The peers section of the benchmark (bench/peers.py) is wired without its optional packages:
missing peers get a row that says so, hbviz's row is measured in its own process, and every
sampler's ESS comes from one function on the draws its child wrote."""

from __future__ import annotations

import numpy as np
import pytest

from bench import peers
from bench.harness import make_config
from bench.run import SECTIONS

TINY = (peers.Problem("eight schools", 8, 2, 20, 20, 1),)


@pytest.fixture
def without_peer_packages(monkeypatch):
    """As in the test venv, whatever is installed here: nutpie and PyMC are missing."""
    real = peers.installed
    monkeypatch.setattr(peers, "installed", lambda m: m not in ("nutpie", "pymc") and real(m))


def test_section_reports_missing_peers_and_measures_hbviz_in_a_child(without_peer_packages):
    assert "peers" in SECTIONS
    sec = peers.bench_peers(
        make_config(True), peers=("hbviz", "nutpie_data", "pymc_numpyro"), sizes=TINY
    )
    rows = {row[1]: row for row in sec.rows}
    assert len(rows) == 3
    hb = rows["hbviz `nuts.fit_normal_hierarchy` (compiled once)"]
    assert hb[0] == "eight schools" and hb[4] == "1"
    assert float(hb[5].replace(",", "")) > 0  # min bulk ESS of its draws
    assert hb[7] == "1.00×" and hb[-1] == "float64"
    assert rows["nutpie, compiled once, `compiled.with_data(y=…)`"][2] == (
        "not installed: nutpie, pymc"
    )
    assert rows['PyMC `pm.sample(nuts_sampler="numpyro")`'][2] == "not installed: pymc"
    assert any(peers.INSTALL_HINT in note for note in sec.notes)
    assert any("hbviz compiled 0 programs" in note for note in sec.notes)


def test_a_failing_child_gets_its_row_and_the_others_still_run():
    def runner(args):
        raise RuntimeError("child failed:\nTraceback …\nValueError: boom")

    sec = peers.bench_peers(make_config(True), peers=("numpyro_new",), sizes=TINY, runner=runner)
    assert sec.rows[0][2] == "failed: ValueError: boom"


def test_every_sampler_gets_the_same_data_sequence_starting_with_the_data():
    problem = peers.Problem("J = 50", 50, 4, 10, 10, 3)
    ys, sigma = peers.problem_data(problem)
    again, _ = peers.problem_data(problem)
    assert ys.shape == (4, 50) and sigma.shape == (50,) and np.all(sigma > 0)
    np.testing.assert_array_equal(ys, again)
    assert len({tuple(y) for y in ys}) == 4  # each refit has new values
    eight, _ = peers.problem_data(TINY[0])
    np.testing.assert_array_equal(eight[0], peers.EIGHT_Y)


def test_min_bulk_ess_is_the_worst_site_including_the_decentered_effects(tmp_path):
    rng = np.random.default_rng(0)
    mu, tau = rng.normal(size=(4, 500)), np.exp(rng.normal(size=(4, 500)))
    theta = mu[..., None] + tau[..., None] * rng.normal(size=(4, 500, 3))
    np.savez(tmp_path / "iid.npz", mu=mu, tau=tau, theta=theta)
    iid = peers.min_bulk_ess(tmp_path / "iid.npz")
    assert 1000 < iid < 3000  # independent draws: about 2000
    z = (theta - mu[..., None]) / tau[..., None]
    z[:, :, 1] = np.repeat(z[:, ::10, 1], 10, axis=1)  # one θ̃_j sticks for 10 draws at a time
    np.savez(tmp_path / "sticky.npz", mu=mu, tau=tau, theta=mu[..., None] + tau[..., None] * z)
    assert peers.min_bulk_ess(tmp_path / "sticky.npz") < iid / 4

"""Lowered NUTS programs kept on disk (hbviz._exported): a new process's first fit of a program
already built elsewhere neither traces nor lowers it, and gives the same draws."""

from __future__ import annotations

import numpy as np
import pytest

from hbviz import _concurrency, _exported, datasets, nuts

pytestmark = pytest.mark.skipif(_exported.export is None, reason="jax.export needs flatbuffers")

# a warm-up length no other test uses: these tests compile their own program
SIZES = {"num_chains": 2, "num_warmup": 9, "num_samples": 12, "seed": 3}


@pytest.fixture
def fresh_process(monkeypatch, tmp_path):
    """A program cache and an exported-program store of this test's own, as a new process has."""
    monkeypatch.setattr(_exported, "STORE", tmp_path)
    monkeypatch.setattr(nuts, "_PROGRAMS", _concurrency.ProgramCache(capacity=2))
    return tmp_path


def schools():
    df = datasets.eight_schools()
    return df["y"].to_numpy(float), df["sigma"].to_numpy(float)


def test_a_stored_program_runs_without_tracing_and_gives_the_same_draws(fresh_process, monkeypatch):
    y, sigma = schools()
    first = nuts.fit_normal_hierarchy(y, sigma, **SIZES)
    (stored,) = fresh_process.iterdir()
    # as in a new process: nothing compiled, and NumPyro may not build the model or the sampler
    monkeypatch.setattr(nuts, "_PROGRAMS", _concurrency.ProgramCache(capacity=2))

    def no_tracing(*args, **kwargs):
        raise AssertionError("the stored program was traced again")

    monkeypatch.setattr(nuts, "_initialized_kernel", no_tracing)
    again = nuts.fit_normal_hierarchy(y, sigma, **SIZES)
    for site, draws in first.samples.items():
        np.testing.assert_array_equal(again.samples[site], draws)
    # other data of the same shapes and new prior scales run the same stored program
    nuts.fit_normal_hierarchy(y + 1.0, sigma * 2.0, tau_scale=2.0, **SIZES)
    assert list(fresh_process.iterdir()) == [stored]


def test_an_unreadable_file_is_built_again(fresh_process):
    y, sigma = schools()
    first = nuts.fit_normal_hierarchy(y, sigma, **SIZES)
    (stored,) = fresh_process.iterdir()
    stored.write_bytes(b"not a program")
    nuts._PROGRAMS.clear()
    again = nuts.fit_normal_hierarchy(y, sigma, **SIZES)
    np.testing.assert_array_equal(again.samples["tau"], first.samples["tau"])
    assert _exported._load(stored) is not None  # written again, whole


def test_every_static_argument_and_argument_type_names_its_own_file():
    key = (("model_name", "m"), ("num_warmup", 9))
    other_warmup = (("model_name", "m"), ("num_warmup", 10))
    paths = {
        _exported._path("nuts-chain", (key, (((8,), "<f8"),), "PyTreeDef(*)")),
        _exported._path("nuts-chain", (key, (((9,), "<f8"),), "PyTreeDef(*)")),
        _exported._path("nuts-chain", (other_warmup, (((8,), "<f8"),), "PyTreeDef(*)")),
        _exported._path("nuts-chain", (key, (((8,), "<f4"),), "PyTreeDef(*)")),
    }
    assert len(paths) == 4
    assert _exported._path("nuts-chain", (key,)) == _exported._path("nuts-chain", (key,))


def test_a_new_program_is_built_by_a_child_process_and_never_traced_here(
    fresh_process, monkeypatch
):
    monkeypatch.setenv("HBVIZ_COMPILE_IN_CHILD", "1")

    def no_tracing(*args, **kwargs):
        raise AssertionError("this process traced the program")

    monkeypatch.setattr(nuts, "_initialized_kernel", no_tracing)
    y, sigma = schools()
    sizes = dict(SIZES, num_warmup=8)  # a program no other test builds
    fit = nuts.fit_normal_hierarchy(y, sigma, centered=True, **sizes)
    assert fit.samples["theta"].shape == (2, 12, 8)
    assert len(list(fresh_process.iterdir())) == 1

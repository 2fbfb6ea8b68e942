import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from hbviz import beta_binomial, export, normal_normal, nuts


def test_formula_cells_are_neutralized_and_numbers_kept():
    table = pd.DataFrame(
        {
            "group": ["=1+1", "+cmd", "@SUM(A1)", "-2", "plain", "<script>"],
            "estimate": [-3.0, 1, 2, 3, 4, 5],
        }
    ).set_index("group")
    text = export.to_csv(table).decode("utf-8")
    back = pd.read_csv(io.StringIO(text))
    assert back["group"].tolist() == ["'=1+1", "'+cmd", "'@SUM(A1)", "'-2", "plain", "<script>"]
    assert back["estimate"].tolist() == [-3.0, 1, 2, 3, 4, 5]


def test_column_names_are_neutralized_too():
    text = export.to_csv(pd.DataFrame({"=HYPERLINK()": ["x"]}), index=False).decode()
    assert text.splitlines()[0] == "'=HYPERLINK()"


# --- ArviZ InferenceData ---------------------------------------------------------------------

TINY = {"num_chains": 2, "num_warmup": 30, "num_samples": 30}

READ_BACK = """
import sys
import arviz_base
import arviz_stats
tree = arviz_base.convert_to_datatree(sys.argv[1])
post = tree["posterior"]
print(sorted(tree.children))
print(dict(post.sizes))
print(int(tree["sample_stats"]["diverging"].sum()), str(tree["sample_stats"]["diverging"].dtype))
print([str(g) for g in post["theta"].coords["group"].values])
print(float(arviz_stats.rhat(tree, var_names=["theta"])["theta"].max()) > 0)
"""


def read_in_fresh_process(tmp_path, data: bytes) -> list[str]:
    """What a new Python process, knowing nothing of hbviz, reads from the file with ArviZ."""
    path = tmp_path / "draws.nc"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.splitlines()


def test_nuts_fit_round_trips_through_arviz_in_a_fresh_process(tmp_path, schools):
    fit = nuts.fit_normal_hierarchy(*schools, centered=True, seed=3, **TINY)
    names = list("ABCDEFGH")
    data = export.fit_to_netcdf(fit, group_names=names, observed={"y": schools[0]})
    lines = read_in_fresh_process(tmp_path, data)
    assert lines[0] == "['observed_data', 'posterior', 'sample_stats']"
    assert lines[1] == "{'chain': 2, 'draw': 30, 'group': 8}"
    assert lines[2] == f"{fit.divergences} bool"
    assert lines[3] == str(names)
    assert lines[4] == "True"
    tree = export.fit_to_datatree(fit, group_names=names)
    np.testing.assert_array_equal(tree["posterior"]["theta"].values, fit.samples["theta"])
    np.testing.assert_array_equal(tree["sample_stats"]["diverging"].values, fit.diverging)


def test_exact_posteriors_round_trip_too(tmp_path, schools, rats):
    normal = normal_normal.sample_posterior(*schools, draws=50, seed=1)
    lines = read_in_fresh_process(
        tmp_path, export.posterior_to_netcdf(normal, group_names=list("ABCDEFGH"))
    )
    assert lines[1] == "{'chain': 1, 'draw': 50, 'group': 8}"
    assert lines[2] == "0 bool"
    counts = beta_binomial.sample_posterior(*rats, draws=40, seed=1)
    tree = export.posterior_to_datatree(counts)
    post = tree["posterior"]
    assert set(post.data_vars) == {
        "alpha",
        "beta",
        "population_mean",
        "log_alpha_plus_beta",
        "theta",
    }
    np.testing.assert_allclose(
        post["population_mean"].values[0], counts.alpha / (counts.alpha + counts.beta)
    )
    assert post.sizes["group"] == 71


def test_bad_group_names_are_refused(schools):
    post = normal_normal.sample_posterior(*schools, draws=20, seed=1)
    with pytest.raises(ValueError, match="group_names has 3 names; the posterior has 8 groups"):
        export.posterior_to_netcdf(post, group_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="distinct"):
        export.posterior_to_netcdf(post, group_names=["a"] * 8)
    with pytest.raises(ValueError, match="NormalPosterior or a BetaBinomialPosterior"):
        export.posterior_to_netcdf(object())

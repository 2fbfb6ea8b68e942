"""Downloads that other tools read: tables as spreadsheet-safe CSV, posteriors as ArviZ NetCDF.

Posteriors are written as ArviZ InferenceData (ArviZ 1.x: an ``xarray.DataTree``) in NetCDF-4:
a ``posterior`` group with dimensions (chain, draw, ...), a ``sample_stats`` group with the
boolean ``diverging`` of every draw, and ``observed_data`` when the data are given. ArviZ
(``arviz_base.convert_to_datatree(path)``), ``xarray.open_datatree`` and any NetCDF-4 reader
load it; ArviZ 0.x reads it with ``az.from_netcdf``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it plain text there.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(table: pd.DataFrame, *, index: bool = True) -> bytes:
    """UTF-8 CSV of ``table`` with text cells, column names and index labels neutralized.

    Numbers are left as numbers (a negative estimate stays ``-3.0``); only text is touched.
    Rows end in CRLF (RFC 4180), so that a cell holding a bare carriage return is quoted: with
    LF endings pandas leaves it bare, and a spreadsheet starts a new row there, whose next cell
    (``=1+1`` in a name "a", CR, "=1+1") would escape the neutralizing above.
    """
    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralize)
    safe.columns = [neutralize(str(c)) for c in safe.columns]
    if index:
        safe.index = safe.index.map(lambda v: neutralize(v) if isinstance(v, str) else v)
    return safe.to_csv(index=index, lineterminator="\r\n").encode("utf-8")


# --- ArviZ InferenceData --------------------------------------------------------------------


def _group_coords(group_names, size: int, dim: str) -> dict:
    if group_names is None:
        return {}
    names = [str(name) for name in group_names]
    if len(names) != size:
        raise ValueError(f"group_names has {len(names)} names; the posterior has {size} {dim}s")
    if len(set(names)) != len(names):
        raise ValueError("group_names must be distinct")
    return {dim: names}


def _datatree(
    posterior: dict,
    diverging: np.ndarray,
    *,
    dim: str,
    coords: dict,
    attrs: dict,
    observed: dict | None,
):
    from arviz_base import from_dict  # imports xarray: only when a file is asked for

    groups = {"posterior": posterior, "sample_stats": {"diverging": diverging}}
    dims = {name: [dim] for name, x in posterior.items() if np.ndim(x) == 3}
    if observed:
        groups["observed_data"] = observed
        dims |= {name: [dim] for name, x in observed.items() if np.ndim(x) == 1}
    return from_dict(groups, coords=coords, dims=dims, attrs={"posterior": attrs})


def _netcdf_bytes(tree) -> bytes:
    buffer = io.BytesIO()
    tree.to_netcdf(buffer, engine="h5netcdf")
    return buffer.getvalue()


def fit_to_datatree(fit, *, group_names: Sequence[str] | None = None, observed=None):
    """A NUTS fit as ArviZ InferenceData (an ``xarray.DataTree``).

    Parameters
    ----------
    fit : hbviz.nuts.Fit
    group_names : sequence of str, optional
        Coordinates of the per-group dimension (``group``; ``observation`` for the no-pooling
        model of raw values, where every value is its own group).
    observed : dict of str to array, optional
        The data, e.g. ``{"y": y, "n": n}``, stored in ``observed_data``.

    Returns
    -------
    xarray.DataTree with groups ``posterior``, ``sample_stats`` (``diverging``) and, if given,
    ``observed_data``.
    """
    dim = "observation" if fit.model == "raw_no_pooling" else "group"
    sizes = {x.shape[2] for x in fit.samples.values() if x.ndim == 3}
    if len(sizes) > 1:
        raise ValueError(f"the fit's sites have several group sizes: {sorted(sizes)}")
    coords = _group_coords(group_names, sizes.pop(), dim) if sizes else {}
    return _datatree(
        {name: np.asarray(x) for name, x in fit.samples.items()},
        np.asarray(fit.diverging, dtype=bool),
        dim=dim,
        coords=coords,
        attrs={"model": f"hbviz.models.{fit.model}", "sampler": "NumPyro NUTS"},
        observed=observed,
    )


def fit_to_netcdf(fit, *, group_names: Sequence[str] | None = None, observed=None) -> bytes:
    """:func:`fit_to_datatree` as NetCDF-4 bytes, for a download button or a file."""
    return _netcdf_bytes(fit_to_datatree(fit, group_names=group_names, observed=observed))


def posterior_to_datatree(post, *, group_names: Sequence[str] | None = None, observed=None):
    """Exact posterior draws as ArviZ InferenceData: one chain of independent draws.

    Parameters
    ----------
    post : NormalPosterior or BetaBinomialPosterior
        From :func:`hbviz.normal_normal.sample_posterior` (``mu``, ``tau``, ``theta``) or
        :func:`hbviz.beta_binomial.sample_posterior` (``alpha``, ``beta``, ``theta``, and
        ``population_mean`` = α/(α+β) and ``log_alpha_plus_beta`` added, whose means exist).
    group_names, observed
        As in :func:`fit_to_datatree`.

    Returns
    -------
    xarray.DataTree; ``sample_stats.diverging`` is all False (no Markov chain ran), kept so
    that tools which look for it find it.
    """
    if hasattr(post, "alpha"):
        draws = {
            "alpha": post.alpha,
            "beta": post.beta,
            "population_mean": post.alpha / (post.alpha + post.beta),
            "log_alpha_plus_beta": np.log(post.alpha + post.beta),
            "theta": post.theta,
        }
        method = "hbviz.beta_binomial.sample_posterior (grid + conjugate Beta draws)"
    elif hasattr(post, "tau"):
        draws = {"mu": post.mu, "tau": post.tau, "theta": post.theta}
        method = "hbviz.normal_normal.sample_posterior (grid + conjugate normal draws)"
    else:
        raise ValueError(
            f"post must be a NormalPosterior or a BetaBinomialPosterior; got {type(post).__name__}"
        )
    posterior = {name: np.asarray(x, dtype=np.float64)[None] for name, x in draws.items()}
    num_draws = posterior["theta"].shape[1]
    return _datatree(
        posterior,
        np.zeros((1, num_draws), dtype=bool),
        dim="group",
        coords=_group_coords(group_names, posterior["theta"].shape[2], "group"),
        attrs={"sampler": f"exact: {method}"},
        observed=observed,
    )


def posterior_to_netcdf(post, *, group_names: Sequence[str] | None = None, observed=None) -> bytes:
    """:func:`posterior_to_datatree` as NetCDF-4 bytes."""
    return _netcdf_bytes(posterior_to_datatree(post, group_names=group_names, observed=observed))

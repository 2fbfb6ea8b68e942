"""Checks at the boundary of the public API: each raises ``ValueError`` naming what is wrong."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hbviz import priors


def as_vector(values, name: str, *, min_length: int = 1) -> np.ndarray:
    """Return ``values`` as a 1-d float64 array, or raise naming ``name`` and the bad entry."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numbers; got {values!r}") from err
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if arr.size < min_length:
        raise ValueError(f"{name} must hold at least {min_length} value(s); got {arr.size}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] is {arr[bad[0]]}; every value must be finite")
    return arr


def same_length(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{a_name} and {b_name} must have the same length; got {a.size} and {b.size}"
        )


def positive(arr: np.ndarray, name: str) -> None:
    bad = np.flatnonzero(arr <= 0)
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] is {arr[bad[0]]}; it must be greater than 0")


def positive_scalar(value, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a number; got {value!r}") from err
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a finite number greater than 0; got {value!r}")
    return x


def finite_scalar(value, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a number; got {value!r}") from err
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return x


def draw_count(value, name: str = "draws") -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1; got {value!r}")
    return int(value)


def seed(value) -> int:
    # JAX keys take a signed 64-bit seed; a larger one would fail inside JAX with OverflowError.
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < 2**63:
        raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1; got {value!r}")
    return int(value)


def counts(y, n) -> tuple[np.ndarray, np.ndarray]:
    """Validate binomial counts: whole numbers with 0 <= y_j <= n_j and n_j >= 1."""
    y_arr = as_vector(y, "y")
    n_arr = as_vector(n, "n")
    same_length(y_arr, "y", n_arr, "n")
    for arr, name in ((y_arr, "y"), (n_arr, "n")):
        bad = np.flatnonzero(arr != np.round(arr))
        if bad.size:
            raise ValueError(f"{name}[{bad[0]}] is {arr[bad[0]]}; counts must be whole numbers")
    bad = np.flatnonzero(n_arr < 1)
    if bad.size:
        raise ValueError(f"n[{bad[0]}] is {n_arr[bad[0]]:g}; every group needs at least 1 trial")
    bad = np.flatnonzero(y_arr < 0)
    if bad.size:
        raise ValueError(f"y[{bad[0]}] is {y_arr[bad[0]]:g}; successes cannot be negative")
    bad = np.flatnonzero(y_arr > n_arr)
    if bad.size:
        i = bad[0]
        raise ValueError(f"y[{i}] is {y_arr[i]:g} but n[{i}] is {n_arr[i]:g}; y cannot exceed n")
    return y_arr, n_arr


def group_names(names, n_groups: int, *, first: int = 0) -> list[str]:
    """``names`` as text, one per group; None numbers the groups from ``first``."""
    if names is None:
        return [str(j + first) for j in range(n_groups)]
    names = [str(name) for name in names]
    if len(names) != n_groups:
        raise ValueError(f"got {len(names)} names for {n_groups} groups")
    return names


def is_blank(name) -> bool:
    """Whether a group name is missing: None, NaN (pandas' empty cell) or only whitespace."""
    return name is None or (isinstance(name, float) and np.isnan(name)) or not str(name).strip()


def choice(value, name: str, options) -> str:
    if not isinstance(value, str) or value not in options:
        expected = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {expected}; got {value!r}")
    return value


def flag(value, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def normal_prior(value, name: str) -> tuple[np.float64, np.float64]:
    """(mean, sd) of a normal prior, as float64 scalars (one dtype, so jit never retraces)."""
    try:
        mean, sd = value
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a pair (mean, sd); got {value!r}") from err
    mean = finite_scalar(mean, f"{name} mean")
    sd = positive_scalar(sd, f"{name} sd")
    return np.float64(mean), np.float64(sd)


def group_ids(group, num_values: int) -> tuple[np.ndarray, int]:
    """Group ids 0, 1, …, G-1 (each present) of ``num_values`` values, and G."""
    ids = as_vector(group, "group")
    if ids.size != num_values:
        raise ValueError(
            f"values and group must have the same length; got {num_values} and {ids.size}"
        )
    bad = np.flatnonzero((ids != np.round(ids)) | (ids < 0))
    if bad.size:
        raise ValueError(f"group[{bad[0]}] is {ids[bad[0]]:g}; group ids must be whole numbers ≥ 0")
    ids = ids.astype(np.int64)
    num_groups = int(ids.max()) + 1
    missing = np.setdiff1d(np.arange(num_groups), ids)
    if missing.size:
        raise ValueError(
            f"group ids must be 0, 1, …, G-1 with every group present; group {missing[0]} has "
            f"no values (largest id is {num_groups - 1})"
        )
    return ids, num_groups


class Hierarchy(NamedTuple):
    """The checked options of a NUTS hierarchy, as the models take them."""

    centered: bool
    tau_prior: str
    tau_scale: np.float64
    mu_mean: np.float64
    mu_sd: np.float64


def hierarchy(model: str, *, centered, tau_prior, tau_scale, mu_prior) -> Hierarchy:
    """Check the options every NUTS hierarchy shares; ``tau_prior`` must be one that ``model``
    offers in :data:`hbviz.priors.TAU_PRIORS`."""
    centered = flag(centered, "centered")
    tau_prior = priors.check(tau_prior, model).name
    tau_scale = np.float64(positive_scalar(tau_scale, "tau_scale"))
    mu_mean, mu_sd = normal_prior(mu_prior, "mu_prior")
    return Hierarchy(centered, tau_prior, tau_scale, mu_mean, mu_sd)

"""Checks of the small tables the lecture pages analyse (counts, estimates with standard errors).

They raise :class:`hbviz.upload.UploadError`, a ValueError holding one
:class:`hbviz.upload.Problem` that names the row (1 = first data row), the column, the value found
and what is expected, as an uploaded file's problems do; pages show both the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hbviz import _validate
from hbviz.upload import ROLES
from hbviz.upload import table_problem as _problem

MIN_GROUPS = 2  # a hierarchy needs two groups to say anything about the population


def _require_shape(table: pd.DataFrame, columns: tuple[str, ...]) -> None:
    for column in columns:
        if column not in table.columns:
            raise _problem(
                f"the table has no column {column!r}; it has {list(table.columns)}",
                column=column,
                expected=f"a column {column!r}",
            )
    if len(table) < MIN_GROUPS:
        raise _problem(
            f"the table needs at least {MIN_GROUPS} rows; it has {len(table)}",
            value=len(table),
            expected=f"at least {MIN_GROUPS} rows",
        )


def _check_names(table: pd.DataFrame, group: str) -> None:
    """Every row needs a non-empty name that no other row has (compared without surrounding
    blanks, as they are shown)."""
    seen: dict[str, int] = {}
    for row, name in enumerate(table[group], start=1):
        where = {"row": row, "column": group, "value": name}
        if _validate.is_blank(name):
            raise _problem(
                f"row {row}, column {group!r}: the name is empty", expected="a name", **where
            )
        key = str(name).strip()
        if key in seen:
            raise _problem(
                f"row {row}, column {group!r}: the name {key!r} is also used in row "
                f"{seen[key]}; names must be unique",
                expected="a name no other row has",
                **where,
            )
        seen[key] = row


def check_count_table(
    table: pd.DataFrame, *, columns: tuple[str, str, str] = ROLES["counts"]
) -> None:
    """Raise UploadError naming the row, column and value if ``table`` cannot be analysed.

    ``columns`` name the table's group, successes and trials columns. Every row needs a
    distinct, non-empty group name and whole-number counts with 0 ≤ successes ≤ trials and
    trials ≥ 1; there must be at least :data:`MIN_GROUPS` rows.
    """
    group, successes, trials = columns
    _require_shape(table, columns)
    _check_names(table, group)
    for i, (name, y, n) in enumerate(
        zip(table[group], table[successes], table[trials], strict=True), start=1
    ):
        for column, value in ((successes, y), (trials, n)):
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = np.nan
            if not np.isfinite(number) or number != round(number) or number < 0:
                raise _problem(
                    f"row {i} ({name}): {column!r} is {value!r}; expected a whole number ≥ 0",
                    row=i,
                    column=column,
                    value=value,
                    expected="a whole number ≥ 0",
                )
        if float(n) < 1:
            raise _problem(
                f"row {i} ({name}): {trials!r} is {n!r}; expected at least 1",
                row=i,
                column=trials,
                value=n,
                expected="at least 1",
            )
        if float(y) > float(n):
            raise _problem(
                f"row {i} ({name}): {successes!r} is {y!r} but {trials!r} is {n!r}; "
                f"{successes} cannot exceed {trials}",
                row=i,
                column=successes,
                value=y,
                expected=f"at most {trials} ({n!r})",
            )


def check_estimates(
    table: pd.DataFrame, *, columns: tuple[str, str, str] = ("school", "y", "sigma")
) -> None:
    """Raise UploadError naming the row and column of the first value that cannot be analysed.

    ``columns`` name the table's group, estimate and standard error columns (by default the
    eight schools'). Every row needs a non-empty, unique group name, a finite estimate and a
    finite standard error greater than 0; there must be at least :data:`MIN_GROUPS` rows.
    """
    group, estimate, std_error = columns
    _require_shape(table, columns)
    _check_names(table, group)
    for column, must_be_positive in ((estimate, False), (std_error, True)):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        for row, value in enumerate(values, start=1):
            cell = table[column].iloc[row - 1]
            if not np.isfinite(value):
                raise _problem(
                    f"row {row}, column {column!r}: {cell!r} is not a finite number",
                    row=row,
                    column=column,
                    value=cell,
                    expected="a finite number",
                )
            if must_be_positive and value <= 0:
                raise _problem(
                    f"row {row}, column {column!r}: {value:g}; a standard error must be greater "
                    "than 0",
                    row=row,
                    column=column,
                    value=cell,
                    expected="a number greater than 0",
                )

"""What a link may hold: the text of a page's query parameters, read and checked.

A link is user input: anyone can type, truncate or forge one. Each reader takes the text found in
the URL and returns the value it stands for, or raises ValueError saying what was found and what
is expected. The pages fall back to the lecture's value when a reader refuses.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hbviz.upload import table_problem

MAX_TEXT = 200  # characters of a number, a choice or a switch; longer text is not read at all
MAX_TABLE_CHARS = 20_000  # a lecture table in a link: a few hundred short rows at most
MAX_TABLE_ROWS = 100  # pairwise plots grow as rows², NUTS fits add parameters per row
MAX_ABS = 1e9  # larger magnitudes overflow squares and sums in the samplers and plots
MIN_ABS = 1e-9  # nonzero values nearer 0 overflow reciprocals (a precision 1/σ² of 1e600)
MAX_INTEGER = 2**53  # the largest integer a browser's number type holds exactly


def excerpt(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with control characters spelled out, for messages."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)


def _short(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise ValueError(f"{len(text):,} characters long")
    if not text.strip():
        raise ValueError("empty")


def read_number(text: str, *, low: float | None, high: float | None, integer: bool) -> float:
    """The number in ``text``, a finite value in [``low``, ``high``] (whole if ``integer``).

    Negative zero is read as zero.
    """
    _short(text)
    try:
        value = float(text)
    except (ValueError, OverflowError):
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if low is not None and value < low:
        raise ValueError(f"below {low:g}" if high is None else f"outside {low:g} to {high:g}")
    if high is not None and value > high:
        raise ValueError(f"above {high:g}" if low is None else f"outside {low:g} to {high:g}")
    if integer and (value != round(value) or abs(value) > MAX_INTEGER):
        raise ValueError("not a whole number")
    return int(value) if integer else value + 0.0  # + 0.0 turns -0.0 into 0.0


def read_choice(text: str, labels: Sequence[str]) -> str:
    """``text`` itself, if it is one of ``labels`` (exactly as shown on the control)."""
    if text not in labels:
        raise ValueError("not one of " + ", ".join(repr(label) for label in labels))
    return text


def read_flag(text: str) -> bool:
    """``true`` or ``false``, in any case."""
    _short(text)
    if text.lower() not in ("true", "false"):
        raise ValueError("neither true nor false")
    return text.lower() == "true"


def check_table_size(table: pd.DataFrame, *, max_rows: int = MAX_TABLE_ROWS) -> None:
    """Raise ValueError if ``table`` has more than ``max_rows`` rows, or a number that is not 0
    and not between :data:`MIN_ABS` and :data:`MAX_ABS` in size."""
    if len(table) > max_rows:
        raise ValueError(f"{len(table):,} rows; at most {max_rows} fit a lecture page")
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            continue  # names; the analysis' own check reads numbers typed into text columns
        for row, number in enumerate(table[column].to_numpy(dtype=float), start=1):
            _check_size(number, row, column)


def _check_size(number: float, row: int, column: str) -> None:
    size = abs(number)
    if size > MAX_ABS or 0 < size < MIN_ABS:
        raise table_problem(
            f"row {row}, column {column!r}: {number:g}; numbers here are 0 or between "
            f"{MIN_ABS:g} and {MAX_ABS:g} in size",
            row=row,
            column=column,
            value=f"{number:g}",
            expected=f"0 or a size between {MIN_ABS:g} and {MAX_ABS:g}",
        )


def read_table(
    text: str,
    default: pd.DataFrame,
    *,
    max_chars: int = MAX_TABLE_CHARS,
    max_rows: int = MAX_TABLE_ROWS,
) -> pd.DataFrame:
    """The CSV table in ``text``, with the columns and column types of ``default``.

    Numeric columns must hold finite numbers (whole numbers for integer columns) of a size
    :func:`check_table_size` allows; the analysis' own checks (positive standard errors, successes ≤ trials, …) are the caller's.
    """
    if len(text) > max_chars:
        raise ValueError(f"{len(text):,} characters; a table in a link holds at most {max_chars:,}")
    if not text.strip():
        raise ValueError("empty")
    try:
        table = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (ValueError, csv.Error) as err:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise ValueError(f"not CSV text ({err})") from None
    expected = [str(c) for c in default.columns]
    if list(table.columns) != expected:
        found = ", ".join(excerpt(str(c), 20) for c in table.columns[:10])
        raise ValueError(f"its columns are {found}; expected {', '.join(expected)}")
    if len(table) > max_rows:
        raise ValueError(f"{len(table):,} rows; at most {max_rows} fit a lecture page")
    for column, dtype in default.dtypes.items():
        if not pd.api.types.is_numeric_dtype(dtype):
            table[column] = table[column].astype(str)
            continue
        numbers = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        for row, number in enumerate(numbers):
            cell = table[column].iloc[row]
            where = {"row": row + 1, "column": column, "value": excerpt(cell, 20)}
            if not np.isfinite(number):
                raise table_problem(
                    f"row {row + 1}, column {column!r}: {excerpt(cell, 20)!r} is not a number",
                    expected="a number",
                    **where,
                )
            _check_size(number, row + 1, column)
            if pd.api.types.is_integer_dtype(dtype) and number != round(number):
                raise table_problem(
                    f"row {row + 1}, column {column!r}: {number:g} is not a whole number",
                    expected="a whole number",
                    **where,
                )
        table[column] = numbers.astype(dtype)
    return table

"""Reading and checking grouped data brought by users: four shapes, every problem named.

Shapes (DESIGN.md, "Data shapes accepted from users")::

    counts     group, successes, trials   one row per group      → beta–binomial
    estimates  group, estimate, std_error one row per group      → normal–normal
    raw        group, value               one row per observation → group means, and NumPyro
    regression group, x, y                one row per observation → a line per group

A file is UTF-8 (with or without a byte-order mark) with a header row; commas, semicolons and
tabs are detected. Columns are recognized by common names (``y``/``n``, ``hits``/``at_bats``,
``se``/``sigma``, …) or chosen by hand with ``mapping``. Everything wrong with a file is collected
before anything is raised, so a user fixes all of it in one go: :class:`UploadError` (a
``ValueError``) carries one :class:`Problem` per finding, each naming the row (numbered as in a
spreadsheet, the header being row 1), the column, the value found and what was expected.

Nothing here imports Streamlit; the page shows ``UploadError.problems`` with ``st.error``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "MAX_GROUPS",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "MAX_UPLOAD_MB",
    "SHAPES",
    "Dataset",
    "Problem",
    "UploadError",
    "example",
    "header",
    "parse",
    "template",
]

# Limits. The upload size is enforced by the server (``server.maxUploadSize`` in
# .streamlit/config.toml, kept equal to this) and again here for pasted text and notebooks.
MAX_UPLOAD_MB = 10
MAX_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_GROUPS = 10_000
MAX_ROWS = 200_000
# Past this many findings the rest are counted, not listed: one bad column in a big file would
# otherwise give a message longer than the file.
MAX_PROBLEMS = 30

SHAPES = ("counts", "estimates", "raw", "regression")
ROLES = {
    "counts": ("group", "successes", "trials"),
    "estimates": ("group", "estimate", "std_error"),
    "raw": ("group", "value"),
    "regression": ("group", "x", "y"),
}
SHAPE_LABELS = {
    "counts": "counts: successes out of trials per group",
    "estimates": "estimates: an estimate and its standard error per group",
    "raw": "raw observations: one row per observation",
    "regression": "regression: a predictor x and an outcome y per observation",
}
# Names recognized for each role, compared after lower-casing and turning spaces, dots and dashes
# into underscores. ``y`` means successes next to ``n``, an estimate next to ``se``, else a value.
ALIASES = {
    "group": (
        "group",
        "groups",
        "group_name",
        "name",
        "school",
        "player",
        "team",
        "id",
        "label",
        "unit",
        "site",
        "study",
        "trial",
        "experiment",
        "season",
        "cluster",
        "county",
        "hospital",
        "clinic",
        "feed",
        "treatment",
        "arm",
        "condition",
        "category",
    ),
    "successes": (
        "successes",
        "success",
        "y",
        "hits",
        "h",
        "events",
        "made",
        "k",
        "x",
        "count",
        "positives",
        "deaths",
        "cases",
        "tumors",
        "wins",
    ),
    "trials": (
        "trials",
        "n",
        "at_bats",
        "atbats",
        "ab",
        "attempts",
        "total",
        "size",
        "tries",
        "exposed",
        "n_trials",
        "games",
    ),
    "estimate": (
        "estimate",
        "y",
        "yi",
        "est",
        "effect",
        "effect_size",
        "mean",
        "coef",
        "beta",
        "log_or",
        "log_rr",
        "diff",
    ),
    "std_error": (
        "std_error",
        "se",
        "sigma",
        "sei",
        "stderr",
        "std_err",
        "standard_error",
        "s_e",
        "sd",
        "sem",
    ),
    "value": (
        "value",
        "values",
        "y",
        "x",
        "observation",
        "measurement",
        "outcome",
        "response",
        "score",
        "result",
    ),
    # Regression: a predictor and an outcome per observation (radon: county, floor, log_radon).
    "x": (
        "x",
        "predictor",
        "covariate",
        "floor",
        "dose",
        "pretest",
        "prior_score",
        "log_uranium",
        "uranium",
    ),
    "y": ("y", "outcome", "response", "log_radon", "radon", "posttest"),
}
EXPECTED = {
    "group": "a group name",
    "successes": "a whole number of successes, 0 or more and at most the trials",
    "trials": "a whole number of trials, 1 or more",
    "estimate": "a finite number",
    "std_error": "a standard error: a finite number greater than 0",
    "value": "a finite number",
    "x": "a finite number (a 0/1 indicator is fine)",
    "y": "a finite number",
}
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "examples"
EXAMPLES = {
    "counts": "counts_baseball.csv",
    "estimates": "estimates_bcg.csv",
    "raw": "raw_chickwts.csv",
    "regression": "regression_radon_like.csv",
}

# Magic numbers of files that people upload by mistake, with what to tell them.
_BINARY_STARTS = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "a rich-text document"),
)
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file.

    ``row`` is the spreadsheet row (header = 1) or None for the whole file; ``column`` the
    column's name as written in the file, or None.
    """

    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        return self.message


class UploadError(ValueError):
    """A file that cannot be analysed; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], *, more: int = 0):
        self.problems = list(problems)
        self.more = more
        lines = [p.message for p in self.problems]
        if more:
            lines.append(f"… and {more} more problems of the same kinds.")
        super().__init__("\n".join(lines))


def table_problem(
    message: str, *, row=None, column=None, value=None, expected: str | None = None
) -> UploadError:
    """The error of a table with one problem at (``row``, ``column``): what a lecture page's
    editable table or a table in a link raises, shown like a file's problems."""
    shown = None if value is None else str(value)
    return UploadError([Problem(message, row=row, column=column, value=shown, expected=expected)])


@dataclass
class Dataset:
    """A checked dataset.

    Attributes
    ----------
    shape : {"counts", "estimates", "raw", "regression"}
    table : DataFrame
        The canonical columns of the shape (:data:`ROLES`), one row per group (counts,
        estimates) or per observation (raw, regression); ``group`` is text.
    columns : dict
        Role → the file's column it was read from.
    notes : list of str
        What was done that the user should know (ignored columns, merged duplicates, …).
    """

    shape: str
    table: pd.DataFrame
    columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_groups(self) -> int:
        return int(self.table["group"].nunique())


class _Problems:
    """Collects problems up to MAX_PROBLEMS and counts the rest."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def add(self, message: str, **where) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(message, **where))
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if self.items:
            raise UploadError(self.items, more=self.more)


def _shown(value: str, limit: int = 40) -> str:
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text)


# ------------------------------------------------------------------------------------------------
# Bytes → text → rows


def _decode(raw: bytes | str) -> str:
    if isinstance(raw, str):
        if len(raw.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            _too_big(len(raw.encode("utf-8", "surrogatepass")))
        text = raw.removeprefix("\ufeff")
    elif isinstance(raw, bytes | bytearray | memoryview):
        raw = bytes(raw)
        if len(raw) > MAX_BYTES:
            _too_big(len(raw))
        _refuse_binary(raw)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            byte = raw[err.start : err.start + 1].hex().upper()
            raise UploadError(
                [
                    Problem(
                        f"The file is not UTF-8: byte 0x{byte} in row {line} is not valid UTF-8 "
                        "(the file was probably saved as Windows-1252/Latin-1). Save it again "
                        "as “CSV UTF-8” (Excel: File › Save As › CSV UTF-8).",
                        row=line,
                        value=f"0x{byte}",
                        expected="UTF-8 text",
                    )
                ]
            ) from None
    else:
        raise UploadError(
            [Problem(f"Expected the bytes or text of a CSV file; got {type(raw).__name__}.")]
        )
    if "\x00" in text or _control_fraction(text) > 0.05:
        raise UploadError([_NOT_TEXT])
    if not text.strip():
        raise UploadError(
            [
                Problem(
                    "The file is empty. Expected a header row (e.g. group,successes,trials) and "
                    "one row per group.",
                    expected="a header row and data rows",
                )
            ]
        )
    return text


def _too_big(size: int) -> None:
    raise UploadError(
        [
            Problem(
                f"The file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_UPLOAD_MB} MB. "
                "Summarize raw observations per group, or split the file.",
                value=f"{size} bytes",
                expected=f"at most {MAX_UPLOAD_MB} MB",
            )
        ]
    )


def _refuse_binary(raw: bytes) -> None:
    for magic, kind in _BINARY_STARTS:
        if raw.startswith(magic):
            raise UploadError(
                [
                    Problem(
                        f"This is {kind}, not a CSV file. In a spreadsheet program use "
                        "File › Save As › CSV UTF-8, then upload the .csv file.",
                        expected="a CSV text file",
                    )
                ]
            )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadError(
            [
                Problem(
                    "The file is UTF-16 text. Save it again as “CSV UTF-8” and upload that.",
                    expected="UTF-8 text",
                )
            ]
        )
    if b"\x00" in raw[:65536] or _control_fraction(raw[:4096].decode("latin-1")) > 0.05:
        raise UploadError([_NOT_TEXT])


_NOT_TEXT = Problem(
    "The file holds binary data, not text: it is not a CSV file. Save the data as CSV (comma, "
    "semicolon or tab separated) and upload that.",
    expected="a CSV text file",
)


def _control_fraction(text: str) -> float:
    sample = text[:4096]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return bad / max(len(sample), 1)


def _detect_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the header into most columns and the rows consistently."""
    best, best_score = None, (0, 0)
    for delim in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delim))
        except csv.Error:
            continue
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _rows(text: str) -> tuple[list[tuple[int, list[str]]], str]:
    """Non-blank rows with their spreadsheet row numbers, and the delimiter."""
    sample = [line for line in text.splitlines()[:50] if line.strip()]
    delim = _detect_delimiter(sample)
    if delim is None:
        first = sample[0].strip()
        raise UploadError(
            [
                Problem(
                    f"Only one column was found (first row {_shown(first)}). Expected columns "
                    "separated by commas, semicolons or tabs, with a header row such as "
                    "group,successes,trials or group,estimate,std_error or group,value.",
                    row=1,
                    value=first,
                    expected="two or more columns",
                )
            ]
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    rows = []
    try:
        for cells in reader:
            if len(rows) > MAX_ROWS + 1:
                raise UploadError(
                    [
                        Problem(
                            f"The file has more than {MAX_ROWS:,} data rows; the limit is "
                            f"{MAX_ROWS:,}. Summarize raw observations per group (counts or "
                            "estimates) or analyse a subset.",
                            expected=f"at most {MAX_ROWS:,} rows",
                        )
                    ]
                )
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as err:
        raise UploadError(
            [Problem(f"Row {reader.line_num} cannot be read as CSV: {err}.", row=reader.line_num)]
        ) from None
    return rows, delim


def _normalized(name: str) -> str:
    return re.sub(r"[\s.\-/]+", "_", name.strip().lower()).strip("_")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _check_header(names: list[str], problems: _Problems) -> None:
    if any(_is_number(n) for n in names if n):
        problems.add(
            f"The first row ({', '.join(names[:4])}) holds numbers, not column names: the file "
            "has no header. Add a first row naming the columns, e.g. group,successes,trials.",
            row=1,
            value=", ".join(names),
            expected="column names",
        )
        return
    seen: dict[str, int] = {}
    for k, name in enumerate(names, start=1):
        if not name:
            problems.add(
                f"Column {k} has no name in the header (row 1). Name it, or delete the column.",
                row=1,
                column=f"column {k}",
                value="",
                expected="a column name",
            )
            continue
        key = _normalized(name)
        if key in seen:
            problems.add(
                f"The column name {_shown(name)} appears twice in the header (columns "
                f"{seen[key]} and {k}). Rename or delete one of them.",
                row=1,
                column=name,
                value=name,
                expected="unique column names",
            )
        else:
            seen[key] = k


# ------------------------------------------------------------------------------------------------
# Columns → shape


def _match(names: list[str], role: str, taken: set[str]) -> list[str]:
    return [n for n in names if n not in taken and _normalized(n) in ALIASES[role]]


def _regression_columns(names: list[str]) -> bool:
    """Whether the header has a predictor and, in another column, an outcome (``x`` and ``y``,
    ``floor`` and ``log_radon``): the regression shape. A file with a value column and no
    predictor stays raw."""
    predictors = _match(names, "x", set())
    return bool(predictors) and bool(_match(names, "y", set(predictors[:1])))


def _recognize(names: list[str], problems: _Problems, notes: list[str]) -> tuple[str, dict]:
    """Pick the shape and the column for each role from the header's names."""
    norm = {_normalized(n) for n in names}
    # Names that belong to one shape only decide it; y, x and mean are left to the roles below.
    shared = {"y", "x", "mean", "count"}
    if norm & (set(ALIASES["trials"]) | set(ALIASES["successes"])) - shared:
        shape = "counts"
    elif norm & (set(ALIASES["std_error"]) | set(ALIASES["estimate"])) - shared:
        shape = "estimates"
    elif _regression_columns(names):
        shape = "regression"
    elif norm & set(ALIASES["value"]) or "mean" in norm:
        shape = "raw"
    elif len(names) == 2:
        notes.append(
            f"The column {_shown(names[0])} was read as the group and "
            f"{_shown(names[1])} as the value of raw observations. If that is wrong, choose the "
            "columns by hand."
        )
        return "raw", {"group": names[0], "value": names[1]}
    else:
        problems.add(
            f"No known columns among {', '.join(_shown(n) for n in names)}. Expected one of "
            "four shapes: group, successes, trials (counts); group, estimate, std_error "
            "(estimates); group, value (raw observations); group, x, y (regression). Rename "
            "the columns or choose them by hand.",
            row=1,
            value=", ".join(names),
            expected="group and successes/trials, estimate/std_error or value",
        )
        return "", {}
    columns: dict[str, str] = {}
    # Numbers first: ``y`` next to ``n`` is successes, so the group must not claim it.
    for role in (*ROLES[shape][1:], "group"):
        found = _match(names, role, set(columns.values()))
        if len(found) > 1 and role != "group":
            problems.add(
                f"Both {' and '.join(_shown(f) for f in found)} could be the {role} column. "
                "Keep one, rename the other, or choose the columns by hand.",
                row=1,
                column=found[1],
                value=", ".join(found),
                expected=f"one {role} column",
            )
        if found:
            columns[role] = found[0]
    if "group" not in columns:
        text_like = [n for n in names if n not in columns.values()]
        if len(text_like) == 1 or (text_like and len(names) == len(ROLES[shape])):
            columns["group"] = text_like[0]
            notes.append(f"The column {_shown(text_like[0])} was read as the group names.")
    for role in ROLES[shape]:
        if role not in columns:
            aliases = ", ".join(ALIASES[role][:5])
            problems.add(
                f"The {shape} shape needs a {role} column and none was found (looked for "
                f"{aliases}, …; the file has {', '.join(_shown(n) for n in names)}). Add or "
                "rename it, or choose the columns by hand.",
                row=1,
                column=role,
                value=", ".join(names),
                expected=f"a column named like {aliases}",
            )
    return shape, columns


def _from_mapping(
    names: list[str], mapping: Mapping[str, str], problems: _Problems
) -> tuple[str, dict]:
    roles = set(mapping)
    shapes = [s for s in SHAPES if roles <= set(ROLES[s]) and roles - {"group"}]
    if not shapes:
        problems.add(
            f"The column choice {dict(mapping)} does not fit a shape; expected the roles of "
            "one shape: group, successes, trials; group, estimate, std_error; group, value; or "
            "group, x, y.",
            value=str(dict(mapping)),
            expected="the roles of one shape",
        )
        return "", {}
    shape = shapes[0]
    columns = {}
    for role in ROLES[shape]:
        name = mapping.get(role)
        if name is None:
            problems.add(
                f"No column was chosen for {role}.", column=role, expected="a column of the file"
            )
        elif name not in names:
            problems.add(
                f"The column {_shown(str(name))} chosen for {role} is not in the file; it has "
                f"{', '.join(_shown(n) for n in names)}.",
                column=str(name),
                value=str(name),
                expected="a column of the file",
            )
        else:
            columns[role] = name
    chosen = list(columns.values())
    for name in {n for n in chosen if chosen.count(n) > 1}:
        problems.add(
            f"The column {_shown(name)} was chosen for more than one role.",
            column=name,
            value=name,
            expected="a different column for each role",
        )
    return shape, columns


# ------------------------------------------------------------------------------------------------
# Values


def _number(text: str, decimal_comma: bool) -> float | None:
    if decimal_comma and _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _read_values(
    rows: list[tuple[int, list[str]]],
    shape: str,
    columns: dict[str, str],
    names: list[str],
    decimal_comma: bool,
    problems: _Problems,
) -> pd.DataFrame:
    index = {role: names.index(col) for role, col in columns.items()}
    width = len(names)
    out: dict[str, list] = {role: [] for role in ROLES[shape]}
    out["row"] = []
    seen_groups: dict[str, int] = {}
    for line, cells in rows:
        if len(cells) != width:
            problems.add(
                f"Row {line} has {len(cells)} fields but the header has {width}. Check for a "
                "missing or extra separator (or a comma inside an unquoted name).",
                row=line,
                value=str(len(cells)),
                expected=f"{width} fields",
            )
            continue
        ok = True
        values: dict[str, object] = {}
        for role in ROLES[shape]:
            col = columns[role]
            cell = cells[index[role]]
            where = {"row": line, "column": col, "value": cell, "expected": EXPECTED[role]}
            if role == "group":
                if not cell:
                    problems.add(
                        f"Row {line}, column {_shown(col)}: the group name is empty; "
                        "expected a group name.",
                        **where,
                    )
                    ok = False
                values[role] = cell
                continue
            if not cell:
                problems.add(
                    f"Row {line}, column {_shown(col)}: the value is missing; expected "
                    f"{EXPECTED[role]}.",
                    **where,
                )
                ok = False
                continue
            x = _number(cell, decimal_comma)
            if x is None:
                problems.add(
                    f"Row {line}, column {_shown(col)}: {_shown(cell)} is not a number; expected "
                    f"{EXPECTED[role]}.",
                    **where,
                )
                ok = False
            elif not math.isfinite(x):
                problems.add(
                    f"Row {line}, column {_shown(col)}: {_shown(cell)} is not a finite number; "
                    f"expected {EXPECTED[role]}.",
                    **where,
                )
                ok = False
            else:
                values[role] = x
        if shape in ("raw", "regression") and values.get("group"):
            seen_groups.setdefault(values["group"], line)
        if ok:
            _check_row(shape, line, values, columns, problems)
            for role in ROLES[shape]:
                out[role].append(values[role])
            out["row"].append(line)
    for name in sorted(set(seen_groups) - set(out["group"]), key=seen_groups.__getitem__):
        problems.add(
            f"Group {_shown(name)} (first in row {seen_groups[name]}) has no observations: "
            "every one of its values is missing. Fill them in or delete its rows.",
            row=seen_groups[name],
            column=columns["group"],
            value=name,
            expected="at least one observation per group",
        )
    return pd.DataFrame(out)


def _check_row(shape: str, line: int, values: dict, columns: dict, problems: _Problems) -> None:
    def add(role: str, message: str) -> None:
        col = columns[role]
        shown = f"{values[role]:g}" if isinstance(values[role], float) else str(values[role])
        problems.add(
            f"Row {line}, column {_shown(col)}: {shown} {message}",
            row=line,
            column=col,
            value=shown,
            expected=EXPECTED[role],
        )

    if shape == "counts":
        y, n = values["successes"], values["trials"]
        for role in ("successes", "trials"):
            if values[role] != round(values[role]):
                add(role, "is not a whole number; counts must be whole numbers.")
        if n < 0:
            add("trials", "is negative; expected a whole number of trials, 1 or more.")
        elif n == 0:
            add(
                "trials",
                f"trials: group {_shown(values['group'])} has no observations. Remove the row "
                "or give its trials (1 or more).",
            )
        if y < 0:
            add("successes", "is negative; successes must be 0 or more.")
        elif n >= 0 and y > n:
            add("successes", f"successes is more than the {n:g} trials; expected at most {n:g}.")
    elif shape == "estimates" and values["std_error"] <= 0:
        add("std_error", "is not a standard error; expected a number greater than 0.")


def _merge_duplicates(table: pd.DataFrame, shape: str, notes: list[str]) -> pd.DataFrame:
    counts = table["group"].value_counts()
    repeated = counts[counts > 1]
    if repeated.empty or shape in ("raw", "regression"):
        return table
    names = ", ".join(_shown(str(n)) for n in repeated.index[:5])
    more = f" and {repeated.size - 5} more" if repeated.size > 5 else ""
    if shape == "counts":
        notes.append(
            f"Duplicate group names: {names}{more} appear in more than one row; their successes "
            "and trials were added up into one group each."
        )
        merged = table.groupby("group", sort=False, as_index=False).agg(
            successes=("successes", "sum"), trials=("trials", "sum"), row=("row", "first")
        )
        return merged
    notes.append(
        f"Duplicate group names: {names}{more} appear in more than one row; each repeat was kept "
        "as its own group, renamed with its row number, e.g. “name (row 7)”."
    )
    first = ~table["group"].duplicated(keep="first")
    table = table.copy()
    table.loc[~first, "group"] = [
        f"{g} (row {r})"
        for g, r in zip(table.loc[~first, "group"], table.loc[~first, "row"], strict=True)
    ]
    return table


def _check_groups(table: pd.DataFrame, shape: str, problems: _Problems) -> None:
    n_groups = table["group"].nunique()
    if n_groups > MAX_GROUPS:
        problems.add(
            f"The file has {n_groups:,} groups; the limit is {MAX_GROUPS:,}. Combine small "
            "groups or analyse a subset.",
            value=str(n_groups),
            expected=f"at most {MAX_GROUPS:,} groups",
        )
    elif n_groups < 2:
        found = f"only {_shown(str(table['group'].iloc[0]))}" if n_groups else "none"
        problems.add(
            f"Pooling needs at least two groups; the file has {n_groups} ({found}). Add "
            "groups, or check that the group column is the right one.",
            column="group",
            value=str(n_groups),
            expected="2 or more groups",
        )
    if shape == "regression":
        _check_regression(table, problems)
    if shape == "raw" and n_groups >= 2 and table.groupby("group").size().max() < 2:
        problems.add(
            "Every group has a single observation, so the spread within groups cannot be "
            "estimated. Add observations, or give each group's estimate and standard error "
            "(estimates shape).",
            column="value",
            expected="at least one group with 2 or more observations",
        )


def _check_regression(table: pd.DataFrame, problems: _Problems) -> None:
    """A slope needs two different x values; σ within groups needs a group with two rows."""
    x = table["x"].to_numpy(float)
    if x.size and np.ptp(x) == 0:
        problems.add(
            f"The column x holds the same value, {x[0]:g}, in every row, so no slope can be "
            "estimated. Choose a predictor that varies, or use the raw shape (group, value).",
            column="x",
            value=f"{x[0]:g}",
            expected="at least two different x values",
        )
    if table["group"].nunique() >= 2 and table.groupby("group").size().max() < 2:
        problems.add(
            "Every group has a single observation, so the spread within groups cannot be told "
            "from the spread between them. Add observations to some groups.",
            column="y",
            expected="at least one group with 2 or more observations",
        )


def _regression_notes(table: pd.DataFrame, notes: list[str]) -> None:
    x = table["x"].to_numpy(float)
    if set(np.unique(x)) <= {0.0, 1.0}:
        notes.append(
            "x takes only the values 0 and 1: each group's slope is the difference between "
            "its x = 1 and x = 0 observations, and its intercept the mean at x = 0."
        )
    counts = table.groupby("group").size()
    single = int((counts == 1).sum())
    if single:
        notes.append(
            f"{single} of {counts.size} groups have a single observation: under no pooling "
            "their lines rest on that one point and the prior; partial pooling borrows strength."
        )


# ------------------------------------------------------------------------------------------------
# Public API


def header(raw: bytes | str) -> list[str]:
    """The column names of a file's header row, for choosing columns by hand.

    Raises
    ------
    UploadError
        If the file cannot be read as CSV text at all.
    """
    rows, _ = _rows(_decode(raw))
    return rows[0][1]


def parse(
    raw: bytes | str, mapping: Mapping[str, str] | None = None, *, shape: str | None = None
) -> Dataset:
    """Read and check a CSV file of grouped data.

    Parameters
    ----------
    raw : bytes or str
        The file's bytes (UTF-8, with or without a BOM) or pasted text.
    mapping : dict, optional
        Role → column name, chosen by hand, e.g. ``{"group": "player", "successes": "H",
        "trials": "AB"}``; the roles decide the shape. Without it columns are recognized by name.
    shape : {"counts", "estimates", "raw", "regression"}, optional
        Insist on a shape; a file that does not have its columns is refused.

    Returns
    -------
    Dataset

    Raises
    ------
    UploadError
        Listing every problem found, each with its row, column, value and what was expected.
    """
    if shape is not None and shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}; got {shape!r}")
    text = _decode(raw)
    rows, delim = _rows(text)
    problems = _Problems()
    notes: list[str] = []
    names = rows[0][1]
    _check_header(names, problems)
    problems.raise_if_any()
    if mapping:
        found_shape, columns = _from_mapping(names, mapping, problems)
    else:
        found_shape, columns = _recognize(names, problems, notes)
    if shape is not None and found_shape and found_shape != shape:
        problems.add(
            f"The columns found ({', '.join(columns.values())}) are those of the "
            f"{found_shape} shape, not of {shape}.",
            expected=f"the columns of the {shape} shape: {', '.join(ROLES[shape])}",
        )
    problems.raise_if_any()
    body = rows[1:]
    if not body:
        raise UploadError(
            [
                Problem(
                    "The file has a header but no data rows. Add one row per group "
                    "(or per observation, for raw data).",
                    row=2,
                    expected="data rows below the header",
                )
            ]
        )
    decimal_comma = delim == ";"
    table = _read_values(body, found_shape, columns, names, decimal_comma, problems)
    if not problems.items:
        _check_groups(table, found_shape, problems)
    problems.raise_if_any()
    ignored = [n for n in names if n and n not in columns.values()]
    if ignored:
        notes.append(f"Columns not used: {', '.join(_shown(n) for n in ignored)}.")
    if decimal_comma and any("," in c for _, cells in body for c in cells):
        notes.append("Semicolon-separated with decimal commas: 1,5 was read as 1.5.")
    table = _merge_duplicates(table, found_shape, notes)
    if found_shape == "regression":
        _regression_notes(table, notes)
    table["group"] = table["group"].astype(str)
    if found_shape == "counts":
        for role in ("successes", "trials"):
            table[role] = table[role].astype(np.int64)
    return Dataset(
        shape=found_shape,
        table=table[list(ROLES[found_shape])].reset_index(drop=True),
        columns=columns,
        notes=notes,
    )


def template(shape: str) -> str:
    """A CSV template of one shape: its header and three example rows."""
    rows = {
        "counts": [("A", 12, 40), ("B", 7, 35), ("C", 20, 44)],
        "estimates": [("A", 28.0, 15.0), ("B", 8.0, 10.0), ("C", -3.0, 16.0)],
        "raw": [("A", 10.0), ("A", 12.0), ("B", 9.0), ("B", 11.0), ("C", 8.0)],
        "regression": [
            ("A", 1.0, 2.1),
            ("A", 2.0, 2.9),
            ("B", 1.5, 1.8),
            ("B", 3.0, 3.2),
            ("C", 2.5, 2.4),
            ("C", 0.5, 1.1),
        ],
    }
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}; got {shape!r}")
    lines = [",".join(ROLES[shape])] + [",".join(str(v) for v in row) for row in rows[shape]]
    return "\n".join(lines) + "\n"


def example(shape: str) -> bytes:
    """The bytes of the bundled example file of one shape (see data/examples/README.md)."""
    if shape not in EXAMPLES:
        raise ValueError(f"shape must be one of {SHAPES}; got {shape!r}")
    return (EXAMPLES_DIR / EXAMPLES[shape]).read_bytes()


def simulated(shape: str, *, groups: int = MAX_GROUPS, seed: int = 0) -> Dataset:
    """A large synthetic dataset of one shape, for trying the page at the group limit.

    Counts: θ_j ~ Beta(4, 16), n_j ~ 5 + Poisson(40). Estimates: θ_j ~ N(5, 3²), σ_j ~ U(2, 12).
    Raw: θ_j ~ N(50, 5²), 2 + Poisson(3) observations per group with sd 10.
    """
    rng = np.random.default_rng(seed)
    names = [f"g{j:05d}" for j in range(groups)]
    if shape == "counts":
        n = 5 + rng.poisson(40, groups)
        table = pd.DataFrame(
            {"group": names, "successes": rng.binomial(n, rng.beta(4, 16, groups)), "trials": n}
        )
    elif shape == "estimates":
        sigma = rng.uniform(2, 12, groups)
        y = rng.normal(5, 3, groups) + sigma * rng.standard_normal(groups)
        table = pd.DataFrame({"group": names, "estimate": y, "std_error": sigma})
    elif shape == "raw":
        sizes = 2 + rng.poisson(3, groups)
        theta = rng.normal(50, 5, groups)
        idx = np.repeat(np.arange(groups), sizes)
        table = pd.DataFrame(
            {
                "group": np.array(names)[idx],
                "value": theta[idx] + 10 * rng.standard_normal(idx.size),
            }
        )
    else:
        raise ValueError(f"shape must be one of {SHAPES}; got {shape!r}")
    return Dataset(shape=shape, table=table, columns={r: r for r in ROLES[shape]})

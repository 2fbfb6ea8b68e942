"""Tables as CSV for download, safe to open in a spreadsheet."""

from __future__ import annotations

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

import io

import pandas as pd

from hbviz import export


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

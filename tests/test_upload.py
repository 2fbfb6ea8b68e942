"""hbviz.upload: the three shapes read from CSV/TSV/semicolon text, a corpus of malformed files
each with its message, and a property test that any bytes give a dataset or an UploadError."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbviz import upload, your_data

CORPUS = Path(__file__).resolve().parent / "upload_corpus"
ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------------------------
# Good files, one fixture per shape


@pytest.fixture(params=upload.SHAPES)
def example(request):
    return request.param, upload.parse(upload.example(request.param))


def test_bundled_examples_parse_to_their_shape(example):
    shape, data = example
    assert data.shape == shape
    assert list(data.table.columns) == list(upload.ROLES[shape])
    assert data.n_groups >= 6


def test_examples_hold_the_published_values():
    baseball = upload.parse(upload.example("counts")).table
    assert baseball.loc[0].tolist() == ["Clemente", 18, 45]
    assert (baseball["trials"] == 45).all() and len(baseball) == 18
    bcg = upload.parse(upload.example("estimates")).table
    assert bcg.loc[0, "group"] == "Aronson 1948"
    assert bcg.loc[0, "estimate"] == pytest.approx(np.log(4 / 123) - np.log(11 / 139), abs=1e-4)
    chicks = upload.parse(upload.example("raw")).table
    assert len(chicks) == 71
    assert chicks.groupby("group")["value"].mean()["horsebean"] == pytest.approx(160.2)


@pytest.mark.parametrize("shape", upload.SHAPES)
def test_templates_parse(shape):
    data = upload.parse(upload.template(shape))
    assert data.shape == shape and not data.notes


@pytest.mark.parametrize(
    ("text", "shape", "columns"),
    [
        ("school,y,sigma\nA,28,15\nB,8,10\n", "estimates", {"estimate": "y", "group": "school"}),
        ("name,y,n\nA,3,10\nB,4,12\n", "counts", {"successes": "y", "trials": "n"}),
        ("Player,Hits,At Bats\nA,3,10\nB,4,12\n", "counts", {"trials": "At Bats"}),
        ("study,yi,sei\nA,0.1,0.2\nB,0.3,0.1\n", "estimates", {"std_error": "sei"}),
        ("group,value\nA,1\nA,2\nB,3\n", "raw", {"value": "value"}),
        ("site,y\nA,1\nA,2\nB,3\n", "raw", {"value": "y", "group": "site"}),
    ],
)
def test_columns_recognized_by_common_names(text, shape, columns):
    data = upload.parse(text)
    assert data.shape == shape
    assert columns.items() <= data.columns.items()


@pytest.mark.parametrize(
    "raw",
    [
        b"group;successes;trials\r\nA;3;10\r\nB;4;12\r\n",
        b"group\tsuccesses\ttrials\nA\t3\t10\nB\t4\t12\n",
        b"\xef\xbb\xbfgroup,successes,trials\nA,3,10\nB,4,12\n",
        "group,successes,trials\nA,3,10\n\nB,4,12\n",
        b'"group","successes","trials"\n"A",3,10\n"B",4,12\n',
    ],
    ids=["semicolon-crlf", "tab", "bom", "pasted-str-blank-line", "quoted"],
)
def test_delimiters_bom_and_pasted_text(raw):
    data = upload.parse(raw)
    assert data.table.to_dict("list") == {
        "group": ["A", "B"],
        "successes": [3, 4],
        "trials": [10, 12],
    }


def test_semicolon_files_with_decimal_commas():
    data = upload.parse("group;estimate;se\nA;1,5;0,5\nB;-2,25;1\n")
    assert data.table["estimate"].tolist() == [1.5, -2.25]
    assert any("decimal commas" in note for note in data.notes)


def test_mapping_by_hand_overrides_recognition():
    text = "club,good,tried,other\nA,3,10,1\nB,4,12,2\n"
    with pytest.raises(upload.UploadError):
        upload.parse(text)
    data = upload.parse(text, {"group": "club", "successes": "good", "trials": "tried"})
    assert data.shape == "counts" and data.table["trials"].tolist() == [10, 12]
    assert any("'other'" in note for note in data.notes)  # ignored columns are named
    # the same file read as estimates, by hand
    est = upload.parse(text, {"group": "club", "estimate": "good", "std_error": "tried"})
    assert est.shape == "estimates"


def test_mapping_problems_are_named():
    with pytest.raises(upload.UploadError, match="'nope' chosen for trials is not in the file"):
        upload.parse("g,a,b\nA,1,2\nB,1,2\n", {"group": "g", "successes": "a", "trials": "nope"})
    with pytest.raises(upload.UploadError, match="chosen for more than one role"):
        upload.parse("g,a,b\nA,1,2\nB,1,2\n", {"group": "g", "successes": "a", "trials": "a"})


def test_group_names_are_kept_as_text():
    data = upload.parse("group,estimate,se\n=1+1,1,1\n<b>x</b>,2,1\n007,3,1\n")
    assert data.table["group"].tolist() == ["=1+1", "<b>x</b>", "007"]


def test_upload_limit_matches_server_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == upload.MAX_UPLOAD_MB


def test_file_over_the_upload_limit():
    raw = b"group,value\n" + b"A,1\n" * (upload.MAX_BYTES // 4)
    with pytest.raises(upload.UploadError, match=r"the limit is 10 MB") as err:
        upload.parse(raw)
    assert err.value.problems[0].expected == "at most 10 MB"


# ------------------------------------------------------------------------------------------------
# The corpus: one malformed file per problem, each with the message it must give


CORPUS_MESSAGES = {
    "empty.csv": "The file is empty",
    "blank_lines_only.csv": "The file is empty",
    "no_header.csv": "has no header",
    "one_column.csv": "Only one column was found",
    "spreadsheet.xlsx.csv": "This is an Excel workbook (.xlsx)",
    "old_excel.xls.csv": "old Excel workbook (.xls)",
    "document.pdf.csv": "This is a PDF document",
    "binary.csv": "binary data, not text",
    "latin1.csv": "byte 0xFC in row 2 is not valid UTF-8",
    "utf16.csv": "The file is UTF-16 text",
    "missing_trials_column.csv": "The counts shape needs a trials column",
    "missing_std_error_column.csv": "The estimates shape needs a std_error column",
    "missing_group_column.csv": "needs a group column",
    "unknown_columns.csv": "No known columns among 'foo', 'bar', 'baz'",
    "duplicated_column.csv": "The column name 'n' appears twice in the header (columns 3 and 4)",
    "ambiguous_columns.csv": "Both 'hits' and 'successes' could be the successes column",
    "unnamed_column.csv": "Column 2 has no name in the header",
    "header_only.csv": "has a header but no data rows",
    "wrong_field_count.csv": "Row 3 has 4 fields but the header has 3",
    "non_numeric.csv": "Row 2, column 'successes': 'three' is not a number",
    "missing_value.csv": "Row 2, column 'std_error': the value is missing",
    "infinite_value.csv": "Row 2, column 'estimate': 'inf' is not a finite number",
    "nan_value.csv": "Row 3, column 'value': 'NaN' is not a finite number",
    "negative_trials.csv": "Row 2, column 'trials': -5 is negative",
    "successes_over_trials.csv": "Row 2, column 'successes': 13 successes is more than the 12",
    "non_integer_counts.csv": "Row 2, column 'successes': 2.5 is not a whole number",
    "zero_std_error.csv": "Row 2, column 'std_error': 0 is not a standard error",
    "negative_std_error.csv": "Row 2, column 'std_error': -2 is not a standard error",
    "one_group.csv": "Pooling needs at least two groups; the file has 1 (only 'A')",
    "zero_trials.csv": "group 'A' has no observations",
    "raw_group_without_values.csv": "Group 'B' (first in row 4) has no observations",
    "raw_single_observations.csv": "Every group has a single observation",
    "empty_group_name.csv": "Row 2, column 'group': the group name is empty",
    "too_many_groups.csv": "The file has 12 groups; the limit is 10",
    "too_many_rows.csv": "more than 15 data rows; the limit is 15",
}
CORPUS_NOTES = {
    "duplicate_groups_counts.csv": "their successes and trials were added up",
    "duplicate_groups_estimates.csv": "renamed with its row number",
}


def test_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir()}
    assert files == set(CORPUS_MESSAGES) | set(CORPUS_NOTES) | {"several_problems.csv"}
    assert len(CORPUS_MESSAGES) >= 25


@pytest.mark.parametrize("name", sorted(CORPUS_MESSAGES))
def test_corpus_file_gives_its_message(name, monkeypatch):
    # The limits are lowered so that the files over them stay small.
    monkeypatch.setattr(upload, "MAX_GROUPS", 10)
    monkeypatch.setattr(upload, "MAX_ROWS", 15)
    with pytest.raises(upload.UploadError) as err:
        upload.parse((CORPUS / name).read_bytes())
    assert isinstance(err.value, ValueError)
    assert CORPUS_MESSAGES[name] in str(err.value), str(err.value)
    assert err.value.problems


@pytest.mark.parametrize("name", sorted(CORPUS_NOTES))
def test_duplicate_group_names_say_what_was_done(name):
    data = upload.parse((CORPUS / name).read_bytes())
    assert any(CORPUS_NOTES[name] in note for note in data.notes), data.notes
    if data.shape == "counts":
        assert data.table.set_index("group").loc["A"].tolist() == [5, 18]
    else:
        assert data.table["group"].tolist() == ["A", "B", "A (row 4)"]


def test_value_problems_name_row_column_value_and_expectation():
    with pytest.raises(upload.UploadError) as err:
        upload.parse((CORPUS / "several_problems.csv").read_bytes())
    problems = err.value.problems
    assert len(problems) >= 4  # listed together, not one per upload
    first = problems[0]
    assert (first.row, first.column, first.value) == (2, "successes", "x")
    assert "whole number" in first.expected
    assert {p.row for p in problems} == {2, 3, 4}


def test_many_problems_are_counted_past_the_cap():
    text = "group,estimate,se\n" + "".join(f"g{j},x,1\n" for j in range(100))
    with pytest.raises(upload.UploadError) as err:
        upload.parse(text)
    assert len(err.value.problems) == upload.MAX_PROBLEMS
    assert err.value.more == 100 - upload.MAX_PROBLEMS
    assert "70 more problems" in str(err.value)


# ------------------------------------------------------------------------------------------------
# Property: any bytes give a Dataset or an UploadError, never another exception


def _check_any(raw):
    try:
        data = upload.parse(raw)
    except upload.UploadError as err:
        assert err.problems and all(str(p) for p in err.problems)
        return
    assert data.shape in upload.SHAPES
    assert data.n_groups >= 2
    assert list(data.table.columns) == list(upload.ROLES[data.shape])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_give_a_dataset_or_an_upload_error(raw):
    _check_any(raw)


_cell = st.one_of(
    st.sampled_from(["", "A", "B", "x", "1", "0", "-3", "2.5", "1e400", "nan", "inf", '"q,"']),
    st.integers(-5, 50).map(str),
    st.text(alphabet='ab,;\t"=<>\n', max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "group,successes,trials",
            "group;estimate;se",
            "group\tvalue",
            "name,y,n",
            "a,b",
            "group,y",
        ]
    ),
    st.lists(st.lists(_cell, min_size=1, max_size=4), max_size=8),
    st.sampled_from([",", ";", "\t"]),
)
def test_any_csv_like_text_gives_a_dataset_or_an_upload_error(head, rows, delim):
    text = head + "\n" + "\n".join(delim.join(r) for r in rows)
    _check_any(text)
    _check_any(text.encode("utf-8"))


# ------------------------------------------------------------------------------------------------
# The analyses' inputs


def test_raw_groups_with_one_observation_use_the_pooled_sd():
    table = pd.DataFrame({"group": ["A", "A", "A", "B", "B", "C"], "value": [1, 2, 3, 5, 7, 4.0]})
    est = your_data.raw_group_estimates(table, within_sd="per_group")
    pooled = np.sqrt((2 * 1.0 + 1 * 2.0) / 3)  # s_A² = 1 with 2 dof, s_B² = 2 with 1 dof
    assert est.attrs["pooled_sd"] == pytest.approx(pooled)
    assert est.loc["A", "std_error"] == pytest.approx(1 / np.sqrt(3))
    assert est.loc["C", "std_error"] == pytest.approx(pooled)
    assert est["sd_source"].tolist() == ["own", "own", "pooled"]
    every = your_data.raw_group_estimates(table)  # the default: one pooled σ
    assert every.loc["B", "std_error"] == pytest.approx(pooled / np.sqrt(2))
    assert every["sd_source"].tolist() == ["pooled"] * 3
    known = your_data.raw_group_estimates(table, within_sd=2.0)
    assert known.loc["A", "std_error"] == pytest.approx(2 / np.sqrt(3))
    with pytest.raises(ValueError, match="within_sd"):
        your_data.raw_group_estimates(table, within_sd=-1.0)


def test_simulated_large_data_is_at_the_group_limit():
    data = upload.simulated("counts")
    assert data.n_groups == upload.MAX_GROUPS
    assert your_data.draws_for(data.n_groups) == your_data.MIN_DRAWS
    assert your_data.draws_for(8) == your_data.MAX_DRAWS

"""The lecture pages' table checks and link tables report problems as uploads do."""

import pandas as pd
import pytest

from hbviz import links, table_checks, upload


def _problem(call) -> upload.Problem:
    with pytest.raises(upload.UploadError) as info:
        call()
    (problem,) = info.value.problems
    assert str(info.value) == problem.message
    return problem


def test_count_table_problem_names_row_column_value_and_expected():
    table = pd.DataFrame({"group": ["a", "b"], "successes": [1, 5], "trials": [2, 4]})
    problem = _problem(lambda: table_checks.check_count_table(table))
    assert (problem.row, problem.column, problem.value) == (2, "successes", "5")
    assert problem.expected == "at most trials (4)"


def test_estimates_problem_names_row_column_value_and_expected():
    table = pd.DataFrame({"school": ["A", "B"], "y": [1.0, 2.0], "sigma": [1.0, -3.0]})
    problem = _problem(lambda: table_checks.check_estimates(table))
    assert (problem.row, problem.column, problem.value) == (2, "sigma", "-3.0")
    assert problem.expected == "a number greater than 0"
    blank = table.assign(school=["A", " "])
    assert _problem(lambda: table_checks.check_estimates(blank)).expected == "a name"


def test_link_table_problem_names_row_column_value_and_expected():
    default = pd.DataFrame({"school": ["A"], "y": [1.0]})
    problem = _problem(lambda: links.read_table("school,y\nA,1\nB,x\n", default))
    assert (problem.row, problem.column, problem.value) == (2, "y", "x")
    assert problem.expected == "a number"

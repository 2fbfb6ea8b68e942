"""Every value a link holds is checked: garbage, truncated, huge or empty values of every bound query
parameter of every page fall back to the lecture's value with a note naming the parameter, and
nothing a link holds raises.

The parameters are found in the pages themselves: every widget whose proto carries a
``query_param_key`` (Streamlit's bind="query-params") and every table editor of
``_ui.editable_data``, read from a run of the page with a clean link. A new control is covered
without editing this file. Runs keep Streamlit's caches between pages' runs (nothing here checks a
number that a cache could make stale), so each page's fits are computed once.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hbviz import datasets, links
from pages import _ui
from tests.conftest import ROOT

PAGES = ["home", "levels_of_pooling", "free_throws", "drug_trial", "eight_schools", "your_data"]
PAGES += ["simulation_lab"]
# your_data.py is being rewritten on another branch; it adopts the checked sidebar at the merge.
# Levels of pooling always fits NUTS; a bad chains, warm-up or draws value falls back to the
# lecture's 2 chains × (500 + 1000), so that fit runs once here (Streamlit caches it for every
# later run).

BAD = {
    "garbage": "garbage",
    "empty": "",
    "truncated": "1e",
    "huge": "1e308",
    "huger": "1" + "0" * 400,
    # longer than any reader takes, yet a dozen of them stay under Streamlit's own limit on a
    # query string (a megabyte: see the test below)
    "long": "9" * 25_000,
    "nan": "nan",
    "inf": "-inf",
    "unicode": "θ≥😀\u202e\u0000",
    "html": "<script>alert(1)</script>",
    "percent": "%zz%E2%8",
    "repeated": ["garbage", "garbage"],
}


def walk(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from walk(child)


def bound_controls(at) -> dict[str, object]:
    """Every widget bound to a query parameter, by parameter."""
    found = {}
    for node in walk(at._tree):
        key = getattr(getattr(node, "proto", None), "query_param_key", "")
        if key:
            found[key] = node
    return found


def table_editors(at) -> dict[str, pd.DataFrame]:
    """The tables of ``_ui.editable_data`` (kept in the URL by hand), by parameter, as shown."""
    found = {}
    for node in walk(at._tree):
        if getattr(node, "type", None) != "dataframe":
            continue
        widget_id = node.proto.id
        if widget_id.endswith(_ui.TABLE_EDITOR_SUFFIX):
            key = widget_id.split("-", 2)[2].removesuffix(_ui.TABLE_EDITOR_SUFFIX)
            found[key] = node.value
    return found


def shown(at) -> dict[str, object]:
    values = {key: control.value for key, control in bound_controls(at).items()}
    return values | table_editors(at)


def run(page: str, query: dict[str, object]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page(f"pages/{page}.py")
    return at.run()


@pytest.fixture(scope="module")
def lecture():
    """Each page opened with a clean link: its bound parameters and the values they show."""
    cache: dict[str, dict[str, object]] = {}

    def get(page: str) -> dict[str, object]:
        if page not in cache:
            at = run(page, {})
            assert not at.exception, at.exception
            assert not at.warning or page == "levels_of_pooling", [w.value for w in at.warning]
            cache[page] = shown(at)
        return cache[page]

    return get


def named(at, key: str) -> bool:
    return any(f"**{_ui.plain(key)}**" in w.value for w in at.warning)


def assert_lecture_values(at, lecture_values: dict[str, object], keys) -> None:
    now = shown(at)
    for key in keys:
        expected, found = lecture_values[key], now.get(key)
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(found, expected, obj=f"table {key!r}")
        else:
            assert found == expected, f"{key}: shows {found!r}, the lecture's is {expected!r}"


def test_every_page_binds_some_parameter(lecture):
    """The discovery below finds controls (so an empty list cannot pass every other test)."""
    assert {"step", "current_y", "current_n"} <= set(lecture("drug_trial"))
    assert {"data", "tau", "tau_prior", "nuts_draws", "step"} <= set(lecture("eight_schools"))
    assert {"seasons", "this_season", "prior_alpha"} <= set(lecture("free_throws"))
    assert {"data", "seed", "warmup", "draws", "chains"} <= set(lecture("levels_of_pooling"))


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("page", PAGES)
def test_a_bad_value_of_every_parameter_falls_back_with_a_note(lecture, page, kind):
    params = lecture(page)
    # every parameter at once: one run per page and kind keeps this quick
    at = run(page, dict.fromkeys(params, BAD[kind]))
    assert not at.exception, at.exception[0].value
    missing = [key for key in params if not named(at, key)]
    assert not missing, f"no note names {missing}"
    assert_lecture_values(at, params, params)


@pytest.mark.parametrize("page", PAGES)
def test_each_parameter_alone_is_named_and_the_others_keep_their_values(lecture, page):
    params = lecture(page)
    for key in params:
        at = run(page, {key: "garbage"})
        assert not at.exception, (key, at.exception[0].value)
        assert named(at, key), key
        assert [k for k in params if named(at, k)] == [key]
        assert_lecture_values(at, params, params)


def bad_tables(default: pd.DataFrame) -> dict[str, str]:
    """Tables a link may hold that cannot be used, built from the lecture's table."""
    text = default.to_csv(index=False)
    header, first, *_ = text.splitlines()
    columns = list(default.columns)
    numeric = next(c for c in columns if pd.api.types.is_numeric_dtype(default[c]))
    many = pd.concat([default] * (10_000 // len(default) + 1), ignore_index=True)
    many[columns[0]] = [f"g{j}" for j in range(len(many))]
    absurd = default.copy().astype({numeric: float})
    absurd.loc[0, numeric] = 1e300
    tiny = default.copy().astype({numeric: float})
    tiny.loc[0, numeric] = 1e-300
    words = default.copy().astype({numeric: object})
    words.loc[0, numeric] = "twelve"
    return {
        "header only, cut": ",".join(columns[:-1]),
        "row cut": header + "\n" + first.rsplit(",", 1)[0],
        "missing column": default.drop(columns=columns[-1]).to_csv(index=False),
        "duplicate column": default[[*columns, columns[-1]]].to_csv(index=False),
        "renamed column": text.replace(columns[-1], columns[-1].upper(), 1),
        "10,000 rows": many.to_csv(index=False),
        "100 KB": header + "\n" + (first + "\n") * (100_000 // len(first)),
        "absurd number": absurd.to_csv(index=False),
        "tiny number": tiny.to_csv(index=False),
        "text for a number": words.to_csv(index=False),
        "quote never closed": header + '\n"' + first,
        "no rows": header + "\n",
    }


TABLES = {
    "eight_schools": ("data", datasets.eight_schools()),
    "free_throws": ("seasons", datasets.free_throws()),
    "levels_of_pooling": ("data", datasets.pooling_demo()),
}
TABLE_CASES = [
    (page, key, name, text)
    for page, (key, default) in TABLES.items()
    for name, text in bad_tables(default).items()
]


@pytest.mark.parametrize(
    ("page", "key", "name", "text"), TABLE_CASES, ids=[f"{c[0]}-{c[2]}" for c in TABLE_CASES]
)
def test_a_malformed_table_falls_back_to_the_lecture_data(lecture, page, key, name, text):
    params = lecture(page)
    assert key in params  # the table this test feeds is one the page keeps in its link
    at = run(page, {key: text})
    assert not at.exception, at.exception[0].value
    assert named(at, key)
    assert_lecture_values(at, params, params)


def test_the_issue_links_no_longer_crash(lecture):
    for page, query in [
        ("eight_schools", {"data": "garbage"}),
        ("eight_schools", {"data": "school,y\nA,1"}),
        ("free_throws", {"seasons": "garbage"}),
    ]:
        at = run(page, query)
        assert not at.exception, at.exception[0].value
        (key,) = query
        assert named(at, key)
        assert_lecture_values(at, lecture(page), [key])


@pytest.mark.parametrize("page", ["eight_schools", "free_throws"])
def test_a_megabyte_link_is_dropped_whole_by_streamlit(lecture, page):
    """Streamlit ignores a query string over 512 Ki characters before any page code runs
    (streamlit.runtime.state.query_params.sanitize_query_string): nothing is left to name, and
    the page shows the lecture's values."""
    params = lecture(page)
    key = TABLES[page][0]
    at = run(page, {key: "school,y,sigma\n" + "A,1,1\n" * 200_000})
    assert not at.exception
    assert_lecture_values(at, params, params)


def test_unknown_parameters_are_left_alone(lecture):
    """Parameters no page reads (a tracker's utm_source, Streamlit's embed) change nothing and
    get no note: a note there would only teach people to ignore notes."""
    params = lecture("eight_schools")
    at = run("eight_schools", {"utm_source": "<script>", "embed_options": "x", "Tau": "3"})
    assert not at.exception and not at.warning
    assert_lecture_values(at, params, params)


def test_the_note_shows_the_value_as_text_and_cut_short():
    at = run("eight_schools", {"tau_prior": "<b>**x**</b>" + "y" * 5000})
    (note,) = at.warning
    assert "\\<b\\>\\*\\*x\\*\\*\\</b\\>" in note.value  # Markdown escaped: shown as typed
    assert len(note.value) < 1000


def test_a_negative_zero_is_read_as_zero(lecture):
    """-0.0 is a valid number: kept where 0 is allowed (shown as 0, never "-0"), noted elsewhere."""
    for page in ("eight_schools", "drug_trial", "free_throws", "levels_of_pooling"):
        numeric = {
            key: control
            for key, control in bound_controls(run(page, {})).items()
            if control.type in ("slider", "number_input")
        }
        at = run(page, dict.fromkeys(numeric, "-0.0"))
        assert not at.exception, at.exception[0].value
        now = bound_controls(at)
        for key, control in numeric.items():
            if control.proto.min <= 0 <= control.proto.max:
                assert not named(at, key), key
                assert now[key].value == 0 and math.copysign(1, now[key].value) == 1, key
                assert at.query_params.get(key, "0") == "0", key
            else:
                assert named(at, key), key


def test_values_at_the_controls_own_limits_are_accepted(lecture):
    """The check reads each widget's own limits: its min and max pass, beyond them is noted.

    Not on levels of pooling, where the chains' limits would compile two more NUTS programs."""
    for page in ("eight_schools", "drug_trial", "free_throws"):
        numeric = {
            key: control
            for key, control in bound_controls(run(page, {})).items()
            if control.type in ("slider", "number_input")
        }
        for end in ("min", "max"):
            limit = {key: getattr(c.proto, end) for key, c in numeric.items()}
            at = run(page, {key: f"{value:g}" for key, value in limit.items()})
            assert not at.exception, at.exception[0].value
            now = bound_controls(at)
            for key, value in limit.items():
                assert not named(at, key), (page, key, end)
                assert now[key].value == pytest.approx(value), (page, key, end)
            beyond = {
                key: f"{value + (1 if end == 'max' else -1) * max(1.0, abs(value)):g}"
                for key, value in limit.items()
            }
            at = run(page, beyond)
            assert not at.exception, at.exception[0].value
            assert all(named(at, key) for key in beyond), (page, end)


# ---------------------------------------------------------------------------------------------
# The readers themselves (hbviz.links), without Streamlit


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5", 5), ("-0.0", 0), (" 7 ", 7), ("1e1", 10)],
)
def test_read_number_accepts_numbers_in_range(text, expected):
    value = links.read_number(text, low=-10, high=10, integer=True)
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("abc", "not a number"),
        ("nan", "finite"),
        ("inf", "finite"),
        ("1" + "0" * 400, "characters long"),
        ("1e400", "finite"),
        ("2.5", "whole"),
        ("11", "outside"),
        ("-1e308", "outside"),
    ],
)
def test_read_number_refuses_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        links.read_number(text, low=-10, high=10, integer=True)


def test_read_number_keeps_the_sign_of_zero_out():
    assert math.copysign(1, links.read_number("-0.0", low=-1, high=1, integer=False)) == 1


def test_read_flag_and_choice():
    assert links.read_flag("TRUE") is True and links.read_flag("false") is False
    with pytest.raises(ValueError, match="neither"):
        links.read_flag("yes")
    assert links.read_choice("b", ["a", "b"]) == "b"
    with pytest.raises(ValueError, match="not one of 'a', 'b'"):
        links.read_choice("c", ["a", "b"])


def test_read_table_gives_the_default_types():
    default = datasets.free_throws()
    table = links.read_table("season,made,attempts\nA,1,2\nB,3.0,4\n", default)
    assert table.dtypes.to_dict() == default.dtypes.to_dict()
    assert table["made"].tolist() == [1, 3]


@pytest.mark.parametrize("name", list(bad_tables(datasets.free_throws())))
def test_read_table_refuses_malformed_tables(name):
    default = datasets.free_throws()
    text = bad_tables(default)[name]
    if name == "no rows":  # read fine, and refused by the page's own check (min rows)
        assert links.read_table(text, default).empty
        return
    with pytest.raises(ValueError):
        links.read_table(text, default)


def test_excerpt_spells_out_control_characters():
    assert links.excerpt("a\nb\u0000") == "a\\nb\\x00"
    assert len(links.excerpt("x" * 1000)) == 60


def test_check_table_size_bounds_rows_and_magnitudes():
    ok = pd.DataFrame({"group": ["a", "b"], "value": [1.0, -2.0]})
    links.check_table_size(ok)
    with pytest.raises(ValueError, match="rows"):
        links.check_table_size(pd.concat([ok] * 60))
    for absurd in (1e12, -1e12, 1e-300):
        with pytest.raises(ValueError, match="row 2, column 'value'"):
            links.check_table_size(ok.assign(value=[1.0, absurd]))
    links.check_table_size(ok.assign(value=[0.0, -1e9]))

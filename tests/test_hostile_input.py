"""Hostile and oversized input: names holding HTML and script show as text, downloads cannot run
formulas in a spreadsheet, the upload limit and XSRF protection stay on, nothing a user sends is
evaluated, fits too large for a shared server are refused with a message, and improper models give a
warning rather than a traceback. One test drives the real server in Chromium."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hbviz import export, lecture, upload
from hbviz import your_data as yd
from hbviz.plots.style import safe_labels

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"
YOUR_DATA = "pages/your_data.py"
PASTE = {"source": "Paste CSV text"}
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    '=HYPERLINK("http://x","y")',
    "**bold** [link](javascript:alert(1))",
]


def hostile_csv() -> str:
    rows = [
        f'"{name.replace(chr(34), chr(34) * 2)}",{j + 1}.0,{j + 2}.0'
        for j, name in enumerate(HOSTILE)
    ]
    return "group,estimate,std_error\n" + "\n".join(rows) + "\n"


def paste(app_page, text: str):
    at = app_page(YOUR_DATA, query=PASTE)
    at.text_area(key="pasted").input(text).run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------------------------------------
# Names holding markup


def test_hostile_group_names_are_read_as_names():
    table = upload.parse(hostile_csv()).table
    assert table["group"].tolist() == HOSTILE


def test_hostile_group_names_reach_the_page_as_text_only(app_page):
    at = paste(app_page, hostile_csv())
    assert not at.error
    # no element was allowed to render HTML
    for element in [*at.markdown, *at.success, *at.info, *at.warning, *at.caption]:
        assert not getattr(element.proto, "allow_html", False)
    # every figure shows the names escaped: Plotly reads a subset of HTML in labels and hovers
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert specs
    for spec in specs:
        assert "<script" not in spec and "<img" not in spec and "<svg" not in spec
    assert any("&lt;script&gt;" in spec for spec in specs)
    # the tables hold the names as typed (st.dataframe shows cells as text)
    tables = [frame.value for frame in at.dataframe]
    assert any(set(HOSTILE) <= set(t.index.astype(str)) | set(t.get("group", [])) for t in tables)


def test_safe_labels_escape_markup():
    assert safe_labels(["<b>x</b>", "a & b"]) == ["&lt;b&gt;x&lt;/b&gt;", "a &amp; b"]


def test_no_page_renders_raw_html_or_evaluates_user_content():
    sources = {p: p.read_text() for p in [*ROOT.glob("pages/*.py"), *ROOT.glob("hbviz/**/*.py")]}
    sources[ROOT / "app.py"] = (ROOT / "app.py").read_text()
    forbidden = re.compile(
        r"unsafe_allow_html\s*=\s*True|components\.html|\beval\(|\bexec\(|"
        r"pickle\.loads?|yaml\.load\(|pd\.eval|\.query\(|read_pickle"
    )
    found = {str(p.relative_to(ROOT)): forbidden.findall(s) for p, s in sources.items()}
    assert not {p: f for p, f in found.items() if f}
    for path, source in sources.items():
        assert_html_is_fixed_text(path, source)


def _is_constant_text(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def assert_html_is_fixed_text(path, source: str) -> None:
    """Every ``st.html`` shows our own text: a module constant written as a string literal, or
    that constant's ``.format`` with whole numbers (``int(...)``) only, never anything a user
    typed (presenter mode's CSS, the step keys' script, the scroll to a step's figure)."""
    tree = ast.parse(source)
    literals = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and _is_constant_text(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and ast.unparse(call.func) == "st.html"):
            continue
        shown = call.args[0]
        if isinstance(shown, ast.Call) and ast.unparse(shown.func).endswith(".format"):
            values = [*shown.args, *(k.value for k in shown.keywords)]
            assert all(isinstance(v, ast.Call) and ast.unparse(v.func) == "int" for v in values), (
                f"{path}:{call.lineno}: st.html formats in something other than whole numbers"
            )
            shown = shown.func.value
        assert isinstance(shown, ast.Name) and shown.id in literals, (
            f"{path}:{call.lineno}: st.html shows {ast.unparse(shown)}, not a string literal "
            "defined in its module"
        )


# ---------------------------------------------------------------------------------------------
# Downloads


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_downloads_neutralize_formulas(start):
    text = export.to_csv(pd.DataFrame({"group": [f"{start}cmd|' /C calc'!A0"], "mean": [-1.5]}))
    header, row = csv.reader(io.StringIO(text.decode(), newline=""))
    assert header == ["", "group", "mean"]
    assert row[1] == f"'{start}cmd|' /C calc'!A0"
    assert row[2] == "-1.5"  # numbers stay numbers


def test_the_draws_download_neutralizes_group_names_used_as_column_names():
    text = yd.draws_csv(np.zeros((2, 2)), ["=1+1", "@SUM(A1)"]).decode()
    header = next(csv_row for csv_row in text.splitlines())
    assert "'=1+1" in header and "'@SUM(A1)" in header
    assert ",=1" not in header and ",@" not in header


def test_every_table_download_goes_through_the_neutralizing_export():
    ui = (ROOT / "pages" / "_ui.py").read_text()
    assert "data=export.to_csv(table)" in ui
    pages = "".join(p.read_text() for p in ROOT.glob("pages/*.py"))
    # every other download button offers a template or the neutralized draws
    for call in re.findall(r"download_button\((.*?)\n\s*\)", pages, flags=re.S):
        assert "to_csv" in call or "template" in call or "draws_csv" in call or "data=" in call


# ---------------------------------------------------------------------------------------------
# Server settings: upload limit, XSRF, what students see on an error


def project_option(name: str):
    """A config option as the server reads it: the project's config.toml loaded by Streamlit."""
    from streamlit import config

    config.get_config_options(force_reparse=True, options_from_flags={})
    return config.get_option(name)


def test_config_keeps_xsrf_on_and_limits_uploads():
    with CONFIG.open("rb") as f:
        toml = tomllib.load(f)
    assert toml["server"]["enableXsrfProtection"] is True
    assert toml["server"]["maxUploadSize"] == upload.MAX_UPLOAD_MB
    assert toml["client"]["toolbarMode"] == "viewer"
    assert toml["client"]["showErrorDetails"] == "none"


def test_streamlit_reads_the_project_config(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert project_option("server.enableXsrfProtection") is True
    assert project_option("server.maxUploadSize") == upload.MAX_UPLOAD_MB
    assert project_option("client.toolbarMode") == "viewer"
    assert project_option("client.showErrorDetails") == "none"


def test_text_over_the_upload_limit_is_refused_before_it_is_parsed():
    big = "group,value\n" + "a,1\n" * (upload.MAX_BYTES // 4 + 10)
    with pytest.raises(upload.UploadError, match=r"MB|limit|large"):
        upload.parse(big)


def test_a_file_with_more_than_the_row_limit_is_refused():
    rows = "".join(f"g{i % 50},{i % 7}\n" for i in range(upload.MAX_ROWS + 5))
    with pytest.raises(upload.UploadError, match="rows"):
        upload.parse("group,value\n" + rows)


def test_too_many_groups_are_refused():
    rows = "".join(f"g{i},1,2\n" for i in range(upload.MAX_GROUPS + 1))
    with pytest.raises(upload.UploadError, match="groups"):
        upload.parse("group,successes,trials\n" + rows)


# ---------------------------------------------------------------------------------------------
# Long work is bounded


def test_exact_draws_shrink_as_groups_grow():
    assert yd.draws_for(10) <= yd.MAX_DRAWS
    assert yd.draws_for(upload.MAX_GROUPS) * upload.MAX_GROUPS <= 4 * yd.DRAW_BUDGET


def test_a_link_asking_for_a_huge_nuts_run_gets_the_pages_largest(app_page):
    at = app_page("pages/eight_schools.py", query={"nuts_draws": "1000000"})
    assert not at.exception
    draws = next(s for s in at.select_slider if s.key == "nuts_draws")
    assert draws.value <= 2000


def test_a_link_asking_for_a_huge_warm_up_gets_the_lectures_and_a_note_naming_it(app_page):
    """Garbage, empty and other bad values of every parameter: tests/test_urls.py."""
    tutorial = {"chains": "1", "draws": "1000"}  # with the lecture's 500 warm-up: the tutorial's
    at = app_page("pages/levels_of_pooling.py", query=tutorial | {"warmup": "1000000"})
    assert not at.exception
    warmup = lecture.page("pages/levels_of_pooling.py").nuts_warmup
    assert at.select_slider(key="warmup").value == warmup
    fallback = f"the lecture's “{warmup}”"
    assert any("**warmup**" in w.value and fallback in w.value for w in at.warning)


def test_the_drug_trial_counts_are_bounded(app_page):
    at = app_page("pages/drug_trial.py", query={"current_y": "10", "current_n": "99999999"})
    assert not at.exception
    assert at.number_input(key="current_n").value <= 2000


def test_nuts_is_not_offered_for_thousands_of_groups(app_page):
    at = app_page(YOUR_DATA, query={"example": "Counts: 10,000 simulated groups", "nuts": "true"})
    assert not at.exception
    assert any(f"up to {yd.NUTS_MAX_GROUPS} groups" in i.value for i in at.info)
    assert not any(m.label.endswith("divergences") for m in at.metric)


# ---------------------------------------------------------------------------------------------
# Improper models and unreliable fits: a message, not a traceback


def test_eight_schools_with_two_schools_under_the_uniform_prior_explains(app_page):
    two = "school,y,sigma\nA,28,15\nB,8,10\n"
    at = app_page("pages/eight_schools.py", query={"data": two})
    assert not at.exception
    assert any("improper" in e.value for e in at.error)
    # a proper prior on τ gives an answer for the same two schools
    at = app_page("pages/eight_schools.py", query={"data": two, "tau_prior": "half-Cauchy"})
    assert not at.exception and not at.error


def test_your_data_with_no_successes_anywhere_warns_that_the_model_is_improper(app_page):
    at = paste(app_page, "group,successes,trials\nA,0,10\nB,0,20\nC,0,5\n")
    assert any("improper" in w.value for w in at.warning)


def test_drug_trial_with_no_tumors_in_the_current_group_answers(app_page):
    at = app_page("pages/drug_trial.py", query={"current_y": "0", "current_n": "1"})
    assert not at.exception and not at.error


# ---------------------------------------------------------------------------------------------
# The real server in Chromium: no element injected, no dialog opened


@pytest.mark.browser
def test_hostile_names_in_the_browser_inject_nothing():
    from tests.browser import (
        CHROMIUM_ARGS,
        SCREENSHOTS,
        assert_no_exception,
        new_context,
        require_chromium,
        rerun_after,
        streamlit_server,
        wait_idle,
    )

    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    with streamlit_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = new_context(browser, viewport={"width": 1400, "height": 1000}).new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/your_data?source=Paste+CSV+text")
        wait_idle(page)
        box = page.get_by_label("Paste CSV text (with its header row)")
        box.fill(hostile_csv())
        rerun_after(page, lambda: box.press("Control+Enter"))
        page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
        assert_no_exception(page)
        main = page.locator("[data-testid='stMain']")
        assert "Analysing the pasted text" in main.inner_text()
        injected = page.evaluate(
            """() => ({
                img: document.querySelectorAll('img[src="x"], img[onerror]').length,
                svg: document.querySelectorAll('svg[onload]').length,
                script: [...document.scripts].filter(s => s.text.includes('alert(1)')).length,
                link: document.querySelectorAll('a[href^="javascript:"]').length,
                shown: [...document.querySelectorAll('.main-svg text')]
                    .some(t => t.textContent.includes('<img src=x onerror=alert(1)>')),
            })"""
        )
        page.screenshot(path=str(SCREENSHOTS / "hostile_names.png"), full_page=True)
        # hovering and scrolling the charts must not run anything either
        page.mouse.wheel(0, 2000)
        browser.close()
    # nothing injected, and a name shows in a chart as typed
    assert injected == {"img": 0, "svg": 0, "script": 0, "link": 0, "shown": True}, json.dumps(
        injected
    )
    assert dialogs == []


def test_a_carriage_return_inside_a_name_cannot_start_a_new_row():
    text = export.to_csv(pd.DataFrame({"group": ["a\r=1+1", "b\n@SUM(A1)"], "mean": [1.0, 2.0]}))
    rows = list(csv.reader(io.StringIO(text.decode(), newline="")))
    assert [r[1] for r in rows[1:]] == ["a\r=1+1", "b\n@SUM(A1)"]
    assert len(rows) == 3

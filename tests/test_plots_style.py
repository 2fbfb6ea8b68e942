"""The shared layout: the template validated once gives the layout naming it gave, and the
per-figure settings (large fonts, titles, height) still apply on top of it."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from hbviz.plots import style


def two_panel_figure() -> go.Figure:
    fig = make_subplots(rows=1, cols=2)
    fig.add_trace(go.Scatter(x=[0, 1, 2], y=[1.0, 3.0, 2.0], name="a"), row=1, col=1)
    fig.add_trace(go.Bar(x=["x", "y"], y=[2.0, 1.0], name="b"), row=1, col=2)
    fig.add_trace(go.Heatmap(z=np.eye(2)), row=1, col=2)
    return fig


SETTINGS = [
    {},
    {"look": style.Look("p(τ | y)", large_fonts=True), "x_title": "τ", "y_title": "density"},
    {"look": style.Look("t", large_fonts=False), "height": 380, "legend_title": "model"},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_layout_is_the_one_the_template_by_name_gives(settings):
    fig = style.apply_layout(two_panel_figure(), **settings)
    named = style.apply_layout(two_panel_figure(), **settings)
    named.update_layout(template="plotly_white")  # Plotly's validated path, as before issue 14
    assert fig.to_plotly_json() == named.to_plotly_json()
    assert fig.layout.template.layout.plot_bgcolor == "white"
    assert fig.layout.template.data.bar[0].marker.line.color == "white"


@pytest.mark.parametrize("large", [False, True])
def test_font_sizes_apply_over_the_template(large):
    fig = style.apply_layout(
        two_panel_figure(), x_title="τ", y_title="y", look=style.Look(large_fonts=large)
    )
    size = style.LARGE_FONT if large else style.BASE_FONT
    assert fig.layout.font.size == size
    assert fig.layout.hoverlabel.font.size == size
    assert fig.layout.template.layout.font.size is None  # nothing in the template to override
    assert [fig.layout.xaxis.title.text, fig.layout.xaxis2.title.text] == ["τ", "τ"]
    assert fig.layout.colorway == tuple(style.SEQUENCE)


def test_each_figure_owns_its_template():
    first = style.apply_layout(two_panel_figure())
    second = style.apply_layout(two_panel_figure())
    first.layout.template.layout.paper_bgcolor = "black"
    assert second.layout.template.layout.paper_bgcolor == "white"
    assert style.TEMPLATE_JSON["layout"]["paper_bgcolor"] == "white"
    assert style.apply_layout(two_panel_figure()).layout.template.layout.paper_bgcolor == "white"


def test_validation_stays_on_after_the_template():
    fig = style.apply_layout(two_panel_figure())
    with pytest.raises(ValueError, match="not_a_property"):
        fig.update_layout(not_a_property=1)


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_no_group_is_drawn_in_yellow_on_white():
    """Issue 12: school G was Okabe–Ito yellow, 1.2:1 against the white page."""
    assert style.OKABE_ITO["yellow"] not in style.GROUPS
    contrast = 1.05 / (_luminance(style.DARK_YELLOW) + 0.05)
    assert contrast >= 3.0, contrast
    assert len(style.GROUPS) == len(set(style.GROUPS)) == 8

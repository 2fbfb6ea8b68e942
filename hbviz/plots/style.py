"""The look shared by every figure: palette, fonts, layout defaults."""

from __future__ import annotations

import copy
import html
from collections.abc import Iterable

import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito (2008): distinguishable with every common form of colour blindness.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
# One colour per pooling level, the same on every page.
POOLING_COLORS = {
    "no pooling": OKABE_ITO["vermillion"],
    "complete pooling": OKABE_ITO["sky"],
    "partial pooling": OKABE_ITO["blue"],
}
SEQUENCE = [
    OKABE_ITO[name]
    for name in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")
]
GREY = "#7f7f7f"

BASE_FONT = 14
LARGE_FONT = 20  # readable from the back of a lecture hall


def font_size(large: bool) -> int:
    return LARGE_FONT if large else BASE_FONT


# Plotly's "plotly_white" template as JSON, validated once when this module is imported. Setting
# ``template="plotly_white"`` by name deep-copies and re-validates the whole template (about 7 kB
# of layout and per-trace-type defaults) on every figure: that was most of a conjugate page's
# rerun (issue 14).
TEMPLATE_JSON = pio.templates["plotly_white"].to_plotly_json()


def set_template(fig: go.Figure) -> go.Figure:
    """Give ``fig`` the shared template, without validating it again.

    The template was validated once above. This is how Plotly itself applies its default template
    (``BaseFigure._initialize_layout_template``): validation off on the layout while the
    template is assigned. Each figure gets its own copy, so changing one figure's template never
    changes another's. tests/test_plots_style.py checks that the result is the layout
    ``template="plotly_white"`` gives.
    """
    layout = fig.layout
    layout._validate = False
    try:
        layout.template = copy.deepcopy(TEMPLATE_JSON)
    finally:
        layout._validate = fig._validate
    return fig


def apply_layout(
    fig: go.Figure,
    *,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    large_fonts: bool = False,
    height: int | None = None,
    legend_title: str | None = None,
) -> go.Figure:
    """Set the shared layout: white background, axis titles, legend above the plot."""
    size = font_size(large_fonts)
    set_template(fig)
    fig.update_layout(
        title={"text": title} if title else None,
        font={"size": size},
        colorway=SEQUENCE,
        margin={"l": 10, "r": 10, "t": 60 if title else 30, "b": 10},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "title": {"text": legend_title} if legend_title else None,
        },
        hoverlabel={"font_size": size},
    )
    if height is not None:
        fig.update_layout(height=height)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title, automargin=True)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title, automargin=True)
    return fig


def safe_labels(names: Iterable[object]) -> list[str]:
    """Group names as plain text for Plotly, which reads a subset of HTML in labels and hovers.

    A name like ``<b>x</b>`` or ``<a href=...>`` typed by a user must show as written, not as markup.
    """
    return [html.escape(str(name), quote=False) for name in names]

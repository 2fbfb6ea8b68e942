"""The look shared by every figure: palette, fonts, layout defaults."""

from __future__ import annotations

import copy
import html
from collections.abc import Iterable
from typing import NamedTuple

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
SEQUENCE = [
    OKABE_ITO[name]
    for name in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")
]
GREY = "#7f7f7f"

# Colour roles: what a colour stands for, the same in every figure and on every page (the home
# page's model graph too). Figures name a role, never a hex code: changing one is one line here.
NO_POOLING = OKABE_ITO["vermillion"]
COMPLETE_POOLING = OKABE_ITO["sky"]
PARTIAL_POOLING = OKABE_ITO["blue"]  # the hierarchical model's estimates
POPULATION = OKABE_ITO["orange"]  # the population (prior) level: a fitted prior, an empirical Bayes
DATA = OKABE_ITO["orange"]  # what was observed or would be measured
HIGHLIGHT = OKABE_ITO["orange"]  # the value a control picks (the chosen τ)
CURRENT = OKABE_ITO["vermillion"]  # the one group singled out among the others
DRAWS = OKABE_ITO["sky"]  # individual posterior draws
DIVERGENT = OKABE_ITO["vermillion"]  # NUTS transitions that diverged
EXACT = OKABE_ITO["black"]  # an exact density drawn over approximate draws
REFERENCE = GREY  # reference lines: a pooled mean, y = x, an observed rate
COMPARISON = (OKABE_ITO["vermillion"], OKABE_ITO["green"])  # two fits compared side by side
DENSITY_SCALE = [[0, OKABE_ITO["sky"]], [1, OKABE_ITO["blue"]]]  # contours of a joint density
DRAWS_ON_DENSITY = OKABE_ITO["vermillion"]  # posterior draws over those contours
OBSERVED_RATES = OKABE_ITO["sky"]  # a histogram of the groups' observed rates
# Okabe–Ito's yellow is unreadable on white (contrast 1.2:1): groups get a dark yellow instead.
DARK_YELLOW = "#9C8500"
# one colour per group or per series without a role, in this order
GROUPS = [DARK_YELLOW if c == OKABE_ITO["yellow"] else c for c in SEQUENCE]
# Groups drawn on a page whose methods have colours (independent vermillion, hierarchical blue, the
# population orange): colours none of those roles use, so that each colour means one thing there.
GROUPS_BESIDE_METHODS = [OKABE_ITO["sky"], OKABE_ITO["green"], OKABE_ITO["purple"], DARK_YELLOW]
CHOSEN_GROUP = OKABE_ITO["black"]  # the group a control picks among those ("this season")
# Probabilities around 1/2: vermillion (unlikely) to blue (likely), safe for colour-blind readers.
PROBABILITY_SCALE = [[0.0, OKABE_ITO["vermillion"]], [0.5, "#f7f7f7"], [1.0, OKABE_ITO["blue"]]]

POOLING_COLORS = {
    "no pooling": NO_POOLING,
    "complete pooling": COMPLETE_POOLING,
    "partial pooling": PARTIAL_POOLING,
}


def group_color(k: int) -> str:
    """The ``k``-th colour of :data:`GROUPS`, repeating past its end."""
    return GROUPS[k % len(GROUPS)]


def pale(color: str, alpha: float) -> str:
    """``color`` (``#rrggbb``) with opacity ``alpha``, as Plotly's ``rgba(...)``."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha:g})"


def tint(color: str, amount: float) -> str:
    """``color`` (``#rrggbb``) mixed with white, ``amount`` of it: an opaque pale fill as hex, for
    renderers without transparency (Graphviz on the home page)."""
    channels = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * amount):02x}" for c in channels)


BASE_FONT = 14
LARGE_FONT = 20  # readable from the back of a lecture hall


def font_size(large: bool) -> int:
    return LARGE_FONT if large else BASE_FONT


class Look(NamedTuple):
    """How a figure is presented, apart from what it shows: every builder takes one (``look=``).

    The page decides it, not the data: ``large_fonts`` follows presenter mode (``_ui.plot`` sets
    it), and a notebook may add a ``title`` (the pages name their figures in Streamlit headings).
    """

    title: str | None = None
    large_fonts: bool = False  # readable from the back of a lecture hall (:data:`LARGE_FONT`)


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
    look: Look = Look(),
    x_title: str | None = None,
    y_title: str | None = None,
    height: int | None = None,
    legend_title: str | None = None,
) -> go.Figure:
    """Set the shared layout: white background, axis titles, legend above the plot, and the
    ``look`` (title, font size)."""
    size = font_size(look.large_fonts)
    set_template(fig)
    fig.update_layout(
        title={"text": look.title} if look.title else None,
        font={"size": size},
        colorway=SEQUENCE,
        margin={"l": 10, "r": 10, "t": 60 if look.title else 30, "b": 10},
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


def overlay_layout(
    fig: go.Figure, *, look: Look, x_title: str, y_title: str, height: int
) -> go.Figure:
    """:func:`apply_layout` for densities drawn as translucent bars over each other (histograms of
    draws, a pmf): the bars of different traces overlap instead of standing side by side, and
    touch, as the bins of one density do."""
    apply_layout(fig, look=look, x_title=x_title, y_title=y_title, height=height)
    return fig.update_layout(barmode="overlay", bargap=0)


def safe_labels(names: Iterable[object]) -> list[str]:
    """Group names as plain text for Plotly, which reads a subset of HTML in labels and hovers.

    A name like ``<b>x</b>`` or ``<a href=...>`` typed by a user must show as written, not as markup.
    """
    return [html.escape(str(name), quote=False) for name in names]


def interval_bars(estimate, lower, upper, *, color: str, thickness: float) -> dict:
    """An interval from ``lower`` to ``upper`` around each ``estimate``, as Plotly's asymmetric
    ``error_x`` / ``error_y`` (no caps): one trace draws every group's interval."""
    return {
        "type": "data",
        "symmetric": False,
        "array": upper - estimate,
        "arrayminus": estimate - lower,
        "color": color,
        "thickness": thickness,
        "width": 0,
    }


def density_line(
    x,
    density,
    *,
    name: str,
    color: str,
    x_title: str,
    x_format: str = ".3g",
    width: float = 2.5,
    dash: str = "solid",
    fill: str | None = None,
) -> go.Scatter:
    """A density curve over ``x``, its hover naming the curve and the x axis' quantity."""
    return go.Scatter(
        x=x,
        y=density,
        mode="lines",
        name=name,
        line={"color": color, "width": width, "dash": dash},
        fill=fill,
        hovertemplate=f"<b>{name}</b><br>{x_title} %{{x:{x_format}}}<br>density %{{y:.3g}}"
        "<extra></extra>",
    )


def arrows(
    x_from,
    y_from,
    x_to,
    y_to,
    *,
    color: str,
    width: float = 1,
    head: float = 1,
    standoff: float = 0,
) -> list[dict]:
    """One arrow per point, from (``x_from``, ``y_from``) to (``x_to``, ``y_to``) in data
    coordinates, as layout annotations for ``fig.update_layout(annotations=...)`` (on a log axis,
    give log10 coordinates): how a shrinkage figure shows each estimate moving. ``head`` scales
    the arrowhead, ``standoff`` (pixels) stops the arrow short of the marker it points at."""
    return [
        {
            "x": x1,
            "y": y1,
            "ax": x0,
            "ay": y0,
            "xref": "x",
            "yref": "y",
            "axref": "x",
            "ayref": "y",
            "showarrow": True,
            "arrowhead": 2,
            "arrowsize": head,
            "arrowwidth": width,
            "arrowcolor": color,
            "standoff": standoff,
            "text": "",
        }
        for x0, y0, x1, y1 in zip(x_from, y_from, x_to, y_to, strict=True)
    ]


def reference_line(
    fig: go.Figure,
    value: float,
    *,
    axis: str = "x",
    name: str | None = None,
    span: tuple[float, float] | None = None,
    dash: str = "dash",
    color: str = REFERENCE,
    width: float = 1.5,
    label: str | None = None,
    look: Look = Look(),
    webgl: bool = False,
) -> go.Figure:
    """A vertical (``axis="x"``: at x = ``value``) or horizontal (``axis="y"``) reference line.

    With ``span`` (data coordinates along the other axis) the line is a trace named ``name`` in
    the legend. Without it the line is a layout shape across the whole plot (``fig.add_vline``
    draws the same ~10x slower), named in the legend by an entry of its own when ``name`` is
    given, or by ``label`` written at its top end. A label on the plot collides with the legend
    above and the tick labels below, which is why most lines are named in the legend.
    ``webgl`` draws the spanned line as WebGL, like the figure's other traces when they are many.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' (vertical line) or 'y' (horizontal); got {axis!r}")
    other = "y" if axis == "x" else "x"
    line = {"color": color, "dash": dash, "width": width}
    if span is not None:
        trace = go.Scattergl if webgl else go.Scatter
        fig.add_trace(
            trace(
                **{axis: [value, value], other: list(span)},
                mode="lines",
                name=name,
                showlegend=name is not None,
                line=line,
                hoverinfo="skip",
            )
        )
        return fig
    fig.add_shape(
        type="line",
        **{f"{axis}0": value, f"{axis}1": value, f"{axis}ref": axis},
        **{f"{other}0": 0, f"{other}1": 1, f"{other}ref": "paper"},
        line=line,
    )
    if name is not None:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, line=line))
    if label is not None:
        fig.add_annotation(
            text=html.escape(label, quote=False),
            **{axis: value, f"{axis}ref": axis, other: 1, f"{other}ref": "paper"},
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font={"size": font_size(look.large_fonts)},
        )
    return fig

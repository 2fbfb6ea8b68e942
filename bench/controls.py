"""How the page benchmark finds a page's sidebar controls and moves them, through AppTest's
public widget API (``streamlit.testing.v1``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np


def control_values(widget, count: int) -> list[tuple[str, Callable]]:
    """Up to ``count`` distinct new values, alternating either side of the current one, the way
    a student wiggles a slider: current + 1 step, − 1 step, + 2 steps, … Each comes as (what it
    is, a function that sets it on the widget and returns the widget)."""
    kind = widget.type
    if kind in ("select_slider", "selectbox"):
        options = list(widget.options)  # as displayed (after format_func)
        try:
            index = (
                widget.index
                if kind == "selectbox"
                else options.index(widget.format_func(widget.value))
            )
        except (ValueError, TypeError, KeyError):
            index = None
        index = -1 if index is None else index
        order = []
        for k in range(1, len(options) + 1):
            for j in (index + k, index - k):
                if 0 <= j < len(options) and j not in order:
                    order.append(j)
        # AppTest sets these by value (select_index too), but shows only the formatted options:
        # recover the values when formatting is the identity or a dict lookup (DICT.get)
        fmt = widget.format_func
        table = getattr(fmt, "__self__", None)
        raw = {v: k for k, v in table.items()} if isinstance(table, dict) else {}
        usable = []
        for j in order:
            value = raw.get(options[j], options[j])
            with contextlib.suppress(Exception):
                if str(fmt(value)) == options[j]:
                    usable.append((options[j], lambda w, v=value: w.set_value(v)))
        return usable[:count]
    if kind == "slider":
        lo, hi, step = widget.min, widget.max, widget.step
        current = widget.value
        if isinstance(current, tuple | list):
            return []  # a range slider: no single value to move
    else:  # number_input
        lo = widget.min if widget.min is not None else -np.inf
        hi = widget.max if widget.max is not None else np.inf
        step = widget.step or 1
        current = widget.value
        if current is None:
            return []
    values = []
    k = 1
    while len(values) < count and k < 10_000:
        for sign in (1, -1):
            v = current + sign * k * step
            if lo - 1e-9 <= v <= hi + 1e-9 and len(values) < count:
                is_int = isinstance(current, int) and float(step).is_integer()
                values.append(round(v) if is_int else round(float(v), 10))
        k += 1
        if current - k * step < lo and current + k * step > hi:
            break
    return [(str(v), lambda w, v=v: w.set_value(v)) for v in values]


KINDS = ("slider", "select_slider", "selectbox", "number_input")


def _area(at):
    """Where a page keeps its controls: the sidebar, or the main area when the sidebar has none
    (Levels of pooling keeps its controls beside its data)."""
    if any(getattr(at.sidebar, kind) for kind in KINDS):
        return at.sidebar
    return at.main


def find_widget(at, kind: str, key: str | None, label: str):
    for w in getattr(_area(at), kind):
        if (key is not None and w.key == key) or (key is None and w.label == label):
            return w
    return None


def discover_controls(at) -> list[tuple[str, str | None, str]]:
    """(kind, key, label) of every enabled slider, select slider, selectbox and number input in
    the sidebar (or, without any there, in the main area), sliders first, in page order within
    each kind."""
    found = []
    for kind in KINDS:
        for w in getattr(_area(at), kind):
            if not getattr(w.proto, "disabled", False):
                found.append((kind, w.key, w.label))
    return found

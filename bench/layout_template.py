"""``hbviz.plots.style.apply_layout`` against the same layout with Plotly's template set by name
(``template="plotly_white"``, as before issue 14), interleaved in one process, so the ratio holds
on a busy machine.

Usage (from the repository root)::

    python bench/layout_template.py [repeats]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hbviz.plots import style  # noqa: E402
from tests.test_plots_style import two_panel_figure  # noqa: E402


def by_name(fig, **settings):
    """The layout as before: apply_layout, then the template by name (validated, deep-copied)."""
    style.apply_layout(fig, **settings)
    return fig.update_layout(template="plotly_white")


def main(repeats: int = 40) -> None:
    settings = {"look": style.Look(title="p(τ | y)"), "x_title": "τ", "y_title": "density"}
    times = {"apply_layout": [], "template by name": []}
    for _ in range(repeats):
        for name, call in (("apply_layout", style.apply_layout), ("template by name", by_name)):
            fig = two_panel_figure()
            start = time.perf_counter()
            call(fig, **settings)
            times[name].append(time.perf_counter() - start)
    new, old = (np.median(times[k]) for k in ("apply_layout", "template by name"))
    for name, values in times.items():
        print(
            f"{name:18s} median {np.median(values) * 1e3:6.1f} ms  min {min(values) * 1e3:6.1f} ms"
        )
    print(f"by name / apply_layout: {old / new:.1f}× (medians of {repeats}, interleaved)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))

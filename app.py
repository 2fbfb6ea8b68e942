"""hbviz: the router. Every page is listed in hbviz.lecture.PAGES; Streamlit does not scan pages/
once st.navigation is used."""

import gc
import importlib
import pkgutil
import sys
import threading
import types
from pathlib import Path

import streamlit as st


def _import_everything_once() -> None:
    """Import every hbviz module and the pages' glue under one process-wide lock.

    Each session runs this script in its own thread. On a fresh server several sessions arriving
    together would import hbviz, SciPy and JAX at the same moment, and concurrent first imports of
    packages with circular imports hand a thread a half-initialised module ("cannot import name
    ... from partially initialized module", seen with scipy._lib). The lock lives in sys.modules
    (dict.setdefault is atomic), since this script's own globals are new on every run.
    """
    holder = sys.modules.setdefault("_hbviz_import_lock", types.ModuleType("_hbviz_import_lock"))
    with holder.__dict__.setdefault("lock", threading.Lock()):
        hbviz = importlib.import_module("hbviz")
        for module in pkgutil.walk_packages(hbviz.__path__, "hbviz."):
            importlib.import_module(module.name)
        importlib.import_module("pages._ui")
        if not holder.__dict__.get("frozen"):
            # Everything imported so far (JAX, NumPyro, SciPy, Plotly, pandas: ~440,000 objects)
            # lives as long as the process: moved out of the collector's reach, so that Python's
            # own full collections stop walking it (about 1 s each before, 0.03 ms after).
            # Objects made later, by sessions, are collected as usual. Streamlit's own collection
            # after every run is off in .streamlit/config.toml (postScriptGC) for the same reason.
            gc.collect()
            gc.freeze()
            holder.frozen = True


_import_everything_once()

from hbviz import lecture, warmup  # noqa: E402  (imported above, under the lock)
from pages import _present  # noqa: E402

st.set_page_config(
    page_title="hbviz: pooling and shrinkage",
    # a file the server sends itself: a Material icon here is fetched from fonts.gstatic.com,
    # which an offline lecture room cannot reach
    page_icon=str(Path(__file__).parent / "assets" / "hub.svg"),
    layout="wide",
    menu_items={"About": "hbviz: pooling and shrinkage in Bayesian hierarchical models."},
)

PAGES = {
    section: [st.Page(p.path, title=p.title, icon=p.icon, default=p is lecture.HOME) for p in pages]
    for section, pages in lecture.sections().items()
}

# Compile the samplers the lecture uses in the background, once per server process, so the pages
# opened after the first one answer without a compile pause.
warmup.start_in_background()

# Drawn by the router, so that its query parameter outlives a change of page.
_present.presenter_switch()
st.navigation(PAGES).run()

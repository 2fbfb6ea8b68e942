"""hbviz: the router. Every page is listed in hbviz.lecture.PAGES; Streamlit does not scan pages/
once st.navigation is used."""

import streamlit as st

from hbviz import lecture, warmup

st.set_page_config(
    page_title="hbviz: pooling and shrinkage",
    page_icon=":material/hub:",
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

st.navigation(PAGES).run()

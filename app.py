"""hbviz: the router. Every page is listed here; Streamlit does not scan pages/ once st.navigation is used."""

import streamlit as st

from hbviz import warmup

st.set_page_config(
    page_title="hbviz: pooling and shrinkage",
    page_icon=":material/hub:",
    layout="wide",
    menu_items={"About": "hbviz: pooling and shrinkage in Bayesian hierarchical models."},
)

PAGES = {
    "Overview": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Lecture examples": [
        st.Page("pages/levels_of_pooling.py", title="Levels of pooling", icon=":material/stacks:"),
        st.Page("pages/free_throws.py", title="Free throws", icon=":material/sports_basketball:"),
        st.Page("pages/drug_trial.py", title="Drug trial (rat tumors)", icon=":material/science:"),
        st.Page("pages/eight_schools.py", title="Eight schools", icon=":material/school:"),
    ],
    "Your data": [st.Page("pages/your_data.py", title="Your data", icon=":material/upload_file:")],
}

# Compile the samplers the lecture uses in the background, once per server process, so the pages
# opened after the first one answer without a compile pause.
warmup.start_in_background()

st.navigation(PAGES).run()

"""Home: the idea of a hierarchy, the three levels of pooling in one picture, links to every page."""

import streamlit as st

from hbviz import datasets, estimate_tables, normal_normal
from hbviz.plots.common import interval_plot
from hbviz.plots.style import POOLING_COLORS
from pages import _ui

_ui.page_intro(
    "Pooling and shrinkage in hierarchical models",
    "A hierarchical model lets groups **borrow strength** from each other: each group's estimate "
    "is pulled toward the population mean, and the less a group's own data say, the further it "
    "is pulled. Move the sliders on each page and watch the estimates shrink.",
)
large = _ui.large_fonts_toggle()

left, right = st.columns([2, 3])
with left:
    st.subheader("The model, level by level")
    st.graphviz_chart(
        """
        digraph {
          rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="#f2f6fb",
                            color="#0072B2", fontname="Helvetica"];
          hyper [label="hyperprior\\np(μ, τ)"];
          prior [label="population (prior)\\nθⱼ ~ N(μ, τ²)"];
          theta [label="group parameters\\nθ₁, θ₂, …, θ_J"];
          data  [label="data\\nyⱼ ~ N(θⱼ, σⱼ²)", fillcolor="#fff4e0", color="#E69F00"];
          hyper -> prior -> theta -> data;
        }
        """
    )
    st.markdown(
        "- **No pooling**: every group on its own (τ → ∞).\n"
        "- **Complete pooling**: one parameter for all groups (τ = 0).\n"
        "- **Partial pooling**: τ is learned from the data, and each group lands in between."
    )

with right:
    st.subheader("Three levels of pooling, eight schools")
    _ui.method_badge("exact")
    schools = datasets.eight_schools()
    y, sigma = schools["y"].to_numpy(), schools["sigma"].to_numpy()
    post = _ui.normal_posterior(_ui.as_tuple(y), _ui.as_tuple(sigma))
    pooled, _ = normal_normal.complete_pooling(y, sigma)
    table = estimate_tables.pooling_intervals(schools["school"], y, sigma, post.theta)
    _ui.show_figure(
        interval_plot(
            table,
            series="series",
            colors=POOLING_COLORS,
            x_title="coaching effect on SAT-V (points)",
            large_fonts=large,
            reference=pooled,
            reference_label=f"complete-pooling mean {pooled:.1f}",
        ),
        key="home-pooling",
    )
    st.caption(
        "Points and 95% intervals: estimate ± 1.96 σ_j (no pooling), 7.7 ± 1.96 × 4.1 (complete "
        "pooling), and exact posterior medians with 2.5–97.5% quantiles under BDA3's uniform prior "
        "on τ (partial pooling)."
    )

st.subheader("Page by page")
cols = st.columns(5)
links = [
    (
        "pages/levels_of_pooling.py",
        "Levels of pooling",
        "No, complete and partial pooling with NUTS, as in the NumPyro tutorial.",
    ),
    (
        "pages/free_throws.py",
        "Free throws",
        "Four seasons of one player: independent Beta posteriors, then a hierarchy.",
    ),
    (
        "pages/drug_trial.py",
        "Drug trial",
        "A new experiment against 70 historical ones: empirical and full Bayes.",
    ),
    (
        "pages/eight_schools.py",
        "Eight schools",
        "p(τ | y), shrinkage as τ moves, which school is best.",
    ),
    (
        "pages/your_data.py",
        "Your data",
        "Upload or paste grouped data: the same analyses, downloadable.",
    ),
]
for col, (path, label, blurb) in zip(cols, links, strict=True):
    with col:
        st.page_link(path, label=label, icon=":material/arrow_forward:")
        st.caption(blurb)

"""Home: the idea of a hierarchy, the three levels of pooling in one picture, links to every page."""

import streamlit as st

from hbviz import datasets, estimate_tables, lecture, normal_normal
from hbviz.plots import style
from hbviz.plots.common import interval_plot
from pages import _ui

PAGE = lecture.page("pages/home.py")
MODEL, DATA = style.PARTIAL_POOLING, style.DATA  # the graph's colours: the model, the data

_ui.page_intro(
    "Pooling and shrinkage in hierarchical models",
    "A hierarchical model lets groups **borrow strength** from each other: each group's estimate "
    "is pulled toward the population mean, and the less a group's own data say, the further it "
    "is pulled. Move the sliders on each page and watch the estimates shrink.",
)

left, right = st.columns([2, 3])
with left:
    st.subheader("The model, level by level")
    st.graphviz_chart(
        f"""
        digraph {{
          rankdir=TB; node [shape=box, style="rounded,filled", fillcolor="{style.tint(MODEL, 0.06)}",
                            color="{MODEL}", fontname="Helvetica"];
          hyper [label="hyperprior\\np(μ, τ)"];
          prior [label="population (prior)\\nθⱼ ~ N(μ, τ²)"];
          theta [label="group parameters\\nθ₁, θ₂, …, θ_J"];
          data  [label="data\\nyⱼ ~ N(θⱼ, σⱼ²)", fillcolor="{style.tint(DATA, 0.12)}", color="{DATA}"];
          hyper -> prior -> theta -> data;
        }}
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
    post = _ui.normal_posterior(_ui.as_tuple(y), _ui.as_tuple(sigma), draws=PAGE.exact_draws)
    pooled, _ = normal_normal.complete_pooling(y, sigma)
    table = estimate_tables.pooling_intervals(schools["school"], y, sigma, post.theta)
    _ui.plot(
        interval_plot,
        table,
        series="series",
        colors=style.POOLING_COLORS,
        x_title="coaching effect on SAT-V (points)",
        reference=pooled,
        reference_label=f"complete-pooling mean {pooled:.1f}",
        key="home-pooling",
    )
    st.caption(
        "Points and 95% intervals: estimate ± 1.96 σ_j (no pooling), 7.7 ± 1.96 × 4.1 (complete "
        "pooling), and exact posterior medians with 2.5–97.5% quantiles under BDA3's uniform prior "
        "on τ (partial pooling)."
    )

st.subheader("Page by page")
others = [p for p in lecture.PAGES if p is not lecture.HOME]
for col, page in zip(st.columns(len(others)), others, strict=True):
    with col:
        st.page_link(page.path, label=page.title, icon=":material/arrow_forward:")
        st.caption(page.description)

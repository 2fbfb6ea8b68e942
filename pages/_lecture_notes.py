"""What the lecture derives, on the pages it belongs to: each function is one hook in a page and
shows what :mod:`hbviz.lecture_notes` computes (sentences with KaTeX, a table, in an expander)."""

from __future__ import annotations

import streamlit as st

from hbviz import lecture_notes
from pages import _ui


def _steps(steps: list[tuple[str, str]]) -> None:
    for text, latex in steps:
        if text:
            st.markdown(text)
        st.latex(latex)


def moment_equations(hist_y, hist_n) -> None:
    """Drug trial, empirical Bayes: the method of moments with the historical rates' numbers."""
    mm = lecture_notes.moment_matching(hist_y, hist_n)
    label = f"Method of moments: m = {mm.mean:.3f}, s = {mm.sd:.3f} → α = {mm.alpha:.2f}, "
    with st.expander(label + f"β = {mm.beta:.2f}"):
        _steps(lecture_notes.moment_matching_steps(mm))


def beta_binomial_steps(post, y, n) -> None:
    """Drug trial, full Bayes: p(α, β | y) → p(θ | α, β, y) → ỹ (BDA3 §5.3)."""
    with st.expander("The analytic steps: p(α, β | y) → p(θ | α, β, y) → ỹ"):
        _steps(lecture_notes.beta_binomial_steps(post, y, n))


# The eight schools' expanders below are computed and drawn only while open (_ui.lazy_expander).
SCHOOLS_STEPS_KEY = "schools-steps"
TABLE_5_3_KEY = "table-5-3"


@st.fragment
def normal_steps(y, sigma, tau, post, names, *, tau_prior, mu_prior, **_) -> None:
    """Eight schools: p(τ | y) → p(μ | τ, y) → p(θ | μ, τ, y) → ỹ at the page's τ (BDA3 §5.4).
    A fragment: opening it reruns it alone."""
    box = _ui.lazy_expander(
        "The analytic steps: p(τ | y) → p(μ | τ, y) → p(θ | μ, τ, y) → ỹ", key=SCHOOLS_STEPS_KEY
    )
    if box is None:
        return
    steps = lecture_notes.normal_steps(
        y, sigma, tau, tau_prior=tau_prior, mu_prior=mu_prior, tau_draws=post.tau, names=names
    )
    with box:
        _steps(steps)


@st.fragment
def table_5_3(post, names, y, sigma, *, tau_prior, mu_prior, **_) -> None:
    """Eight schools: BDA3's Table 5.3 beside the page's quantiles, and why they differ. A
    fragment: opening it reruns it alone."""
    box = _ui.lazy_expander(
        "BDA3's printed Table 5.3 beside these values, and why they differ", key=TABLE_5_3_KEY
    )
    if box is None:
        return
    with box:
        reason = lecture_notes.book_comparison_unavailable(
            y, sigma, names, tau_prior=tau_prior, mu_prior=mu_prior
        )
        if reason:
            st.info(reason + " Set them back (reset) to compare.")
            return
        comparison = lecture_notes.book_comparison(post.theta, names)
        for columns, what in ((("exact", "book"), "vs_book"), (("sd_small",), "sd_of_200_draws")):
            if what != "vs_book":
                st.caption(
                    f"How far a {lecture_notes.BOOK_DRAWS}-draw estimate of each value strays: "
                    "its sd, from order statistics of the exact posterior."
                )
            table = lecture_notes.book_table(comparison, columns)
            fmt = {c: "%.0f" if c.endswith(" book") else "%.1f" for c in table.columns}
            name = f"eight_schools_table_5_3_{what}.csv"
            _ui.show_table(table, file_name=name, key=f"table-5-3-{what}", formats=fmt)
        st.markdown(lecture_notes.book_differences(comparison))

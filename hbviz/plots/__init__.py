"""Plotly figure builders: each reads arrays or tidy tables and returns a ``go.Figure``.

Builders never display anything; pages pass the figure to Streamlit. Shared look (colour-blind
safe Okabe–Ito palette, font sizes for a projector) lives in :mod:`hbviz.plots.style`; builders
shared by several pages are in :mod:`hbviz.plots.common`; the rest sit in a module per lecture topic.
"""

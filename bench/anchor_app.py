"""The framework's floor for the browser section (bench/browser.py): a bare Streamlit page with
one sidebar slider and three small Plotly charts that it redraws, drawn the way hbviz's pages draw
(``st.plotly_chart`` with ``theme=None`` and a key), and nothing else: no hbviz, no caches."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

a = st.sidebar.slider("a", 0.0, 100.0, 10.0, 0.5, key="a")
x = np.linspace(0.0, 10.0, 100)
for k, curve in enumerate((np.sin, np.cos, np.tanh)):
    fig = go.Figure(go.Scatter(x=x, y=curve(x * a / 10 + k), mode="lines"))
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title=f"{k + 1}")
    st.plotly_chart(fig, key=f"chart-{k}", theme=None)

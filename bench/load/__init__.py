"""Load generator for hbviz: many Streamlit sessions over the websocket protocol, no browser.

``client`` speaks the protocol for one session, ``scenario`` is the lecture hall (who opens which
page and moves what), ``servers`` starts the processes and nginx and reads /proc, ``measure`` runs
one measured load; ``python -m bench.load`` runs the matrix and writes bench/LOAD.md.
"""

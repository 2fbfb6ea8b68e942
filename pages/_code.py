"""The NumPyro code of a page's NUTS fit, shown and offered as a runnable script.

One call from each NUTS panel, with the arguments of its fit (:func:`hbviz.scripts.nuts_script`
builds the script; this module only shows it).
"""

from __future__ import annotations

import streamlit as st

from hbviz import scripts


def show_script(script: scripts.Script, *, label: str = "") -> None:
    """An expander with the model's NumPyro code and a download of the whole script."""
    with st.expander(f"NumPyro code{label}: the model, and a script that reproduces this fit"):
        st.code(script.model_code, language="python")
        st.download_button(
            f"Download {script.file_name}",
            data=script.text,
            file_name=script.file_name,
            mime="text/x-python",
            key=f"script-{script.file_name}",
            on_click="ignore",
            icon=":material/download:",
        )
        st.caption(
            "The script holds this page's data, priors and sampler settings and needs only "
            "hbviz's requirements.txt: `python "
            + script.file_name
            + "` prints this fit's summary table (the same numbers within Monte Carlo error; "
            "`--num-samples 200` runs faster)."
        )


def nuts_code(fit: str, *data, draws: int, num_warmup: int | None = None, **settings) -> None:
    """:func:`show_script` of ``hbviz.nuts.<fit>(*data, **settings)`` as the page runs it
    (``draws`` per chain after ``num_warmup`` warm-up steps, as many as ``draws`` by default)."""
    warmup = draws if num_warmup is None else num_warmup
    show_script(scripts.nuts_script(fit, *data, num_warmup=warmup, num_samples=draws, **settings))


def nuts_forms_code(
    y, sigma, *, names, priors, num_chains: int, draws: int, exact_draws: int | None = None
) -> None:
    """The scripts of the centered and non-centered fits of ``_ui.nuts_forms_panel``, called with
    its arguments (``exact_draws`` sizes its exact comparison, not the fits)."""
    for centered in (True, False):  # one under the other: the code needs the page's width
        script = scripts.nuts_script(
            "fit_normal_hierarchy",
            y,
            sigma,
            centered=centered,
            names=names,
            num_chains=num_chains,
            num_warmup=draws,
            num_samples=draws,
            **priors,
        )
        show_script(script, label=", centered" if centered else ", non-centered")


def your_data_code(data, exact, check, *, draws: int) -> None:
    """The script of the Your-data page's NUTS check."""
    show_script(scripts.your_data_script(data, exact, centered=check.centered, draws=draws))


def regression_code(rd, *, regime: str, varying_slopes: bool, tau_scale: float) -> None:
    """The script of one of the Your-data page's regression fits, called with its arguments."""
    show_script(
        scripts.regression_script(
            rd, regime=regime, varying_slopes=varying_slopes, tau_scale=tau_scale
        )
    )

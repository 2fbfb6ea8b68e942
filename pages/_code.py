"""The NumPyro code of a page's NUTS fit, shown and offered as a runnable script.

One call from each NUTS panel, with the arguments of its fit (:func:`hbviz.scripts.nuts_script`
builds the script; this module only shows it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from hbviz import scripts

CODE_KEY = "code-"  # the widget key of a lazy code panel: this and the panel's name


def show_script(
    script: scripts.Script | Callable[[], scripts.Script],
    *,
    label: str = "",
    sampler: str = "",
    lazy: str | None = None,
) -> None:
    """An expander with the model's NumPyro code and a download of the whole script
    (``sampler``: the sampler's settings in words, said in the caption).

    ``lazy``: a name for the panel, unique on the page; the script (then a callable making it)
    is built, and its highlighted code sent, only while the panel is open (its widget key is
    :data:`CODE_KEY` + ``lazy``; opening it reruns the fragment it is in, or the page)."""
    title = f"NumPyro code{label}: the model, and a script that reproduces this fit"
    if lazy is None:
        box = st.expander(title)
    else:
        box = st.expander(title, key=CODE_KEY + lazy, on_change="rerun")
        if not box.open:
            return
    if callable(script):
        script = script()
    with box:
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
            "`--num-samples 200` runs faster)." + (f" Sampler: {sampler}." if sampler else "")
        )


def sampler_words(*, num_chains: int, num_warmup: int, num_samples: int, seed: int = 0) -> str:
    """The sampler's settings as the caption says them: "1 chain × (500 warm-up + 1,000 draws),
    seed 0"."""
    chains = f"{num_chains} chain{'s' if num_chains != 1 else ''}"
    return f"{chains} × ({num_warmup:,d} warm-up + {num_samples:,d} draws), seed {seed}"


def nuts_code(
    fit: str, *data, draws: int, num_warmup: int, lazy: str | None = None, **settings
) -> None:
    """:func:`show_script` of ``hbviz.nuts.<fit>(*data, **settings)`` as the page runs it
    (``draws`` per chain after ``num_warmup`` warm-up steps; ``lazy`` as there)."""
    sizes = dict(num_chains=settings.pop("num_chains"), num_warmup=num_warmup, num_samples=draws)
    show_script(
        lambda: scripts.nuts_script(fit, *data, **sizes, **settings),
        sampler=sampler_words(**sizes, seed=settings.get("seed", 0)),
        lazy=lazy,
    )


def nuts_forms_code(
    y,
    sigma,
    *,
    names,
    priors,
    num_chains: int,
    warmup: int,
    draws: int,
    exact_draws: int | None = None,
) -> None:
    """The scripts of the centered and non-centered fits of ``_ui.nuts_forms_panel``, called with
    its arguments (``exact_draws`` sizes its exact comparison, not the fits); lazy panels."""
    sizes = dict(num_chains=num_chains, num_warmup=warmup, num_samples=draws)
    for centered in (True, False):  # one under the other: the code needs the page's width
        form = "centered" if centered else "non-centered"
        show_script(
            partial(
                scripts.nuts_script,
                "fit_normal_hierarchy",
                y,
                sigma,
                centered=centered,
                names=names,
                **sizes,
                **priors,
            ),
            label=f", {form}",
            sampler=sampler_words(**sizes),
            lazy=f"schools-{form}",
        )


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

"""The lecture's pages in one list: where each lives, what it is called, and the sampler sizes it
uses by default.

app.py's router, the home page's links and :mod:`hbviz.warmup` all read :data:`PAGES`, and each
page reads its own default sizes from it (:func:`page`), so the sizes the warm-up compiles are the
sizes the pages ask for. Adding a page is one entry here (and the page's script). Plain data:
importing this module costs nothing and needs neither JAX nor Streamlit.
"""

from __future__ import annotations

from typing import NamedTuple


class LecturePage(NamedTuple):
    """One page of the app.

    Sizes are the page's defaults, ``None`` where the page has no such sampler (or, for "Your
    data", where the sizes follow the upload): the warm-up compiles exactly these.
    """

    path: str  # the script, relative to the app's root
    title: str  # shown in the navigation and as the home page's link
    icon: str  # a Material icon
    section: str  # the navigation's heading
    description: str  # the home page's one line under the link
    exact_draws: int | None = None  # draws of the exact (grid + conjugate) sampler
    nuts_chains: int | None = None
    nuts_warmup: int | None = None  # NUTS warm-up steps per chain
    nuts_draws: int | None = None  # NUTS draws per chain, kept after the warm-up
    groups: int | None = None  # J of the lecture's data (observations for levels of pooling)


PAGES: tuple[LecturePage, ...] = (
    LecturePage(
        "pages/home.py",
        "Home",
        ":material/home:",
        "Overview",
        "The model graph and the three levels of pooling in one picture.",
        exact_draws=4000,
        groups=8,
    ),
    LecturePage(
        "pages/levels_of_pooling.py",
        "Levels of pooling",
        ":material/stacks:",
        "Lecture examples",
        "No, complete and partial pooling with NUTS, as in the NumPyro tutorial.",
        # the tutorial's 500 warm-up steps and 1000 draws (it runs one chain; two here show R-hat)
        nuts_chains=2,
        nuts_warmup=500,
        nuts_draws=1000,
        groups=5,
    ),
    LecturePage(
        "pages/free_throws.py",
        "Free throws",
        ":material/sports_basketball:",
        "Lecture examples",
        "Four seasons of one player: independent Beta posteriors, then a hierarchy.",
        exact_draws=10_000,
        groups=4,
    ),
    LecturePage(
        "pages/drug_trial.py",
        "Drug trial (rat tumors)",
        ":material/science:",
        "Lecture examples",
        "A new experiment against 70 historical ones: empirical and full Bayes.",
        exact_draws=4000,
        groups=71,
    ),
    LecturePage(
        "pages/eight_schools.py",
        "Eight schools",
        ":material/school:",
        "Lecture examples",
        "p(τ | y), shrinkage as τ moves, which school is best.",
        # Exact draws: the Monte Carlo error of a quantile is ~0.1 point, below the digits shown.
        exact_draws=10_000,
        nuts_chains=4,
        nuts_warmup=500,
        nuts_draws=500,
        groups=8,
    ),
    LecturePage(
        "pages/simulation_lab.py",
        "Simulation lab",
        ":material/labs:",
        "Beyond the lecture",
        "Set the truth, simulate 1,000 data sets: why partial pooling wins (James–Stein).",
        groups=8,
    ),
    LecturePage(
        "pages/your_data.py",
        "Your data",
        ":material/upload_file:",
        "Your data",
        "Upload or paste grouped data: the same analyses, downloadable.",
    ),
)
HOME = PAGES[0]


def page(path: str) -> LecturePage:
    """The entry of the page whose script is ``path`` (e.g. ``"pages/eight_schools.py"``)."""
    for entry in PAGES:
        if entry.path == path:
            return entry
    raise ValueError(f"no lecture page {path!r}; the pages are {[p.path for p in PAGES]}")


def sections() -> dict[str, list[LecturePage]]:
    """The pages by navigation heading, in order."""
    grouped: dict[str, list[LecturePage]] = {}
    for entry in PAGES:
        grouped.setdefault(entry.section, []).append(entry)
    return grouped


__all__ = ["HOME", "PAGES", "LecturePage", "page", "sections"]

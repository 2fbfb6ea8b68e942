"""The lecture-hall scenario: students arrive, open a page, and move its controls.

Half the sessions open a NUTS page (levels of pooling; eight schools with its NUTS panel on),
half a conjugate page (eight schools, free throws, drug trial), in turn. The sessions arrive
spread evenly over ``arrival`` seconds; each opens its page, then for ``seconds`` seconds moves
one of its page's controls to a new value (a real change of widget state, so the server must
rerun the page), waits for the run to finish, and thinks for 2–5 s before the next move.

Each control takes its values from a short list, the way a class follows the lecturer's
suggestions: several students asking for the same value share one cached computation, and a
value nobody asked for yet costs a new one (a NUTS fit for a new seed, a refit for a new prior).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import numpy as np

from bench.load.client import Session, SessionError

THINK_SECONDS = (2.0, 5.0)


@dataclass(frozen=True)
class Page:
    path: str
    query: str
    nuts: bool
    # (widget key, the values a student picks from)
    controls: tuple[tuple[str, tuple], ...]

    @property
    def name(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")


def grid(low: float, high: float, step: float) -> tuple[float, ...]:
    return tuple(float(v) for v in np.arange(low, high + step / 2, step))


NUTS_PAGES = (
    Page(
        "levels_of_pooling",
        "",
        True,
        (("seed", tuple(range(10))), ("noncentered", (False, True))),
    ),
    Page(
        "eight_schools",
        "nuts=true",
        True,
        (("tau", grid(0.0, 20.0, 0.5)), ("mu_on", (False, True))),
    ),
)
CONJUGATE_PAGES = (
    Page("eight_schools", "", False, (("tau", grid(0.0, 20.0, 0.5)), ("c", grid(0.0, 40.0, 1.0)))),
    Page(
        "free_throws",
        "",
        False,
        (("prior_alpha", grid(0.5, 20.0, 0.5)), ("prior_beta", grid(0.5, 20.0, 0.5))),
    ),
    # y stays at most 14 and n at least 14, so every pair is a valid experiment
    Page(
        "drug_trial",
        "",
        False,
        (("current_y", tuple(range(15))), ("current_n", tuple(range(14, 41)))),
    ),
)


def page_for(i: int) -> Page:
    """Session i's page: even sessions a NUTS page, odd ones a conjugate page, each in turn."""
    pages = NUTS_PAGES if i % 2 == 0 else CONJUGATE_PAGES
    return pages[(i // 2) % len(pages)]


@dataclass
class Record:
    """What one session saw."""

    page: str
    nuts: bool
    open_s: float | None = None
    latencies: list[float] = field(default_factory=list)
    moves: int = 0  # moves sent; each must be answered by a finished run
    error: str | None = None


async def student(
    url: str, page: Page, *, arrival: float, seconds: float, rng: random.Random, timeout: float
) -> Record:
    """One session: arrive, open the page, move its controls for ``seconds``, leave."""
    record = Record(page.name, page.nuts)
    await asyncio.sleep(arrival)
    session = Session(url, page.path, page.query, timeout=timeout)
    try:
        record.open_s = await session.open()
        values = {key: session.widgets[key].value() for key, _ in page.controls}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(*THINK_SECONDS))
            key, choices = rng.choice(page.controls)
            value = rng.choice([v for v in choices if v != values[key]])
            record.moves += 1
            record.latencies.append(await session.move(key, value))
            values[key] = value
    except (SessionError, KeyError) as err:
        record.error = f"{type(err).__name__}: {err}"
    finally:
        await session.close()
    return record


async def lecture_hall(
    url: str,
    sessions: int,
    *,
    seconds: float,
    arrival: float = 10.0,
    timeout: float = 180,
    seed: int = 7,
) -> list[Record]:
    """Run ``sessions`` students against ``url``; return each one's record."""
    rng = random.Random(seed)
    return list(
        await asyncio.gather(
            *(
                student(
                    url,
                    page_for(i),
                    arrival=arrival * i / max(sessions, 1),
                    seconds=seconds,
                    rng=random.Random(rng.random()),
                    timeout=timeout,
                )
                for i in range(sessions)
            )
        )
    )


def summarize(records: list[Record]) -> dict:
    """Latency percentiles and error counts, over all sessions and per kind of page."""

    def stats(rs: list[Record]) -> dict:
        lat = np.array([t for r in rs for t in r.latencies])
        opened = np.array([r.open_s for r in rs if r.open_s is not None])

        def pct(a, q):
            return round(float(np.percentile(a, q)), 3) if a.size else None

        return {
            "sessions": len(rs),
            "connected": int(opened.size),
            "moves": sum(r.moves for r in rs),
            "answered": int(lat.size),
            "rerun_p50_s": pct(lat, 50),
            "rerun_p95_s": pct(lat, 95),
            "rerun_max_s": round(float(lat.max()), 3) if lat.size else None,
            "open_p50_s": pct(opened, 50),
            "open_p95_s": pct(opened, 95),
            "errors": sum(r.error is not None for r in rs),
        }

    return {
        "all": stats(records),
        "nuts": stats([r for r in records if r.nuts]),
        "conjugate": stats([r for r in records if not r.nuts]),
        "error_messages": [f"{r.page}: {r.error}" for r in records if r.error],
    }

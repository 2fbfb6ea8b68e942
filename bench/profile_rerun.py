"""Where one warm rerun of a page goes, by package: cProfile around a single AppTest rerun after
a control moves (default: eight schools' τ slider), its functions' own time summed by the
package that holds them (hbviz, plotly, streamlit, protobuf, numpy, jax, pandas, Python).

Usage (from the repository root)::

    python bench/profile_rerun.py                      # pages/eight_schools.py, slider "tau"
    python bench/profile_rerun.py pages/free_throws.py prior_alpha

Not a timing (cProfile slows Python calls several-fold); the shares say which library a rerun's
Python time is spent in. The control is moved twice first (warm caches and compiled programs);
only the script run of the third move is profiled (not AppTest's waiting around it).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PACKAGES = ("hbviz", "plotly", "_plotly_utils", "streamlit", "google/protobuf", "numpy", "jax")
PACKAGES += ("jaxlib", "pandas", "scipy", "narwhals", "pages")


def package_of(filename: str, function: str) -> str:
    """The package a profiled function belongs to; the standard library by module, C builtins
    by name."""
    path = filename.replace("\\", "/")
    for name in PACKAGES:
        if f"/{name}/" in path or path.startswith(f"{name}/"):
            return name
    if filename == "~":
        return f"builtin {function}"
    if "/lib/python3" in path:
        return f"stdlib {Path(path).stem}"
    return path


def profiled_script_runs(profile: cProfile.Profile):
    """Profile the script runs themselves: AppTest runs the page in its own thread, which a
    profiler started in this one does not see. Wraps Streamlit's (private)
    ``ScriptRunner._run_script``, which runs a page once."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    run_script = ScriptRunner._run_script
    state = {"on": False}

    def _run_script(self, rerun_data):
        if not state["on"]:
            return run_script(self, rerun_data)
        profile.enable()
        try:
            return run_script(self, rerun_data)
        finally:
            profile.disable()

    ScriptRunner._run_script = _run_script
    return state


def main(page: str = "pages/eight_schools.py", key: str = "tau") -> None:
    from streamlit.testing.v1 import AppTest

    profile = cProfile.Profile()
    profiling = profiled_script_runs(profile)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.switch_page(page)
    at.run()
    slider = next(w for w in at.sidebar.slider if w.key == key)
    for step in (1, 2):  # warm: the second move is what a student's next move meets
        slider.set_value(slider.value + slider.step * step).run()
        slider = next(w for w in at.sidebar.slider if w.key == key)
    profiling["on"] = True
    slider.set_value(slider.value + slider.step).run()
    profiling["on"] = False
    stats = pstats.Stats(profile)
    own = defaultdict(float)
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():
        own[package_of(filename, function)] += tottime
    total = sum(own.values())
    print(f"{page}, {key} moved once, warm: {total * 1e3:.0f} ms of Python time under cProfile")
    for name, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {name:40s} {seconds * 1e3:7.1f} ms  {seconds / total:6.1%}")
    stats.sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main(*sys.argv[1:])

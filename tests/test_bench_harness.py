"""The benchmark's own instruments (bench/harness.py, bench/page_reruns.py) see what they claim:
compiles through JAX's monitoring events, and only the public functions of hbviz."""

from __future__ import annotations

import jax
import numpy as np

from bench.harness import CompileLog
from bench.page_reruns import public_functions
from hbviz import nuts


def test_compile_log_counts_new_programs_and_not_cached_calls():
    log = CompileLog()
    double = jax.jit(lambda x: 2.0 * x + 1.0)
    x = np.arange(3.0)

    before = log.snapshot()
    double(x)
    first = CompileLog.since(before, log.snapshot())
    assert first["programs"] >= 1
    assert first["trace"] > 0 and first["compile"] > 0

    before = log.snapshot()
    double(x + 1.0)  # same shape: the compiled program is re-used
    assert CompileLog.since(before, log.snapshot())["programs"] == 0

    before = log.snapshot()
    double(np.arange(4.0))  # a new shape compiles again
    assert CompileLog.since(before, log.snapshot())["programs"] >= 1


def test_public_functions_are_the_exported_ones():
    found = public_functions(nuts)
    assert "fit_normal_hierarchy" in found
    assert set(found) <= set(nuts.__all__)
    assert not any(name.startswith("_") for name in found)


def test_replace_sections_swaps_one_numbered_section_and_keeps_the_rest():
    from bench.harness import Section, replace_sections

    document = (
        "# results\n\n- Date: then\n\n## 1. One\n\nold one\n\n## 6. Six\n\nold six\n\n"
        "Load average (1, 5, 15 min) at the end: 1.00.\n"
    )
    new_six = Section("6. Six, renamed", [], notes=["new six"])
    seven = Section("7. Seven", [], notes=["seven"])
    out = replace_sections(document, [seven, new_six])
    assert "old six" not in out and "- new six" in out and "old one" in out
    assert out.index("## 1. One") < out.index("## 6. Six, renamed") < out.index("## 7. Seven")
    assert out.startswith("# results\n\n- Date: then\n\n## 1. One")
    assert out.rstrip().endswith("at the end: 1.00.")


def test_summary_lists_every_target_and_replaces_only_readmes_marked_block():
    from bench.harness import (
        SUMMARY_END,
        SUMMARY_START,
        Section,
        replace_summary,
        summary_section,
    )

    three = Section("3. NUTS", [], verdicts=[("refit ≤ 0.5 s (311 ms)", True)])
    nine = Section("9. Peers", [], verdicts=[("faster than nutpie (311 ms against 81 ms)", False)])
    summary = summary_section([three, Section("5. Pages", []), nine])
    assert summary.rows == [
        ["§3", "refit ≤ 0.5 s (311 ms)", "met"],
        ["§9", "faster than nutpie (311 ms against 81 ms)", "**missed**"],
    ]
    assert "1 of 2 targets met" in summary.markdown()

    readme = f"# hbviz\n\nintro\n\n{SUMMARY_START}\nold table\n{SUMMARY_END}\n\nrest\n"
    out = replace_summary(readme, "new table\n")
    assert out == f"# hbviz\n\nintro\n\n{SUMMARY_START}\nnew table\n{SUMMARY_END}\n\nrest\n"
    assert replace_summary("# no markers\n", "new table") == "# no markers\n"

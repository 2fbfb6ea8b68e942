"""hbviz turns on XLA's native loops (hbviz/__init__.py): the option reaches XLA_FLAGS, merged
with what a user set there, and a process that opts out keeps XLA's default."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import hbviz
from hbviz import NATIVE_LOOPS_OPTION, with_native_loops, without_native_loops

FLAG = f"--xla_backend_extra_options={NATIVE_LOOPS_OPTION}"


def test_importing_hbviz_sets_the_option():
    if os.environ.get("HBVIZ_NATIVE_LOOPS", "1") == "0":
        pytest.skip("this run opted out")
    assert NATIVE_LOOPS_OPTION in os.environ["XLA_FLAGS"]
    assert hbviz.NATIVE_LOOPS_OPTION == NATIVE_LOOPS_OPTION


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("", FLAG),
        ("--xla_dump_to=/tmp/x", f"--xla_dump_to=/tmp/x {FLAG}"),
        (
            "--xla_backend_extra_options=a=1 --foo",
            f"--xla_backend_extra_options=a=1,{NATIVE_LOOPS_OPTION} --foo",
        ),
        # a threshold the user chose is theirs
        (
            "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=5",
            "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=5",
        ),
        ("--xla_backend_extra_options=", FLAG),
    ],
)
def test_the_option_is_merged_into_existing_flags(flags, expected):
    assert with_native_loops(flags) == expected
    assert with_native_loops(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (FLAG, ""),
        (f"--xla_dump_to=/tmp/x {FLAG}", "--xla_dump_to=/tmp/x"),
        (
            f"--xla_backend_extra_options=a=1,{NATIVE_LOOPS_OPTION} --foo",
            "--xla_backend_extra_options=a=1 --foo",
        ),
        # a threshold the user chose is theirs
        (
            "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=5",
            "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=5",
        ),
    ],
)
def test_the_option_comes_out_as_it_went_in(flags, expected):
    assert without_native_loops(flags) == expected


def test_a_process_can_opt_out_even_below_one_that_set_the_option():
    """A child of a process that imported hbviz inherits the option in XLA_FLAGS; with
    HBVIZ_NATIVE_LOOPS=0 it runs with XLA's default loops (the benchmark's A/B does this)."""
    env = {**os.environ, "HBVIZ_NATIVE_LOOPS": "0", "XLA_FLAGS": f"--xla_dump_to=/tmp/x {FLAG}"}
    out = subprocess.run(
        [sys.executable, "-c", "import os, hbviz; print(os.environ['XLA_FLAGS'])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "--xla_dump_to=/tmp/x"

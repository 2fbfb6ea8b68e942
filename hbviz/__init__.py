"""hbviz: pooling and shrinkage in Bayesian hierarchical models.

Importing the package configures JAX once for every module in it:

- 64-bit floats, because the exact samplers work in log space with `gammaln` of counts up to 1e6,
  where float32 loses whole units of log density;
- a persistent compilation cache in a folder the project owns (``HBVIZ_JAX_CACHE_DIR``, by default
  ``.jax_cache`` beside the package), so a new server process starts warm. The minimum compile time
  and entry size are lowered because with JAX's defaults almost nothing is stored;
- XLA's CPU backend compiles every ``while`` loop whose body holds up to 1 MiB into native code
  (``XLA_FLAGS``, before JAX starts its backend; ``HBVIZ_NATIVE_LOOPS=0`` leaves XLA's default of
  1 KiB). Above the threshold XLA runs a loop as a sequence of separately dispatched kernels, each
  with a fixed cost of tens of nanoseconds: NumPyro's NUTS tree building is such a loop, and a
  leapfrog step of eight schools cost 5–12 µs that way against 0.5 µs compiled whole, with the
  same draws (NumPyro's ``NUTS.sample`` in a jitted ``lax.scan``, timed with and without the
  option, 2026-11-26): a NUTS refit of eight schools, 4 × (1000 + 1000), 0.26 s → 0.07 s on 2 cores
  (bench/RESULTS.md §3), a regression refit of 85 groups 0.73 s → 0.21 s
  (``bench.regression._refits(_data(85, 1000, 0), 4)`` under each threshold). Larger bodies, such as
  the exact samplers' loops over thousands of draws, keep XLA's kernels: compiled whole (a
  threshold of 8 MiB) the exact eight-schools sampler took 1.9 ms instead of 1.5.
"""

from __future__ import annotations

import os
from pathlib import Path

# XLA's option, in a jaxlib-specific flag: the largest loop body (bytes) compiled into one native
# function instead of a chain of dispatched kernels (XLA's default: 1024). 1 MiB takes in the
# lecture's NUTS programs and the 85-group regression's (64 KiB left that one on kernels: a refit
# 0.73 s against 0.21 s) and leaves the exact samplers' loops over thousands of draws on XLA's
# kernels (from 8 MiB on, the exact eight-schools sampler is slower).
NATIVE_LOOPS_OPTION = "xla_cpu_small_while_loop_byte_threshold=1048576"


def with_native_loops(flags: str) -> str:
    """``flags`` (an ``XLA_FLAGS`` value) with :data:`NATIVE_LOOPS_OPTION` added to its
    ``--xla_backend_extra_options`` (or in a new one); unchanged if the option is set already."""
    name = NATIVE_LOOPS_OPTION.split("=", 1)[0]
    tokens = flags.split()
    for i, token in enumerate(tokens):
        if token.startswith("--xla_backend_extra_options="):
            options = token.split("=", 1)[1]
            if name not in [option.split("=", 1)[0] for option in options.split(",")]:
                tokens[i] = (
                    f"{token},{NATIVE_LOOPS_OPTION}" if options else token + NATIVE_LOOPS_OPTION
                )
            return " ".join(tokens)
    return " ".join([*tokens, f"--xla_backend_extra_options={NATIVE_LOOPS_OPTION}"])


def without_native_loops(flags: str) -> str:
    """``flags`` without :data:`NATIVE_LOOPS_OPTION` (as :func:`with_native_loops` adds it; a
    threshold of another value is the user's and stays)."""
    tokens = []
    for token in flags.split():
        if token.startswith("--xla_backend_extra_options="):
            options = [o for o in token.split("=", 1)[1].split(",") if o != NATIVE_LOOPS_OPTION]
            if not any(options):
                continue
            token = "--xla_backend_extra_options=" + ",".join(options)
        tokens.append(token)
    return " ".join(tokens)


# HBVIZ_NATIVE_LOOPS=0 leaves XLA's default, also in a child of a process that set the option
_choose = (
    with_native_loops if os.environ.get("HBVIZ_NATIVE_LOOPS", "1") != "0" else without_native_loops
)
os.environ["XLA_FLAGS"] = _choose(os.environ.get("XLA_FLAGS", ""))
if not os.environ["XLA_FLAGS"]:
    del os.environ["XLA_FLAGS"]

import jax  # noqa: E402 - after XLA_FLAGS, which XLA reads when JAX starts its backend

__all__ = [
    "JAX_CACHE_DIR",
    "NATIVE_LOOPS_OPTION",
    "__version__",
    "with_native_loops",
    "without_native_loops",
]
__version__ = "0.1.0"

JAX_CACHE_DIR = Path(
    os.environ.get("HBVIZ_JAX_CACHE_DIR", Path(__file__).resolve().parent.parent / ".jax_cache")
)

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_compilation_cache_dir", str(JAX_CACHE_DIR))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

"""hbviz: pooling and shrinkage in Bayesian hierarchical models.

Importing the package configures JAX once for every module in it:

- 64-bit floats, because the exact samplers work in log space with `gammaln` of counts up to 1e6,
  where float32 loses whole units of log density;
- a persistent compilation cache in a folder the project owns (``HBVIZ_JAX_CACHE_DIR``, by default
  ``.jax_cache`` beside the package), so a new server process starts warm. The minimum compile time
  and entry size are lowered because with JAX's defaults almost nothing is stored.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

__all__ = ["JAX_CACHE_DIR", "__version__"]
__version__ = "0.1.0"

JAX_CACHE_DIR = Path(
    os.environ.get("HBVIZ_JAX_CACHE_DIR", Path(__file__).resolve().parent.parent / ".jax_cache")
)

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_compilation_cache_dir", str(JAX_CACHE_DIR))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

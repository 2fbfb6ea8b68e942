"""Lowered NUTS programs kept on disk, so a new process neither traces nor lowers them again.

JAX's persistent cache (:mod:`hbviz`'s ``JAX_CACHE_DIR``) keeps compiled executables, but a new
process finds one only after it has traced and lowered the program: for a NUTS program NumPyro
builds the model and the sampler in Python, about 1.1 s, and lowering takes 0.3 s more (bench/
RESULTS.md, Cold start). :func:`build` keeps each program as ``jax.export`` keeps it (StableHLO,
serialized) in ``JAX_CACHE_DIR/hbviz-exported``. Programs here take and return flat lists of
arrays, so the file needs nothing but the serialized program (its argument shapes included) and
a little JSON the caller wrote while tracing (which result is which): no pickle, nothing run but
XLA. A later process deserializes it in milliseconds and compiles it, which the persistent cache
answers.

On a miss, :func:`build` first asks a short-lived child process to build the program (given a
``child`` recipe): the child traces, lowers and compiles it, writing the file and JAX's persistent
cache entry, and this process then loads both. A server thus never holds a compiler's working
memory (200–250 MB above its resident size while XLA compiles a NUTS program) nor spends its
own interpreter on NumPyro's tracing. ``HBVIZ_COMPILE_IN_CHILD=0`` builds in-process instead
(the test suite's in-process tests do, to keep their speed; its servers build in children).

A file is named by a digest of everything the program depends on: the versions of JAX, jaxlib
and NumPyro, the text of every module of hbviz, the program's name, its static arguments and its
argument types. Any change makes a new name; a file that cannot be read is ignored and written
again. Files are written whole and renamed into place, so a process never reads a half-written
one.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

import jax
import numpy as np

from hbviz import JAX_CACHE_DIR

STORE = JAX_CACHE_DIR / "hbviz-exported"

try:  # jax.export's serialization needs flatbuffers (requirements.txt pins it)
    from jax import export

    export.deserialize  # noqa: B018 - fail here, not at the first program, if it is missing
    import flatbuffers  # noqa: F401
except ImportError:  # without it every program is traced, as JAX does by default
    export = None


@cache
def _environment_digest() -> str:
    digest = hashlib.sha256()
    for package in ("jax", "jaxlib", "numpyro"):
        digest.update(f"{package}=={metadata.version(package)};".encode())
    package_dir = Path(__file__).resolve().parent
    for module in sorted(package_dir.glob("*.py")):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _compile_in_child() -> bool:
    return export is not None and os.environ.get("HBVIZ_COMPILE_IN_CHILD", "1") != "0"


def _path(name: str, key: tuple) -> Path:
    digest = hashlib.sha256(f"{_environment_digest()}|{name}|{key!r}".encode())
    return STORE / f"{name}-{digest.hexdigest()[:32]}.bin"


_MAGIC = b"hbviz-exported 2\n"


def _load(path: Path):
    """(exported program, meta) from ``path``, or None if it is missing or unreadable."""
    try:
        blob = path.read_bytes()
        if not blob.startswith(_MAGIC):
            return None
        header, program = blob[len(_MAGIC) :].split(b"\n", 1)
        return export.deserialize(bytearray(program)), json.loads(header)
    except Exception:  # missing, truncated, or written by another version: build it again
        return None


def _save(path: Path, exported, meta: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps(meta, separators=(",", ":")).encode()
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
            file.write(_MAGIC + header + b"\n" + bytes(exported.serialize()))
        os.replace(file.name, path)
    except Exception:  # a read-only or full disk: the program still runs, the next process traces
        return


def _build_in_child(child: dict, path: Path) -> None:
    """Run ``child["builder"]`` (``"module:function"``) on ``child["spec"]`` in a new Python
    process, which writes ``path``; failures are left to the caller (it finds no file)."""
    request = {**child, "store": str(STORE), "path": str(path)}
    try:
        subprocess.run(
            [sys.executable, "-c", "from hbviz import _exported; _exported._child_main()"],
            input=json.dumps(request),
            text=True,
            capture_output=True,
            timeout=900,
            env={**os.environ, "HBVIZ_WARM_UP": "0", "HBVIZ_COMPILE_IN_CHILD": "0"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return


def _child_main() -> None:
    """The child's side of :func:`_build_in_child`: build, store, compile (which fills JAX's
    persistent cache), and check that the file is where the parent will look."""
    global STORE
    request = json.loads(sys.stdin.read())
    STORE = Path(request["store"])  # the parent's (a test may have moved it)
    module, function = request["builder"].split(":")
    path = getattr(importlib.import_module(module), function)(request["spec"])
    if str(path) != request["path"]:
        raise SystemExit(f"built {path}, but the parent expects {request['path']}")


def build(
    name: str,
    key: tuple,
    trace: Callable[[], tuple[Callable, list, dict]],
    *,
    child: dict | None = None,
) -> tuple[Callable, dict, list]:
    """The compiled program ``name`` with ``key``, its meta and its argument types.

    ``key`` (hashable, with a stable ``repr``) must tell apart every program ``name`` can stand
    for. ``trace()`` is called only when the program is not on disk: it returns a function of a
    flat list of arrays returning a flat list, example arguments (shapes and types are what
    count), and a dict of JSON values that the function fills while it is traced (what its
    results are). Call under the caller's tracing lock. ``child``
    (``{"builder": "module:function", "spec": ...}``, JSON) builds the same program in a child
    process first: ``function(spec)`` there must call :func:`build` with the same ``name`` and
    ``key`` and return the path it wrote.

    Returns the compiled program (called with the flat arguments, returning the flat results),
    the meta, and the arguments' types (``jax.ShapeDtypeStruct``).
    """
    stored = None if export is None else _load(path := _path(name, key))
    if stored is None and child is not None and _compile_in_child():
        _build_in_child(child, path)
        stored = _load(path)
    if stored is None:
        function, example, meta = trace()
        if export is None:
            lowered = jax.jit(function).lower(*example)
            types = [jax.ShapeDtypeStruct(np.shape(x), np.result_type(x)) for x in example]
            return lowered.compile(), meta, types
        exported = export.export(jax.jit(function))(*example)
        _save(path, exported, meta)
    else:
        exported, meta = stored
    types = [jax.ShapeDtypeStruct(aval.shape, aval.dtype) for aval in exported.in_avals]
    return jax.jit(exported.call).lower(*types).compile(), meta, types

"""Lowered NUTS programs kept on disk, so a new process neither traces nor lowers them again.

JAX's persistent cache (:mod:`hbviz`'s ``JAX_CACHE_DIR``) keeps compiled executables, but a new
process finds one only after it has traced and lowered the program: for a NUTS program NumPyro
builds the model and the sampler in Python, about 1.1 s, and lowering takes 0.3 s more (bench/
RESULTS.md, Cold start). :func:`build` keeps each program as ``jax.export`` keeps it (StableHLO,
serialized) in ``JAX_CACHE_DIR/hbviz-exported``, with what it needs to be called again: the
pytree structures of its arguments and results and a zero-filled example of its arguments (the
chains' initial state is an argument of the program, and only a trace knows its shapes). A later
process deserializes it in milliseconds and compiles it, which the persistent cache answers.

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
one. They are trusted as JAX's own cache is: the folder is the project's.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pickle
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


def _load(path: Path):
    try:
        with path.open("rb") as file:
            blob, in_tree, out_tree, example = pickle.load(file)
        return export.deserialize(bytearray(blob)), in_tree, out_tree, example
    except Exception:  # missing, truncated, or written by another version: build it again
        return None


def _save(path: Path, exported, in_tree, out_tree, example) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps((bytes(exported.serialize()), in_tree, out_tree, example))
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
            file.write(payload)
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
    function: Callable,
    example: Callable[[], tuple],
    *,
    child: dict | None = None,
) -> tuple[Callable, tuple]:
    """The compiled program of ``function(*args)`` and an example of its arguments.

    ``key`` (hashable, with a stable ``repr``) must tell apart every program that ``function``
    and ``name`` can stand for; ``example()`` gives arguments of the right pytree structure,
    shapes and types (it may trace, and is called only when the program is not on disk). Call
    under the caller's tracing lock. The program takes arguments of the example's structure and
    returns ``function``'s results. ``child`` (``{"builder": "module:function", "spec": ...}``,
    JSON) builds the same program in a child process: ``function(spec)`` there must call
    :func:`build` with the same ``name`` and ``key`` and return the path it wrote.
    """
    stored = None if export is None else _load(path := _path(name, key))
    if stored is None and child is not None and _compile_in_child():
        _build_in_child(child, path)
        stored = _load(path)
    if stored is None:
        args = example()
        leaves, in_tree = jax.tree.flatten(args)
        if export is None:
            return jax.jit(function).lower(*args).compile(), args
        results = []

        def flat(*leaves):
            outputs, tree = jax.tree.flatten(function(*jax.tree.unflatten(in_tree, leaves)))
            results.append(tree)
            return outputs

        exported = export.export(jax.jit(flat))(*leaves)
        out_tree, example_leaves = results[-1], [np.asarray(leaf) for leaf in leaves]
        _save(path, exported, in_tree, out_tree, example_leaves)
    else:
        exported, in_tree, out_tree, example_leaves = stored
    compiled = jax.jit(exported.call).lower(*example_leaves).compile()

    def program(*args):
        return jax.tree.unflatten(out_tree, compiled(*jax.tree.leaves(args)))

    return program, jax.tree.unflatten(in_tree, example_leaves)

"""Compiled programs and shared computations that several threads of one process can ask for.

Streamlit runs each session's script in its own thread, and hbviz's warm-up runs in another.
NumPyro keeps its effect handlers in one process-wide stack (``numpyro.primitives._PYRO_STACK``),
so two threads tracing a model at once push and pop each other's handlers ("all sites must have
unique names", ``assert _PYRO_STACK[-1] is self``). Running a compiled program touches no Python
state, so only tracing and compiling need to take turns:

- :class:`ProgramCache` traces and compiles (a ``build`` function of the caller's) under one
  process-wide lock, :data:`TRACING_LOCK`, and keeps the executables in its own bounded
  least-recently-used table. Programs can be marked as kept (the lecture's sizes, compiled by the
  warm-up), which are never evicted. Calls of the executables run outside the lock, side by side.
- :class:`SharedCalls` runs identical requests once: a second caller waits for the first one's
  result, and meanwhile sees the first one's progress through its own callback, in its own thread
  (Streamlit elements can only be updated from their session's thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

# One lock for every trace of a NumPyro model in the process (re-entrant, so that a traced
# function may itself ask for a program without deadlocking its own thread).
TRACING_LOCK = threading.RLock()

WAITING_FOR_COMPILE = "waiting for another fit to finish compiling"
COMPILING = "compiling the sampler for these sizes (a few seconds, once per size)"
WAITING_FOR_SAME_FIT = "waiting for the same fit, already started by another session"

Status = Callable[[str], object] | None


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    return None if name is None else ctypes.CDLL(name)


def _release_freed_memory() -> None:
    """Hand memory that glibc's allocator keeps after frees back to the system.

    An evicted executable's code and buffers are freed, but glibc keeps freed pages in its arenas
    (one per thread that allocated them), so the process's RSS would not go down without this.
    """
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


class ProgramCache:
    """Compiled programs, keyed by what tells them apart (function, static arguments, input types).

    Parameters
    ----------
    capacity : int
        How many programs that are not kept it holds; past that, the least recently used one is
        dropped (and compiles again, from JAX's persistent cache when it has it, if asked again).
    """

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1; got {capacity}")
        self.capacity = capacity
        self._programs: OrderedDict[Hashable, object] = OrderedDict()
        self._kept: set[Hashable] = set()
        self._table_lock = threading.Lock()
        self.compiles = 0  # programs traced and compiled by this cache, evicted ones included
        self.evictions = 0

    def __len__(self) -> int:
        with self._table_lock:
            return len(self._programs)

    def kept(self) -> int:
        with self._table_lock:
            return len(self._kept)

    def _lookup(self, key: Hashable, keep: bool):
        with self._table_lock:
            program = self._programs.get(key)
            if program is not None:
                self._programs.move_to_end(key)
                if keep:
                    self._kept.add(key)
            return program

    def _store(self, key: Hashable, program, keep: bool) -> None:
        with self._table_lock:
            self._programs[key] = program
            if keep:
                self._kept.add(key)
            evicted = []
            for old in list(self._programs):
                if len(self._programs) - len(self._kept) <= self.capacity:
                    break
                if old not in self._kept:
                    evicted.append(self._programs.pop(old))
            self.evictions += len(evicted)
        del evicted  # the last references: XLA frees the executables here

    def get(
        self,
        key: Hashable,
        build: Callable[[], object],
        *,
        keep: bool = False,
        status: Status = None,
    ):
        """The program stored under ``key``, built by ``build()`` on first request.

        ``build`` traces and compiles (e.g. ``jax.jit(f).lower(*args).compile()``); it runs under
        :data:`TRACING_LOCK`, once per key however many threads ask at once. ``status`` is called
        (in the caller's thread) with :data:`WAITING_FOR_COMPILE` when another thread holds the
        lock, and with :data:`COMPILING` before this call builds.
        """
        program = self._lookup(key, keep)
        if program is not None:
            return program
        if not TRACING_LOCK.acquire(blocking=False):
            if status is not None:
                status(WAITING_FOR_COMPILE)
            TRACING_LOCK.acquire()
        try:
            program = self._lookup(key, keep)  # built by the thread we waited for?
            if program is not None:
                return program
            if status is not None:
                status(COMPILING)
            program = build()
            self.compiles += 1
        finally:
            TRACING_LOCK.release()
        self._store(key, program, keep)
        # the compiler's working memory, and any evicted program, is freed by now: hand it back
        _release_freed_memory()
        return program

    def clear(self) -> None:
        with self._table_lock:
            self._programs.clear()
            self._kept.clear()
        _release_freed_memory()


class _Call:
    def __init__(self):
        self.changed = threading.Condition()
        self.fraction: float | None = None
        self.done = False
        self.failed = False
        self.result = None

    def report(self, fraction: float) -> None:
        with self.changed:
            self.fraction = fraction
            self.changed.notify_all()

    def finish(self, result, failed: bool) -> None:
        with self.changed:
            self.result, self.failed, self.done = result, failed, True
            self.changed.notify_all()


class SharedCalls:
    """Run identical requests once; later callers wait for the first one's result."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls: dict[Hashable, _Call] = {}
        self.computations = 0  # calls of ``compute``, shared ones counted once

    def run(
        self,
        key: Hashable,
        compute: Callable[[Callable[[float], object] | None], object],
        *,
        progress: Callable[[float], object] | None = None,
        status: Status = None,
    ):
        """``compute(report)`` once per ``key`` at a time, and its result to every caller.

        ``report`` is None when ``progress`` is None; otherwise the first caller's ``compute``
        calls it with the fraction done, and every caller (first or waiting) sees that fraction
        through its own ``progress``, called in its own thread. If the first caller fails (an
        error, or its own callback interrupting it, as Streamlit does when a user moves a
        control), a waiting caller is not handed that error: it runs the computation itself.
        """
        while True:
            with self._lock:
                call = self._calls.get(key)
                first = call is None
                if first:
                    call = self._calls[key] = _Call()
                    self.computations += 1
            if first:
                return self._compute(key, call, compute, progress)
            if status is not None:
                status(WAITING_FOR_SAME_FIT)
            seen = None
            while True:
                with call.changed:
                    call.changed.wait_for(lambda c=call, s=seen: c.done or c.fraction != s)
                    done, failed, fraction = call.done, call.failed, call.fraction
                if progress is not None and fraction is not None and fraction != seen:
                    progress(fraction)
                seen = fraction
                if done:
                    break
            if not failed:
                return call.result

    def _compute(self, key, call: _Call, compute, progress):
        def report(fraction: float) -> None:
            call.report(fraction)
            progress(fraction)

        try:
            result = compute(None if progress is None else report)
        except BaseException:
            with self._lock:
                del self._calls[key]
            call.finish(None, failed=True)
            raise
        with self._lock:
            del self._calls[key]
        call.finish(result, failed=False)
        return result

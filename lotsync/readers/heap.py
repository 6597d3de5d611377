"""Memory a stage freed, given back to the system.

Why: CPython allocates its small objects in arenas of its own, but lists' pointer arrays,
dicts' tables, arrays and everything calamine allocates in Rust come from the C heap
(glibc malloc).  A stage that frees a lot of that (calamine's sheet: a string per cell; the
parser's column lists) leaves holes the C heap keeps: measured at 200k visit rows, 43 MB
after the read and 52 MB after the parse, counted in every later stage's peak (the run's
peak, in reconcile, fell from 301 to 267 MB with the two trims).  glibc's `malloc_trim(0)`
returns every free page of the heap (a few ms).  Elsewhere (no glibc) it does nothing.

Rejected: `M_TRIM_THRESHOLD` / `M_MMAP_THRESHOLD` tuning through mallopt (process-wide,
changes every later allocation's cost, and glibc's dynamic mmap threshold already moved
past what the parser allocates); a trim after every allocation-heavy function (each trim
walks the heap: a few places that free hundreds of MB are enough).
"""

from __future__ import annotations

from typing import Any

_TRIM: Any = None


def release_freed_memory() -> None:
    """Return the C heap's free pages to the system (glibc only; else nothing)."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes
            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
            _TRIM.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


__all__ = ["release_freed_memory"]

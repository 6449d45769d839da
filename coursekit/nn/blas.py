"""Run BLAS single-threaded for the small matrix products of this course.

The products here are small (at most a few thousand rows by a few hundred columns). Splitting
them across OpenBLAS threads gains little on an idle machine, and on a busy one (a shared
2-core machine, a classroom server) the threads wait for each other: a full-batch training
step measured 20× slower with 2 threads than with 1 under load. ``fit``, ``evaluate`` and the
curvature tools therefore run inside ``blas_threads(1)`` unless told otherwise.
"""

from __future__ import annotations

import contextlib
import functools

_CONTROLLER = None


def blas_threads(limit: int | None = 1):
    """A context manager limiting BLAS to ``limit`` threads (None: leave it unchanged)."""
    global _CONTROLLER
    if limit is None:
        return contextlib.nullcontext()
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=int(limit), user_api="blas")


def single_threaded(func):
    """Decorator: run ``func`` inside ``blas_threads(1)``."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with blas_threads(1):
            return func(*args, **kwargs)
    return wrapper

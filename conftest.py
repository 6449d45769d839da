"""Run every lesson a second time under another OpenBLAS kernel family.

A stored output must hold on any CPU, and OpenBLAS picks its kernels (Haswell, SkylakeX,
Sandybridge, Prescott, ...) by CPU, so the last bits of a matrix product differ between
machines. Under ``--nbval`` each lesson is collected twice: as usual, by a kernel on this
machine's native OpenBLAS kernels, and as ``<lesson>.ipynb[blas=<family>]``, by a kernel
started with ``OPENBLAS_CORETYPE=<family>``: Prescott (SSE3, no FMA: the most different
rounding), or Haswell where Prescott is the native family. ``COURSEKIT_SECOND_BLAS=<family>``
picks another one, ``COURSEKIT_SECOND_BLAS=none`` turns the second run off. The two copies
are separate files to pytest-xdist's ``--dist loadfile``, so they run in parallel.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

LESSONS = Path(__file__).resolve().parent / "notebooks"


def native_blas_family() -> str:
    """The OpenBLAS kernel family numpy uses in this process (e.g. 'SkylakeX')."""
    import numpy  # noqa: F401  (threadpoolctl sees only libraries already loaded)
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib.get("internal_api") == "openblas":
            return lib.get("architecture") or "unknown"
    return "unknown"


def second_blas_family() -> str | None:
    """The kernel family of the second run, or None when it is turned off."""
    chosen = os.environ.get("COURSEKIT_SECOND_BLAS", "").strip()
    if chosen.lower() == "none":
        return None
    if chosen:
        return chosen
    native = os.environ.get("OPENBLAS_CORETYPE") or native_blas_family()
    return "Haswell" if native.lower() == "prescott" else "Prescott"


@contextmanager
def environment(**values: str):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


KERNEL_STARTS = 3  # attempts to start a lesson's kernel


def pytest_configure(config):
    """Under --nbval, a lesson kernel that dies before answering (seen once in a fresh-clone
    run: "Kernel died before replying to kernel_info", 19 cells of one lesson errored; nbval
    sends the kernel's stderr to /dev/null, so the cause was not visible) is started again,
    up to KERNEL_STARTS times. Only the start is retried: every cell still runs once and is
    compared as before."""
    if not config.option.nbval:
        return
    import warnings

    import nbval.kernel

    start = nbval.kernel.start_new_kernel

    def start_new_kernel(*args, **kwargs):
        for attempt in range(1, KERNEL_STARTS + 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError as exc:
                if attempt == KERNEL_STARTS:
                    raise
                warnings.warn(f"a lesson kernel failed to start ({exc}); starting another "
                              f"(attempt {attempt + 1} of {KERNEL_STARTS})", stacklevel=1)
        raise AssertionError("unreachable")

    nbval.kernel.start_new_kernel = start_new_kernel


def pytest_report_header(config):
    if config.option.nbval:
        second = second_blas_family()
        return (f"OpenBLAS kernels: native {native_blas_family()}; lessons again under "
                f"{second or '(off)'}")
    return None


def pytest_collect_file(file_path, parent):
    if not (parent.config.option.nbval and file_path.suffix == ".ipynb"
            and file_path.parent == LESSONS):
        return None
    family = second_blas_family()
    if family is None:
        return None
    from nbval.plugin import IPyNbFile

    class LessonUnderOtherBlas(IPyNbFile):
        """The lesson again, its kernel started with ``OPENBLAS_CORETYPE=family``."""

        def setup(self):
            with environment(OPENBLAS_CORETYPE=family):
                super().setup()

    rel = file_path.relative_to(parent.config.rootpath)
    return LessonUnderOtherBlas.from_parent(parent, path=file_path,
                                            nodeid=f"{rel}[blas={family}]")


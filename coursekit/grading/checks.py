"""Assertions for exercise tests that tell a student what to look at.

The test cells of ``solutions/`` import these. Each check raises ``AssertionError`` whose
first line names the quantity, the size of the error and, when the answer matches a known
mistake, that mistake: ``adam_step: theta after one step looks like the bias correction is
missing (m_hat = m / (1 - beta1**t))``. The grader shows that first line as feedback.

A mistake is given as ``(value, hint)``: the value a specific wrong formula would produce,
computed from its own closed form in the test, never copied from a solution's output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.testing import assert_allclose as _numpy_assert_allclose

Mistake = tuple[object, str]


def _as_array(actual: object, what: str) -> np.ndarray:
    if actual is None:
        raise AssertionError(f"{what} is None: did the function forget to `return` it?")
    try:
        arr = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{what} should be a number or an array of numbers; got {type(actual).__name__}"
        ) from None
    return arr


def _matches(actual: np.ndarray, value: object, rtol: float, atol: float) -> bool:
    with np.errstate(all="ignore"):
        ref = np.asarray(value, dtype=np.float64)
        if ref.shape != actual.shape or not np.all(np.isfinite(ref)):
            return False
        return bool(np.allclose(actual, ref, rtol=rtol, atol=atol))


def assert_close(
    actual: object,
    expected: object,
    what: str,
    *,
    rtol: float = 1e-7,
    atol: float = 0.0,
    mistakes: Iterable[Mistake] = (),
    nonfinite_hint: str = "",
) -> None:
    """Assert ``|actual - expected| <= atol + rtol |expected|`` elementwise, shapes equal.

    On failure the message starts with ``what`` and, if ``actual`` matches one of the
    ``mistakes`` (same tolerance), that mistake's hint; a NaN/inf answer gets
    ``nonfinite_hint``. The comparison itself is numpy's ``assert_allclose``, bound when this
    module is imported, so a submission that later rebinds ``np.testing.assert_allclose``
    does not change it.
    """
    act = _as_array(actual, what)
    exp = np.asarray(expected, dtype=np.float64)
    if act.shape != exp.shape:
        hint = " (transposed?)" if act.shape == exp.shape[::-1] and act.ndim > 1 else ""
        raise AssertionError(f"{what} has shape {act.shape}, expected {exp.shape}{hint}")
    if not np.all(np.isfinite(act)) and np.all(np.isfinite(exp)):
        raise AssertionError(f"{what} contains NaN or inf" + (f": {nonfinite_hint}" if
                                                                nonfinite_hint else ""))
    try:
        _numpy_assert_allclose(act, exp, rtol=rtol, atol=atol)
    except AssertionError as failure:
        for value, hint in mistakes:
            if _matches(act, value, rtol, atol):
                raise AssertionError(f"{what} looks like {hint}") from None
        with np.errstate(all="ignore"):
            err = np.abs(act - exp)
        worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
        at = f" at index {tuple(int(i) for i in worst)}" if worst else ""
        raise AssertionError(
            f"{what} is off by up to {float(err[worst]):.3g}{at}: got {float(act[worst]):.6g}, "
            f"expected {float(exp[worst]):.6g} (rtol={rtol:g}, atol={atol:g})\n{failure}"
        ) from None
    return None


def assert_tuple(result: object, names: Sequence[str], what: str) -> tuple:
    """Assert ``result`` is a tuple (or list) of ``len(names)`` items and return it."""
    wanted = f"({', '.join(names)})"
    if not isinstance(result, tuple | list):
        raise AssertionError(f"{what} should return the tuple {wanted}; "
                             f"got {type(result).__name__}")
    if len(result) != len(names):
        raise AssertionError(f"{what} should return {len(names)} values {wanted}; "
                             f"got {len(result)}")
    return tuple(result)


def assert_unchanged(before: np.ndarray, after: np.ndarray, what: str) -> None:
    """Assert an input array was not modified in place (compare with a copy taken before)."""
    if not np.array_equal(np.asarray(before), np.asarray(after)):
        raise AssertionError(f"{what} was modified in place; work on a copy "
                             "(e.g. `x = x.copy()` or `x = x - ...`)")


def assert_equal(actual: object, expected: object, what: str,
                 mistakes: Iterable[Mistake] = ()) -> None:
    """Assert ``actual == expected`` exactly (strings, integers), with mistake hints."""
    if actual == expected:
        return None
    for value, hint in mistakes:
        if actual == value:
            raise AssertionError(f"{what} looks like {hint}")
    raise AssertionError(f"{what} is {actual!r}, expected {expected!r}")

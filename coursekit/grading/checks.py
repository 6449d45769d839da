"""Checks for exercise tests: they assert in a notebook and record plain data under the grader.

A test cell of ``solutions/`` calls the student's function and passes the raw result to a
check: ``assert_close(heavy_ball(...), expected=..., what="heavy_ball on a plane", rtol=1e-12,
mistakes=[(value, hint)])``. What the check does depends on where the cell runs:

- ``"assert"`` (a notebook, nbgrader's autograde): evaluate everything and raise
  ``AssertionError`` with the message :func:`coursekit.grading.compare.judge` gives, e.g.
  ``adam_step: theta after one step looks like the bias correction is missing``;
- ``"reference"`` (``coursekit grade``, the instructor's solution in a clean process): record
  the spec — kind, ``what``, the expected value (``expected=`` if given, else the solution's own
  result), tolerances and mistakes — and whether the solution passes it;
- ``"record"`` (``coursekit grade``, the student's sandbox): record the first argument only,
  converted here to plain data (a float array, a JSON value). The grader removed ``expected=``,
  ``mistakes=`` and ``@reference_only`` functions from the source before it entered the
  sandbox, so there is nothing else to see.

The grader compares the two recordings outside the sandbox. The author's guide is
``solutions/README.md``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .compare import judge

Mistake = tuple[object, str]
_MISSING: Any = object()


@dataclass
class _State:
    """Where the checks run: ``mode``, where records go, which test part is running."""

    mode: str = "assert"
    sink: Callable[[dict], None] | None = None
    question: str | None = None
    part: str = "visible"
    count: int = 0


_state = _State()


def configure(mode: str, sink: Callable[[dict], None] | None = None) -> None:
    """Switch the checks to ``"assert"``, ``"reference"`` or ``"record"`` (the grader's runner
    calls this; a notebook never needs to)."""
    if mode not in ("assert", "reference", "record"):
        raise ValueError(f"mode must be 'assert', 'reference' or 'record'; got {mode!r}")
    _state.mode, _state.sink = mode, sink


def begin_part(question: str | None, part: str) -> None:
    """Start numbering the checks of one part ("visible"/"hidden") of one test cell."""
    _state.question, _state.part, _state.count = question, part, 0


def reference_only(function: Callable) -> Callable:
    """Mark a helper that computes expected values (e.g. with torch). It runs in notebooks and
    in the reference process; the grader removes its definition from the sandbox's copy."""
    return function


# --- plain data -----------------------------------------------------------------------------

def encode_array(value: object) -> dict:
    """``{"shape", "float64"}`` of a float64 array (its little-endian bytes in base64: plain
    numbers, compact for large arrays), ``{"none": True}``, or ``{"unsupported": type name}``."""
    if value is None:
        return {"none": True}
    try:
        with np.errstate(all="ignore"):
            arr = np.array(value, dtype=np.float64)
    except Exception:  # any object the student returns; its type is all we keep
        return {"unsupported": type(value).__name__}
    return {"shape": [int(n) for n in arr.shape],
            "float64": base64.b64encode(arr.astype("<f8").tobytes()).decode("ascii")}


def encode_value(value: object) -> dict:
    """``{"value": JSON value}`` of a str/int/float/bool/None or list/tuple/dict of them (numpy
    scalars and arrays become Python ones), else ``{"unsupported": type name}``."""
    def plain(v: object) -> object:
        if v is None or type(v) in (bool, int, float, str):
            return v
        if isinstance(v, np.generic) and type(v).__module__ == "numpy":
            return plain(v.item())
        if type(v) is np.ndarray:
            return [plain(x) for x in v.tolist()]
        if type(v) in (list, tuple):
            return [plain(x) for x in v]
        if type(v) is dict and all(type(k) is str for k in v):
            return {k: plain(x) for k, x in v.items()}
        raise TypeError(type(v).__name__)
    try:
        return {"value": plain(value)}
    except TypeError as exc:
        return {"unsupported": str(exc)}
    except RecursionError:
        return {"unsupported": "list"}


# --- the checks -----------------------------------------------------------------------------

def _check(kind: str, actual: Callable[[], dict], what: object,
           spec: Callable[[dict], dict]) -> None:
    """Record or assert one check. ``actual`` encodes the student's value, ``spec`` builds the
    reference's spec from the encoded actual (called only outside the sandbox)."""
    index = _state.count
    _state.count += 1
    if _state.mode == "record":
        if _state.sink is not None:
            _state.sink({"q": _state.question, "part": _state.part, "n": index,
                         "record": actual()})
        return
    record = actual()
    full = {"kind": kind, "what": str(what)} | spec(record)
    # A spec must survive JSON exactly as the grader will read it.
    full = json.loads(json.dumps(full))
    record = json.loads(json.dumps(record))
    passed, message = judge(full, record, hidden=_state.part == "hidden")
    if _state.mode == "reference":
        if _state.sink is not None:
            _state.sink({"q": _state.question, "part": _state.part, "n": index,
                         "spec": full, "record": record, "passed": passed, "message": message})
        return
    if not passed:
        raise AssertionError(message)


def _expected(expected: object, fallback: Callable[[], object]) -> object:
    return fallback() if expected is _MISSING else expected


def _property(of: str | None, expected: object, table: dict) -> None:
    if of is not None and (of not in table or expected is _MISSING):
        raise ValueError(f"of={of!r} needs an expected value and one of {sorted(table)}")


def assert_close(actual: object, expected: object = _MISSING, what: str = "the answer", *,
                 rtol: float = 1e-7, atol: float = 0.0, mistakes: Iterable[Mistake] = (),
                 nonfinite_hint: str = "", up_to_sign: bool = False,
                 of: str | None = None) -> None:
    """``|actual − expected| <= atol + rtol·|expected|`` elementwise, shapes equal (or the same
    for ``−expected`` when ``up_to_sign``, e.g. an eigenvector). A value in ``mistakes`` that
    ``actual`` matches (same tolerance) names that mistake; NaN/inf gets ``nonfinite_hint``.
    Without ``expected`` the reference is what the instructor's solution passes here.

    ``of`` compares a property of the raw answer instead, computed by the grader
    (:data:`coursekit.grading.compare.ARRAY_PROPERTIES`: "shape", "mean", "var", "kurtosis",
    "max_abs", "first_equals_second"): ``assert_close(W, 2 / 1000, "var W", of="var")``."""
    from .compare import ARRAY_PROPERTIES

    _property(of, expected, ARRAY_PROPERTIES)
    _check("close", lambda: encode_array(actual), what, lambda record: {
        "expected": encode_array(_expected(expected, lambda: actual)),
        "rtol": float(rtol), "atol": float(atol), "nonfinite_hint": nonfinite_hint,
        "up_to_sign": bool(up_to_sign), "of": of,
        "mistakes": [[encode_array(value), hint] for value, hint in mistakes]})


def assert_equal(actual: object, expected: object = _MISSING, what: str = "the answer",
                 mistakes: Iterable[Mistake] = (), *, of: str | None = None) -> None:
    """``actual == expected`` exactly (strings, integers, booleans, None, lists of them).

    ``of`` compares a property of the raw answer, computed by the grader
    (:data:`coursekit.grading.compare.VALUE_PROPERTIES`: "lengths", "all_integers",
    "distinct_count", "sorted_flat", "in_order", "first_equals_second")."""
    from .compare import VALUE_PROPERTIES

    _property(of, expected, VALUE_PROPERTIES)
    _check("equal", lambda: encode_value(actual), what, lambda record: {
        "expected": encode_value(_expected(expected, lambda: actual)), "of": of,
        "mistakes": [[encode_value(value), hint] for value, hint in mistakes]})


def assert_choice(actual: object, expected: object = _MISSING, what: str = "the answer", *,
                  options: Sequence[str] = ()) -> None:
    """A multiple-choice answer: one of ``options``, equal to ``expected``."""
    _check("choice", lambda: encode_value(actual), what, lambda record: {
        "expected": encode_value(_expected(expected, lambda: actual)),
        "options": [str(o) for o in options]})


def assert_symbolic(actual: object, expected: object = _MISSING,
                    what: str = "the expression", mistakes: Iterable[Mistake] = ()) -> None:
    """A SymPy expression equal to ``expected``: ``assert_symbolic(terminal_step,
    -alpha * g / (1 - beta), "terminal_step", mistakes=[(alpha * g / (1 - beta), "no sign")])``.

    Recorded as ``sympy.srepr``. The grader rebuilds it without ``eval`` from a whitelist of
    SymPy classes and compares the two expressions at random points that respect the expected
    symbols' assumptions, with ``simplify`` in a limited child process as a fallback
    (:mod:`coursekit.grading.symbolic`). Symbols are matched by name. A mistake that equals
    ``actual`` the same way is named."""
    def encode(value: object) -> dict:
        import sympy
        return ({"srepr": sympy.srepr(value)} if isinstance(value, sympy.Basic)
                else {"unsupported": type(value).__name__})

    _check("symbolic", lambda: encode(actual), what, lambda record: {
        "expected": encode(_expected(expected, lambda: actual)),
        "mistakes": [[encode(value), hint] for value, hint in mistakes]})


def assert_raises(call: Callable[[], object], exception: type[BaseException],
                  what: str = "the call", why: str = "") -> None:
    """``call()`` raises ``exception`` (or a subclass): ``assert_raises(lambda: f(-1),
    ValueError, "f(-1)", why="(x must be > 0)")``."""
    def outcome() -> dict:
        try:
            call()
        except exception:
            return {"raised": True}
        except Exception as exc:  # the wrong exception is a wrong answer, not a crash
            return {"raised": False, "other": type(exc).__name__}
        return {"raised": False}
    _check("raises", outcome, what, lambda record: {
        "expected": {"raised": True}, "exception": exception.__name__, "why": why})


def assert_tuple(result: object, names: Sequence[str], what: str = "the function") -> tuple:
    """``result`` is a tuple (or list) of ``len(names)`` items; returns it as a tuple so the
    test can unpack it (a wrong shape stops the test cell with a clear message)."""
    def shape() -> dict:
        sequence = type(result) in (tuple, list)
        return {"sequence": sequence, "type": type(result).__name__,
                "length": len(result) if sequence else None}
    _check("tuple", shape, what, lambda record: {"names": [str(n) for n in names]})
    if type(result) not in (tuple, list) or len(result) != len(names):
        raise AssertionError(f"{what} should return {len(names)} values ({', '.join(names)})")
    return tuple(result)


def assert_unchanged(before: object, after: object, what: str) -> None:
    """An input array was not modified in place (``before`` is a copy taken before the call)."""
    _check("unchanged", lambda: encode_array(after), what,
           lambda record: {"expected": encode_array(before)})


CHECKS = ("assert_close", "assert_equal", "assert_choice", "assert_symbolic", "assert_raises",
          "assert_tuple", "assert_unchanged")

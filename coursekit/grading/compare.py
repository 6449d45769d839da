"""The instructor's comparisons, on plain data only: a check's spec against a student's record.

Both sides are what :mod:`coursekit.grading.checks` recorded, decoded from JSON: numbers,
strings, lists and dicts, never objects of the student's. The *spec* comes from the reference
run (the instructor's solution, a clean process): the kind of check, ``what`` it checks in the
student's terms, the expected value, tolerances and known mistakes. The *record* comes from
the student's sandbox. :func:`judge` returns ``(passed, message)``; the same function gives the
message in a notebook (where the check asserts in-kernel) and in the grader.

A message never quotes a string the student produced unless it is one the instructor wrote
(an expected value, a mistake, an option), and for checks in the hidden part of a test it
never quotes the expected value.
"""

from __future__ import annotations

import base64
import builtins
import functools
import math
from collections.abc import Callable

import numpy as np

# Types whose names may appear in feedback; any other name is the student's text.
_BUILTIN_NAMES = frozenset(name for name, obj in vars(builtins).items() if isinstance(obj, type))
_EXTRA_TYPE_NAMES = frozenset({"ndarray", "float64", "int64", "generic"})


def safe_type_name(name: object) -> str:
    """A type name fit for feedback: a builtin's or numpy's name, else 'another type'."""
    if isinstance(name, str) and (name in _BUILTIN_NAMES or name in _EXTRA_TYPE_NAMES):
        return name
    return "another type"


def decode_array(record: object) -> np.ndarray | None:
    """A float64 array from ``{"shape": [...], "float64": base64 of its little-endian
    bytes}``; None if malformed. The bytes are read as numbers and nothing else."""
    if not isinstance(record, dict):
        return None
    shape, data = record.get("shape"), record.get("float64")
    if not (isinstance(shape, list) and isinstance(data, str) and len(shape) <= 32
            and all(type(n) is int and n >= 0 for n in shape)):
        return None
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) != 8 * math.prod(shape):
        return None
    return np.frombuffer(raw, dtype="<f8").astype(np.float64).reshape(shape)


def _same(a: object, b: object) -> bool:
    """Exact equality of JSON values, types included (True is not 1, 1 is not 1.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _shown(value: object, known: frozenset[str]) -> str:
    """How a student's JSON value appears in feedback: numbers and known strings as they are,
    anything else by its type only."""
    def ok(v: object) -> bool:
        if isinstance(v, str):
            return v in known
        if isinstance(v, list):
            return len(v) <= 20 and all(ok(x) for x in v)
        return v is None or isinstance(v, bool | int | float)
    return repr(value) if ok(value) else f"a {safe_type_name(type(value).__name__)} value"


def _flat(value: object) -> list:
    if not isinstance(value, list):
        raise TypeError("not a list of lists")
    return [x for part in value for x in (part if isinstance(part, list) else [part])]


def _kurtosis(a: np.ndarray) -> float:
    centred = a - a.mean()
    return float(np.mean(centred**4) / np.var(a) ** 2)


@functools.cache
def _digits_test_set() -> tuple[np.ndarray, np.ndarray]:
    from coursekit.data import load_digits

    split = load_digits()
    return split.X_test, split.y_test


# The 64 → 32 → 10 ReLU network of exercise 13, its parameters flattened in this order.
DIGITS_NETWORK = (("W1", (64, 32)), ("b1", (32,)), ("W2", (32, 10)), ("b2", (10,)))


#: A renaming of the ten digit classes (class c is called DIGITS_RELABELING[c]). A ``train``
#: that learns from the labels it is given does as well on the renamed classes; weights that
#: came from elsewhere (pasted in, or kept from an earlier call) score about 10 % on them.
DIGITS_RELABELING = (3, 8, 5, 0, 9, 1, 7, 4, 2, 6)


def _digits_test_accuracy(weights: np.ndarray, relabeling: tuple[int, ...]) -> np.float64:
    sizes = [math.prod(shape) for _, shape in DIGITS_NETWORK]
    if weights.shape != (sum(sizes),) or not np.all(np.isfinite(weights)):
        return np.float64(np.nan)
    parts = np.split(weights, np.cumsum(sizes)[:-1])
    W1, b1, W2, b2 = (p.reshape(shape) for p, (_, shape) in zip(parts, DIGITS_NETWORK,
                                                               strict=True))
    X, y = _digits_test_set()
    predictions = np.argmax(np.maximum(X @ W1 + b1, 0) @ W2 + b2, axis=1)
    return np.float64(np.mean(predictions == np.asarray(relabeling)[y]))


def digits_test_accuracy(weights: np.ndarray) -> np.float64:
    """The held-out accuracy on digits (``load_digits()``'s test split) of exercise 13's
    network whose parameters are ``weights``: W1, b1, W2, b2 raveled and concatenated
    (:data:`DIGITS_NETWORK`); NaN for any other size or non-finite weights. The grader
    computes it from the trained weights, so no number the student's process computes
    enters the accuracy."""
    return _digits_test_accuracy(weights, tuple(range(10)))


def digits_test_accuracy_relabeled(weights: np.ndarray) -> np.float64:
    """``digits_test_accuracy`` against the renamed classes (:data:`DIGITS_RELABELING`): the
    test image of class c counts as correct when the network predicts DIGITS_RELABELING[c]."""
    return _digits_test_accuracy(weights, DIGITS_RELABELING)


# Properties of a student's raw answer, computed here in the grader rather than by test code
# in the student's process (``assert_close(W, 2 / 1000, "the variance of W", of="var")``).
ARRAY_PROPERTIES = {
    "shape": lambda a: np.asarray(a.shape, dtype=np.float64),
    "mean": lambda a: np.float64(a.mean()),
    "var": lambda a: np.float64(a.var()),
    "kurtosis": _kurtosis,
    "max_abs": lambda a: np.float64(np.max(np.abs(a))),
    "first_equals_second": lambda a: np.float64(a.shape[0] == 2 and np.array_equal(a[0], a[1])),
    "digits_test_accuracy": digits_test_accuracy,
    "digits_test_accuracy_relabeled": digits_test_accuracy_relabeled,
}
VALUE_PROPERTIES = {
    "lengths": lambda v: [len(part) for part in v],
    "all_integers": lambda v: all(type(x) is int for x in _flat(v)),
    "distinct_count": lambda v: len(set(_flat(v))),
    "sorted_flat": lambda v: sorted(_flat(v)),
    "in_order": lambda v: _flat(v) == list(range(len(_flat(v)))),
    "first_equals_second": lambda v: len(v) == 2 and v[0] == v[1],
}


def _close_message(spec: dict, record: object, hidden: bool) -> tuple[bool, str]:
    what = spec["what"]
    if not isinstance(record, dict):
        return False, f"{what} was not recorded"
    if record.get("none"):
        return False, f"{what} is None: did the function forget to `return` it?"
    if "unsupported" in record:
        return False, (f"{what} should be a number or an array of numbers; got "
                       f"{safe_type_name(record['unsupported'])}")
    act, exp = decode_array(record), decode_array(spec["expected"])
    if act is None:
        return False, f"{what} could not be read"
    if spec.get("of"):
        with np.errstate(all="ignore"):
            act = np.asarray(ARRAY_PROPERTIES[spec["of"]](act), dtype=np.float64)
    rtol, atol = float(spec.get("rtol", 1e-7)), float(spec.get("atol", 0.0))
    if act.shape != exp.shape:
        hint = " (transposed?)" if act.shape == exp.shape[::-1] and act.ndim > 1 else ""
        want = f"expected {exp.shape}" if not hidden else "not the shape of the reference"
        return False, f"{what} has shape {act.shape}, {want}{hint}"
    candidates = [exp, -exp] if spec.get("up_to_sign") else [exp]
    if not np.all(np.isfinite(act)) and np.all(np.isfinite(exp)):
        hint = spec.get("nonfinite_hint", "")
        return False, f"{what} contains NaN or inf" + (f": {hint}" if hint else "")
    with np.errstate(all="ignore"):
        if any(_allclose(act, c, rtol, atol) for c in candidates):
            return True, ""
        for value, hint in spec.get("mistakes", []):
            ref = decode_array(value)
            if ref is not None and ref.shape == act.shape and np.all(np.isfinite(ref)) and any(
                    _allclose(act, r, rtol, atol)
                    for r in ([ref, -ref] if spec.get("up_to_sign") else [ref])):
                return False, f"{what} looks like {hint}"
        err = np.abs(act - min(candidates, key=lambda c: float(np.max(np.abs(act - c),
                                                                        initial=0.0))))
    if hidden:
        return False, (f"{what} is off by more than the tolerance of the reference "
                       f"(rtol={rtol:g}, atol={atol:g})")
    worst = np.unravel_index(int(np.nanargmax(err)), err.shape) if err.ndim else ()
    at = f" at index {tuple(int(i) for i in worst)}" if worst else ""
    return False, (f"{what} is off by up to {float(err[worst]):.3g}{at}: got "
                   f"{float(act[worst]):.6g}, expected {float(exp[worst]):.6g} "
                   f"(rtol={rtol:g}, atol={atol:g})")


def _allclose(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """``|a − b| <= atol + rtol·|b|`` everywhere; where ``b`` is ±inf only ``a == b`` is close."""
    finite = np.isfinite(b)
    close = np.abs(a - np.where(finite, b, 0.0)) <= atol + rtol * np.abs(np.where(finite, b, 0.0))
    return bool(np.all(np.where(finite, close, a == b)))


def _equal_message(spec: dict, record: object, hidden: bool,
                   known: frozenset[str]) -> tuple[bool, str]:
    what = spec["what"]
    if not isinstance(record, dict) or "value" not in record:
        got = safe_type_name(record.get("unsupported")) if isinstance(record, dict) else "?"
        return False, f"{what} should be a plain value (str, number, list); got {got}"
    actual, expected = record["value"], spec["expected"]["value"]
    if spec.get("of"):
        try:
            actual = VALUE_PROPERTIES[spec["of"]](actual)
        except (TypeError, ValueError, KeyError):
            return False, f"{what} could not be computed from the answer (a list of lists?)"
    if _same(actual, expected):
        return True, ""
    for value, hint in spec.get("mistakes", []):
        if isinstance(value, dict) and _same(actual, value.get("value")):
            return False, f"{what} looks like {hint}"
    if hidden:
        return False, f"{what} is {_shown(actual, known)}, which is not the expected value"
    return False, f"{what} is {_shown(actual, known)}, expected {expected!r}"


def _choice_message(spec: dict, record: object, hidden: bool,
                    known: frozenset[str]) -> tuple[bool, str]:
    what, options = spec["what"], spec.get("options", [])
    actual = record.get("value") if isinstance(record, dict) else None
    if not isinstance(actual, str) or (options and actual not in options):
        return False, f"{what} should be one of {options}"
    return _equal_message(spec, record, hidden, known)


def _raises_message(spec: dict, record: object, hidden: bool,
                    known: frozenset[str]) -> tuple[bool, str]:
    raised = isinstance(record, dict) and record.get("raised") is True
    if raised:
        return True, ""
    why = spec.get("why", "")
    return False, f"{spec['what']} should raise {spec['exception']}" + (f" {why}" if why else "")


def _tuple_message(spec: dict, record: object, hidden: bool,
                   known: frozenset[str]) -> tuple[bool, str]:
    names = spec["names"]
    wanted = f"({', '.join(names)})"
    what = spec["what"]
    if not isinstance(record, dict) or record.get("sequence") is not True:
        got = safe_type_name(record.get("type")) if isinstance(record, dict) else "?"
        return False, f"{what} should return the tuple {wanted}; got {got}"
    if record.get("length") != len(names):
        got = record.get("length")
        got = got if isinstance(got, int) else "?"
        return False, f"{what} should return {len(names)} values {wanted}; got {got}"
    return True, ""


def _unchanged_message(spec: dict, record: object, hidden: bool,
                       known: frozenset[str]) -> tuple[bool, str]:
    act, exp = decode_array(record), decode_array(spec["expected"])
    if act is not None and exp is not None and act.shape == exp.shape \
            and np.array_equal(act, exp, equal_nan=True):
        return True, ""
    return False, (f"{spec['what']} was modified in place; work on a copy "
                   "(e.g. `x = x.copy()` or `x = x - ...`)")


def _symbolic_message(spec: dict, record: object, hidden: bool,
                      known: frozenset[str]) -> tuple[bool, str]:
    # SymPy loads only where a symbolic check is judged.
    from .symbolic import judge_symbolic

    return judge_symbolic(spec, record, hidden, known)


Comparator = Callable[[dict, object, bool, frozenset], tuple[bool, str]]

COMPARATORS: dict[str, Comparator] = {
    "close": lambda spec, rec, hidden, known: _close_message(spec, rec, hidden),
    "equal": _equal_message,
    "choice": _choice_message,
    "raises": _raises_message,
    "tuple": _tuple_message,
    "unchanged": _unchanged_message,
    "symbolic": _symbolic_message,
}


def register_comparator(kind: str, comparator: Comparator) -> None:
    """Install the grader-side comparison for a kind of check (e.g. ``"symbolic"``).

    ``comparator(spec, record, hidden, known_strings) -> (passed, message)`` runs in the
    trusted grader on plain data; it must never evaluate the student's strings as code.
    """
    COMPARATORS[kind] = comparator


def judge(spec: dict, record: object, *, hidden: bool = False,
          known: frozenset[str] = frozenset()) -> tuple[bool, str]:
    """Compare a student's record with the reference's spec: ``(passed, message)``."""
    comparator = COMPARATORS.get(spec.get("kind"))
    if comparator is None:
        raise ValueError(f"unknown kind of check {spec.get('kind')!r}; "
                         f"known: {sorted(COMPARATORS)}")
    return comparator(spec, record, hidden, known)

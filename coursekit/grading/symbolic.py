"""The grader's comparison of SymPy answers, rebuilt from ``srepr`` text without ``eval``.

``assert_symbolic`` records ``sympy.srepr`` of the student's expression: text such as
``Mul(Symbol('alpha', positive=True), Pow(Add(Integer(1), Mul(Integer(-1),
Symbol('beta', positive=True))), Integer(-1)))``. That text is the student's, so it is never
given to ``eval``, ``sympify`` or ``parse_expr``. :func:`parse` reads it with
``ast.parse(mode="eval")`` and accepts only a whitelist: the numbers ``Integer``, ``Rational``,
``Float``; ``Symbol(name, assumption=True, ...)`` with a plain identifier as name;
``Add``, ``Mul``, ``Pow`` and the functions in :data:`FUNCTIONS`; the constants ``pi``, ``E``,
``I``. Everything is built with ``evaluate=False`` (``Pow(10, 10**9)`` stays unevaluated) and
bounded: :data:`MAX_CHARS` characters, :data:`MAX_NODES` nodes, :data:`MAX_DEPTH` levels,
:data:`MAX_DIGITS` digits per integer.

:func:`compare` decides ``actual == expected`` in bounded time:

1. **Numbers.** Both expressions are evaluated at :data:`POINTS` random points with mpmath at
   :data:`DIGITS` digits, each symbol drawn by name from the expected expression's
   assumptions (positive → (0.1, 0.95), integer → 1…12, real → ±(0.05, 0.95), ...). Every
   intermediate value must stay within 2^±:data:`MAX_MAGNITUDE`; a larger one makes the
   point undefined, so a tower of powers costs nothing. One point where they differ (or
   where only one is defined) proves them different; agreement at ≥ :data:`AGREEING` points
   (relative tolerance 1e-25, or 1e-12 when a ``Float`` is involved) accepts. A symbol only
   the answer has is drawn by its own assumptions (``sin(x)**2 + cos(x)**2`` equals 1).
2. **SymPy**, only when the expected expression is undefined at almost every point (so
   never because of a hostile answer alone): ``simplify(actual − expected) == 0`` in a child
   process with memory and CPU limits and a wall-clock timeout.

Known mistakes (``mistakes=[(expr, hint)]``) are matched by the numbers only.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import mpmath
import sympy as sp

MAX_CHARS = 20_000
MAX_NODES = 2_000
MAX_DEPTH = 60
MAX_DIGITS = 50
MAX_FLOAT_BITS = 400
MAX_MAGNITUDE = 4096   # bits: |value| within 2^±4096 or the point is undefined
DIGITS = 50
POINTS = 12
AGREEING = 4
SIMPLIFY_SECONDS = 20.0

FUNCTIONS = {f.__name__: f for f in (
    sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.cot, sp.asin, sp.acos, sp.atan,
    sp.sinh, sp.cosh, sp.tanh, sp.asinh, sp.acosh, sp.atanh, sp.Abs, sp.sign)}
_OPERATORS = {"Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow, "Max": sp.Max, "Min": sp.Min}
_CONSTANTS = {"pi": sp.pi, "E": sp.E, "I": sp.I, "oo": sp.oo, "zoo": sp.zoo, "nan": sp.nan}
_ASSUMPTIONS = frozenset({"positive", "negative", "nonnegative", "nonpositive", "nonzero",
                          "zero", "real", "extended_real", "complex", "integer", "rational",
                          "finite", "even", "odd"})
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}\Z")
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,4})?\Z")


class UnsafeExpression(ValueError):
    """The srepr text is not one the grader rebuilds. The message never quotes the text."""


# --- reading srepr text ---------------------------------------------------------------------

def _depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def parse(text: object) -> sp.Expr:
    """The SymPy expression an ``srepr`` string describes, built from a whitelist without
    evaluating anything; :class:`UnsafeExpression` (naming the rule, not the text) otherwise."""
    if not isinstance(text, str):
        raise UnsafeExpression("the recorded expression is not text")
    if len(text) > MAX_CHARS:
        raise UnsafeExpression(f"the expression is longer than {MAX_CHARS} characters")
    if _depth(text) > MAX_DEPTH:
        raise UnsafeExpression(f"the expression is nested deeper than {MAX_DEPTH} levels")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise UnsafeExpression("the expression is not valid srepr text") from None
    nodes = [0]
    try:
        expr = _build(tree.body, nodes)
    except UnsafeExpression:
        raise
    except Exception:  # SymPy refusing a combination (inconsistent assumptions, ...)
        raise UnsafeExpression("SymPy cannot build this combination of parts") from None
    if not isinstance(expr, sp.Expr):
        raise UnsafeExpression("the answer is not an expression (a number or a formula)")
    return expr


def _integer(node: ast.AST) -> int:
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    inner = node.operand if negative else node
    if not (isinstance(inner, ast.Constant) and type(inner.value) is int):
        raise UnsafeExpression("Integer and Rational take whole numbers")
    if len(str(inner.value)) > MAX_DIGITS:
        raise UnsafeExpression(f"an integer has more than {MAX_DIGITS} digits")
    return -inner.value if negative else inner.value


def _build(node: ast.AST, nodes: list[int]) -> sp.Basic:
    nodes[0] += 1
    if nodes[0] > MAX_NODES:
        raise UnsafeExpression(f"the expression has more than {MAX_NODES} parts")
    if isinstance(node, ast.Name):
        if node.id not in _CONSTANTS:
            raise UnsafeExpression("a name that is not a known constant (pi, E, I)")
        return _CONSTANTS[node.id]
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise UnsafeExpression("only calls of SymPy classes are accepted (no attributes, "
                               "operators, lambdas or literals)")
    name, args, keywords = node.func.id, node.args, node.keywords
    if any(isinstance(a, ast.Starred) for a in args) or any(k.arg is None for k in keywords):
        raise UnsafeExpression("no * or ** arguments")
    if name == "Integer" and len(args) == 1 and not keywords:
        return sp.Integer(_integer(args[0]))
    if name == "Rational" and len(args) == 2 and not keywords:
        p, q = _integer(args[0]), _integer(args[1])
        if q == 0:
            raise UnsafeExpression("a Rational with denominator 0")
        return sp.Rational(p, q)
    if name == "Float":
        return _float(args, keywords)
    if name == "Symbol":
        return _symbol(args, keywords)
    if keywords:
        raise UnsafeExpression("keyword arguments are accepted only by Symbol and Float")
    parts = [_build(a, nodes) for a in args]
    if not all(isinstance(p, sp.Expr) for p in parts):
        raise UnsafeExpression("an argument that is not an expression")
    if name in _OPERATORS:
        if not parts or (name == "Pow" and len(parts) != 2):
            raise UnsafeExpression("Pow takes two arguments; Add, Mul, Max and Min at least one")
        return _OPERATORS[name](*parts, evaluate=False)
    if name in FUNCTIONS:
        if len(parts) != 1:
            raise UnsafeExpression("the functions take one argument")
        return FUNCTIONS[name](parts[0], evaluate=False)
    raise UnsafeExpression("a function the grader does not accept (accepted: Add, Mul, Pow, "
                           f"Max, Min, {', '.join(sorted(FUNCTIONS))})")


def _float(args: list[ast.AST], keywords: list[ast.keyword]) -> sp.Float:
    if not (len(args) == 1 and isinstance(args[0], ast.Constant)
            and isinstance(args[0].value, str) and _FLOAT.match(args[0].value)
            and len(args[0].value) <= 80):
        raise UnsafeExpression("Float takes a decimal number as text")
    precision = 53
    for k in keywords:
        if k.arg != "precision" or not (isinstance(k.value, ast.Constant)
                                        and type(k.value.value) is int
                                        and 1 <= k.value.value <= MAX_FLOAT_BITS):
            raise UnsafeExpression(f"Float takes only precision=1…{MAX_FLOAT_BITS}")
        precision = k.value.value
    return sp.Float(args[0].value, precision=precision)


def _symbol(args: list[ast.AST], keywords: list[ast.keyword]) -> sp.Symbol:
    if not (len(args) == 1 and isinstance(args[0], ast.Constant)
            and isinstance(args[0].value, str) and _NAME.match(args[0].value)):
        raise UnsafeExpression("a symbol's name must be a plain identifier (letters, digits, "
                               "underscores; at most 32 characters)")
    assumptions = {}
    for k in keywords:
        if k.arg not in _ASSUMPTIONS or not (isinstance(k.value, ast.Constant)
                                             and type(k.value.value) is bool):
            raise UnsafeExpression("a symbol assumption the grader does not accept (accepted: "
                                   f"{', '.join(sorted(_ASSUMPTIONS))}, each True or False)")
        assumptions[k.arg] = k.value.value
    return sp.Symbol(args[0].value, **assumptions)


# --- numbers at random points ---------------------------------------------------------------

class _Undefined(ArithmeticError):
    """The expression has no (reasonably sized, finite) value at this point."""


_MPMATH = {"exp": "exp", "log": "ln", "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot",
           "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh",
           "tanh": "tanh", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh"}


def _guard(ctx, value):
    if not ctx.isfinite(value):
        raise _Undefined("not finite")
    if value != 0 and abs(ctx.mag(value)) > MAX_MAGNITUDE:
        raise _Undefined("out of range")
    return value


def _real(ctx, value):
    if ctx.im(value) != 0:
        raise _Undefined("a real-only function of a complex value")
    return ctx.re(value)


def evaluate(expr: sp.Basic, values: dict, ctx) -> object:
    """The value of ``expr`` (built by :func:`parse`) with symbols by name from ``values``,
    in the mpmath context ``ctx``; :class:`_Undefined` if any part is undefined or out of
    range. Every step is bounded: values stay within 2^±MAX_MAGNITUDE."""
    if isinstance(expr, sp.Symbol):
        return values[expr.name]
    if isinstance(expr, sp.Integer):
        return ctx.mpf(int(expr))
    if isinstance(expr, sp.Rational):
        return _guard(ctx, ctx.mpf(expr.p) / expr.q)
    if isinstance(expr, sp.Float):
        return _guard(ctx, ctx.make_mpf(expr._mpf_))
    if expr is sp.pi:
        return +ctx.pi
    if expr is sp.E:
        return +ctx.e
    if expr is sp.I:
        return ctx.mpc(0, 1)
    if any(expr is c for c in (sp.oo, sp.S.NegativeInfinity, sp.zoo, sp.nan)):
        raise _Undefined("infinite")
    args = [evaluate(a, values, ctx) for a in expr.args]
    name = type(expr).__name__
    if name == "Add":
        return _guard(ctx, ctx.fsum(args))
    if name == "Mul":
        result = ctx.mpf(1)
        for a in args:
            result = _guard(ctx, result * a)
        return result
    if name == "Pow":
        return _power(ctx, *args)
    if name in ("Max", "Min"):
        reals = [_real(ctx, a) for a in args]
        return max(reals) if name == "Max" else min(reals)
    if name == "Abs":
        return abs(args[0])
    if name == "sign":
        return ctx.sign(_real(ctx, args[0]))
    if name == "exp" and abs(ctx.re(args[0])) > MAX_MAGNITUDE:
        raise _Undefined("out of range")
    if name in ("sinh", "cosh", "tan", "cot", "sin", "cos") \
            and abs(args[0]) > MAX_MAGNITUDE:
        raise _Undefined("out of range")
    if name == "log" and args[0] == 0:
        raise _Undefined("log 0")
    try:
        return _guard(ctx, getattr(ctx, _MPMATH[name])(args[0]))
    except (ZeroDivisionError, ValueError) as exc:
        raise _Undefined(str(exc)) from None


def _power(ctx, base, exponent):
    if base == 0:
        if ctx.re(exponent) > 0:
            return ctx.mpf(0)
        raise _Undefined("0 to a power <= 0")
    # log2 |base^exponent| before computing it: a huge one is out of range, at no cost.
    size = ctx.re(exponent * ctx.ln(base)) / ctx.ln(2)
    if abs(size) > MAX_MAGNITUDE:
        raise _Undefined("out of range")
    if ctx.im(exponent) == 0 and ctx.im(base) == 0 and ctx.isint(exponent):
        return _guard(ctx, ctx.power(ctx.re(base), int(ctx.re(exponent))))
    return _guard(ctx, ctx.power(base, exponent))


def _draw(symbol: sp.Symbol, rng: random.Random) -> float | int:
    """A value for ``symbol`` that respects its assumptions."""
    if symbol.is_integer:
        if symbol.is_positive or symbol.is_nonnegative:
            return rng.randint(1, 12)
        if symbol.is_negative or symbol.is_nonpositive:
            return -rng.randint(1, 12)
        return rng.choice([-1, 1]) * rng.randint(1, 12)
    if symbol.is_positive or symbol.is_nonnegative:
        return rng.uniform(0.1, 0.95)
    if symbol.is_negative or symbol.is_nonpositive:
        return -rng.uniform(0.1, 0.95)
    return rng.choice([-1, 1]) * rng.uniform(0.05, 0.95)


@dataclass
class Verdict:
    """The outcome of a comparison: ``equal`` True/False, or None when undecided."""

    equal: bool | None
    reason: str = ""
    point: dict | None = None         # where the two differ (names → values)
    got: complex | None = None
    wanted: complex | None = None


def _close(ctx, a, e, rtol) -> bool:
    return abs(a - e) <= rtol * max(abs(a), abs(e), 1)


def numeric_compare(actual: sp.Expr, expected: sp.Expr, *, seed: str) -> Verdict:
    """Compare two parsed expressions at random points (seeded by ``seed``)."""
    ctx = mpmath.MPContext()
    ctx.dps = DIGITS
    # Symbols by name, drawn by the expected expression's assumptions where it has them.
    symbols = {s.name: s for s in actual.free_symbols} | {s.name: s for s in
                                                          expected.free_symbols}
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    floats = actual.has(sp.Float) or expected.has(sp.Float)
    rtol = ctx.mpf("1e-12") if floats else ctx.mpf("1e-25")
    agreeing = 0
    for _ in range(POINTS):
        point = {name: _draw(s, rng) for name, s in sorted(symbols.items())}
        values = {name: ctx.mpf(v) for name, v in point.items()}
        results = []
        for expr in (actual, expected):
            try:
                results.append(evaluate(expr, values, ctx))
            except Exception:  # any failure of mpmath here means: undefined at this point
                results.append(None)
        a, e = results
        if a is None and e is None:
            continue
        if a is None or e is None or not _close(ctx, a, e, rtol):
            return Verdict(False, "differs", point,
                           None if a is None else complex(a), None if e is None else complex(e))
        agreeing += 1
    if agreeing >= AGREEING:
        return Verdict(True)
    return Verdict(None, "undefined at most points")


# --- SymPy, in a child process with limits ---------------------------------------------------

def simplify_compare(actual_text: str, expected_text: str,
                     seconds: float = SIMPLIFY_SECONDS) -> Verdict:
    """``simplify(actual − expected) == 0`` in a child process limited in memory (1 GiB),
    CPU and wall time; undecided (``equal`` None) if it runs out."""
    package_parent = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [package_parent, *filter(None, [os.environ.get("PYTHONPATH")])]))
    try:
        done = subprocess.run([sys.executable, "-m", "coursekit.grading.symbolic",
                               str(int(seconds) + 1)],
                              input=json.dumps([actual_text, expected_text]),
                              capture_output=True, text=True, timeout=seconds, env=env)
    except subprocess.TimeoutExpired:
        return Verdict(None, f"SymPy could not decide within {seconds:g} s")
    answer = done.stdout.strip()
    if done.returncode == 0 and answer in ("equal", "different"):
        return Verdict(answer == "equal")
    return Verdict(None, "SymPy could not decide within the grader's limits")


def _simplify_child(cpu_seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    actual_text, expected_text = json.loads(sys.stdin.read())
    actual, expected = parse(actual_text), parse(expected_text)
    by_name = {s.name: s for s in expected.free_symbols}
    actual = actual.xreplace({s: by_name.get(s.name, s) for s in actual.free_symbols})
    print("equal" if sp.simplify(actual - expected) == 0 else "different")


# --- the comparator -------------------------------------------------------------------------

def _symbols(expr: sp.Expr) -> list[str]:
    return sorted(s.name for s in expr.free_symbols)


def _point(point: dict) -> str:
    return ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                     for k, v in point.items())


def _number(z: complex | None) -> str:
    if z is None:
        return "undefined"
    return f"{z.real:.6g}" if z.imag == 0 else f"{z.real:.6g}{z.imag:+.6g}i"


def compare(actual_text: object, expected_text: str) -> Verdict:
    """Decide whether two srepr texts describe equal expressions (see the module docstring).
    :class:`UnsafeExpression` if the actual text is not accepted."""
    expected = parse(expected_text)
    actual = parse(actual_text)
    verdict = numeric_compare(actual, expected, seed=f"{expected_text}\0{actual_text}")
    if verdict.equal is None:
        verdict = simplify_compare(str(actual_text), expected_text)
    if verdict.equal is False and set(_symbols(actual)) - set(_symbols(expected)):
        verdict.reason = "extra symbols"
    return verdict


def judge_symbolic(spec: dict, record: object, hidden: bool,
                   known: frozenset[str]) -> tuple[bool, str]:
    """The ``"symbolic"`` comparator of :mod:`coursekit.grading.compare`."""
    what = spec["what"]
    expected_text = (spec.get("expected") or {}).get("srepr")
    if not isinstance(expected_text, str):
        raise ValueError(f"the reference of {what!r} is not a SymPy expression")
    if not isinstance(record, dict) or not isinstance(record.get("srepr"), str):
        got = record.get("unsupported") if isinstance(record, dict) else None
        from .compare import safe_type_name
        return False, f"{what} should be a SymPy expression; got {safe_type_name(got)}"
    try:
        verdict = compare(record["srepr"], expected_text)
    except UnsafeExpression as exc:
        return False, f"{what} could not be read as a SymPy expression: {exc}"
    if verdict.equal:
        return True, ""
    if verdict.equal is False:
        actual = parse(record["srepr"])
        for value, hint in spec.get("mistakes", []):
            mistake = value.get("srepr") if isinstance(value, dict) else None
            if isinstance(mistake, str) and numeric_compare(
                    actual, parse(mistake), seed=f"{mistake}\0{record['srepr']}").equal:
                return False, f"{what} looks like {hint}"
    if verdict.reason == "extra symbols":
        names = ", ".join(_symbols(parse(expected_text)))
        wanted = "" if hidden else f" (it should use only {names})"
        return False, f"{what} uses a symbol the expected expression does not{wanted}"
    if verdict.equal is None:
        return False, (f"{what} could not be compared ({verdict.reason}); write it in a "
                       "simpler closed form")
    if hidden or verdict.point is None:
        return False, f"{what} is not equal to the expected expression"
    # Only the expected expression's symbols are named: never a name the student chose.
    point = {k: v for k, v in verdict.point.items() if k in _symbols(parse(expected_text))}
    return False, (f"{what} is not equal to the expected expression: at {_point(point)} "
                   f"it is {_number(verdict.got)}, expected {_number(verdict.wanted)}")


if __name__ == "__main__":
    _simplify_child(int(sys.argv[1]))

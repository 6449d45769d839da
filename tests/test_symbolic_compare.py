"""The grader's symbolic comparator (coursekit/grading/symbolic.py): it rebuilds srepr text
without eval, accepts equal forms, rejects different ones, names known mistakes, and refuses
hostile text quickly with a message that never quotes it."""

from __future__ import annotations

import time

import pytest
import sympy as sp

from coursekit.grading import checks
from coursekit.grading.checks import assert_symbolic
from coursekit.grading.compare import judge
from coursekit.grading.symbolic import UnsafeExpression, compare, parse, simplify_compare
from coursekit.grading.testcode import for_sandbox

alpha, beta, g, lam, c = sp.symbols("alpha beta g lambda c", positive=True)
t = sp.Symbol("t", positive=True, integer=True)
x = sp.Symbol("x")


def spec(expected, mistakes=(), what="the answer"):
    return {"kind": "symbolic", "what": what, "expected": {"srepr": sp.srepr(expected)},
            "mistakes": [[{"srepr": sp.srepr(m)}, hint] for m, hint in mistakes]}


def verdict(actual, expected):
    return compare(actual if isinstance(actual, str) else sp.srepr(actual), sp.srepr(expected))


@pytest.mark.parametrize("expr", [
    alpha / (1 - beta), -alpha * g / (1 - beta), sp.sqrt(2 * c / lam), g * (1 - beta**t),
    sp.log(1 / alpha) / sp.log(1 + alpha * beta), sp.exp(-x**2) * sp.sin(3 * x) + sp.pi,
    sp.Rational(-3, 7) * sp.tanh(x) + sp.Abs(x) + sp.atan(x), 2.5 * x + sp.E,
    sp.Max(alpha, beta) - sp.Min(alpha, beta)])
def test_parse_rebuilds_exactly_what_srepr_wrote(expr):
    assert sp.srepr(parse(sp.srepr(expr))) == sp.srepr(expr)


@pytest.mark.parametrize("actual, expected", [
    (-alpha / (beta - 1), alpha / (1 - beta)),
    (sp.Symbol("alpha") / (1 - sp.Symbol("beta")), alpha / (1 - beta)),  # names decide
    (sp.sqrt(2) / sp.sqrt(alpha), sp.sqrt(2 / alpha)),
    (-sp.log(alpha) / sp.log(alpha * beta + 1), sp.log(1 / alpha) / sp.log(1 + alpha * beta)),
    (sp.sqrt(alpha**2), alpha),  # α > 0 by the expected expression's assumptions
    ((1 - beta) * g * (1 - beta**t) / (1 - beta), g * (1 - beta**t)),
    (sp.cos(x)**2 + sp.sin(x)**2, sp.Integer(1)),
    (alpha + 0 * x, alpha),
    (sp.Float(0.5) * alpha, alpha / 2),
    ((x + 1)**12, sp.expand((x + 1)**12)),
])
def test_equal_forms_are_accepted(actual, expected):
    assert verdict(actual, expected).equal is True


@pytest.mark.parametrize("actual, expected", [
    (alpha / (1 + beta), alpha / (1 - beta)),
    (alpha * g / (1 - beta), -alpha * g / (1 - beta)),
    (g * (1 - beta**(t + 1)), g * (1 - beta**t)),
    (sp.sqrt(x**2), x),  # x may be negative: no assumption
    (sp.Float(0.1) * alpha, alpha / 9),
    (alpha + sp.Integer(10)**-20, alpha),
    (sp.Integer(2), sp.Integer(1)),
])
def test_different_expressions_are_rejected(actual, expected):
    assert verdict(actual, expected).equal is False


def test_a_symbol_the_expected_expression_lacks_is_named_only_in_visible_checks():
    record = {"srepr": sp.srepr(sp.Add(alpha / (1 - beta), sp.Symbol("r"), evaluate=False))}
    ok, message = judge(spec(alpha / (1 - beta), what="terminal"), record)
    assert not ok and "uses a symbol the expected expression does not" in message
    assert "only alpha, beta" in message and "'r'" not in message
    ok, message = judge(spec(alpha / (1 - beta), what="terminal"), record, hidden=True)
    assert not ok and "alpha" not in message


def test_a_known_mistake_is_named_and_a_visible_failure_shows_a_point():
    s = spec(-alpha * g / (1 - beta), mistakes=[(alpha * g / (1 - beta), "the sign")],
             what="terminal_step")
    assert judge(s, {"srepr": sp.srepr(-alpha * g / (1 - beta))}) == (True, "")
    ok, message = judge(s, {"srepr": sp.srepr(alpha * g / (beta - 1) * -1)})
    assert (ok, message) == (False, "terminal_step looks like the sign")
    ok, message = judge(s, {"srepr": sp.srepr(alpha * g)})
    assert not ok and "is not equal to the expected expression: at alpha = " in message
    ok, message = judge(s, {"srepr": sp.srepr(alpha * g)}, hidden=True)
    assert message == "terminal_step is not equal to the expected expression"


def test_a_value_that_is_not_a_sympy_expression_is_named_by_type():
    ok, message = judge(spec(alpha), {"unsupported": "float"})
    assert not ok and message == "the answer should be a SymPy expression; got float"


HOSTILE = {
    "import": "__import__('os').system('touch /tmp/coursekit-pwned')",
    "attribute": "Symbol('x').__class__.__mro__",
    "lambda": "(lambda: Integer(1))()",
    "operator": "Integer(10)**Integer(10)",
    "literal list": "Add(*[Integer(1)])",
    "keyword splat": "Symbol('x', **{'positive': True})",
    "unknown function": "Function('f')(Symbol('x'))",
    "eval by name": "eval(Symbol('x'))",
    "subscript": "Integer(1)[0]",
    "weird symbol name": "Symbol('x; import os')",
    "dunder symbol name": "Symbol('__import__')",
    "empty symbol name": "Symbol('')",
    "bad assumption": "Symbol('x', commutative=False)",
    "non-bool assumption": "Symbol('x', positive=Integer(1))",
    "inconsistent": "Symbol('x', positive=True, negative=True)",
    "huge integer": f"Integer({'9' * 60})",
    "zero denominator": "Rational(1, 0)",
    "float as code": "Float('__import__(\"os\")', precision=53)",
    "huge float precision": "Float('1.5', precision=10000000)",
    "deep nesting": "Abs(" * 10_000 + "Symbol('x')" + ")" * 10_000,
    "moderately deep": "Abs(" * 100 + "Symbol('x')" + ")" * 100,
    "many nodes": "Add(" + ", ".join(["pi"] * 3_000) + ")",
    "not srepr": "alpha + beta",
    "a boolean": "true",
    "a tuple": "Tuple(Integer(1))",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_srepr_is_refused_quickly_without_quoting_it(name):
    text = HOSTILE[name]
    start = time.perf_counter()
    ok, message = judge(spec(alpha), {"srepr": text}, hidden=True)
    assert time.perf_counter() - start < 2
    assert not ok and message.startswith("the answer could not be read as a SymPy expression: ")
    assert text[:12] not in message
    with pytest.raises(UnsafeExpression):
        parse(text)


@pytest.mark.parametrize("text", [
    "Pow(Integer(10), Integer(1000000000))",
    "Pow(Integer(10), Pow(Integer(10), Pow(Integer(10), Integer(10))))",
    "Pow(Symbol('alpha'), Pow(Integer(10), Integer(30)))",
    "exp(exp(exp(exp(Mul(Integer(1000), Symbol('alpha'))))))",
    "sin(Pow(Integer(10), Integer(1000)))",
    "Pow(Add(Integer(1), Pow(Integer(10), Integer(-40))), Pow(Integer(10), Integer(45)))",
    "Mul(" + ", ".join(["Pow(Integer(10), Integer(900))"] * 500) + ")",
])
def test_huge_values_are_rejected_in_bounded_time(text):
    start = time.perf_counter()
    result = compare(text, sp.srepr(alpha))
    assert time.perf_counter() - start < 2
    assert result.equal is False


def test_simplify_decides_in_a_limited_child_when_numbers_cannot():
    # (compare() calls it only when the expected expression is undefined at almost every
    # point, so a hostile answer alone never starts it.)
    assert simplify_compare(sp.srepr(alpha / (1 - beta)), sp.srepr(-alpha / (beta - 1))).equal
    slow = sp.srepr(sp.Add(*[sp.sin(x + k)**(2 * k) for k in range(1, 40)], evaluate=False))
    start = time.perf_counter()
    result = simplify_compare(slow, sp.srepr(sp.sin(x)), seconds=3)
    assert time.perf_counter() - start < 10
    assert result.equal in (None, False)


def test_assert_symbolic_asserts_in_a_notebook_and_keeps_its_old_signature():
    assert_symbolic(-alpha / (beta - 1), alpha / (1 - beta), "terminal velocity")
    with pytest.raises(AssertionError, match="terminal velocity looks like no sign"):
        assert_symbolic(-alpha / (1 - beta), alpha / (1 - beta), "terminal velocity",
                        mistakes=[(-alpha / (1 - beta), "no sign")])


def test_record_mode_keeps_only_the_srepr_and_the_sandbox_copy_drops_mistakes():
    seen = []
    checks.configure("record", seen.append)
    try:
        checks.begin_part("q", "hidden")
        assert_symbolic(alpha / (1 - beta), None, "x", mistakes=None)
    finally:
        checks.configure("assert")
    assert seen == [{"q": "q", "part": "hidden", "n": 0,
                     "record": {"srepr": sp.srepr(alpha / (1 - beta))}}]
    code = for_sandbox("assert_symbolic(a, expected=b, what='w', mistakes=[(c, 'h')])\n")
    assert code == "assert_symbolic(a, expected=None, what='w', mistakes=None)\n"

"""The instructor's test cells as the two processes of a grading see them.

A test cell has a visible part and, between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``, a hidden part (nbgrader's markers). :func:`split_test` cuts it in
two. :func:`for_sandbox` is the copy that runs beside the student's code: every argument that
holds an expected value (``expected``, ``mistakes``, the ``before`` of ``assert_unchanged``)
becomes ``None`` and every function decorated ``@reference_only`` is gone, so neither the
expected values nor the code computing them exist in the student's process.
"""

from __future__ import annotations

import ast

BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

# For each check: the positional index and keyword names of its arguments that hold
# expected values or mistakes.
_REFERENCE_ARGS = {
    "assert_close": (1, ("expected", "mistakes")),
    "assert_equal": (1, ("expected", "mistakes")),
    "assert_choice": (1, ("expected",)),
    "assert_symbolic": (1, ("expected", "mistakes")),
    "assert_unchanged": (0, ("before",)),
}


def split_test(source: str) -> tuple[str, str]:
    """``(visible, hidden)`` code of a test cell; the hidden part is "" if there is none.
    Lines after ``### END HIDDEN TESTS`` belong to the hidden part (students never see them)."""
    if BEGIN_HIDDEN not in source:
        return source, ""
    visible, _, rest = source.partition(BEGIN_HIDDEN)
    hidden = rest.replace(END_HIDDEN, "", 1)
    return visible.rstrip("\n") + "\n", hidden.strip("\n") + "\n"


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _is_reference_only(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for decorator in node.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(
            decorator, "id", None)
        if name == "reference_only":
            return True
    return False


class _Strip(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        rule = _REFERENCE_ARGS.get(_called_name(node) or "")
        if rule is not None:
            index, keywords = rule
            if len(node.args) > index and not isinstance(node.args[index], ast.Starred):
                node.args[index] = ast.Constant(None)
            for keyword in node.keywords:
                if keyword.arg in keywords:
                    keyword.value = ast.Constant(None)
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                kept = [item for item in value
                        if not (isinstance(item, ast.AST) and _is_reference_only(item))]
                if kept != value:
                    if not kept and field == "body":
                        kept = [ast.Pass()]
                    setattr(node, field, kept)
        return super().generic_visit(node)


def for_sandbox(source: str) -> str:
    """The test code with expected values, mistakes and ``@reference_only`` functions removed.
    Raises SyntaxError (naming the problem) if the instructor's code does not parse."""
    tree = ast.parse(source)
    tree = ast.fix_missing_locations(_Strip().visit(tree))
    return ast.unparse(tree) + "\n"

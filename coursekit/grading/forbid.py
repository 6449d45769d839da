"""Forbidding part of coursekit in an exercise: "implement Adam" must not pass with
``coursekit.optim.Adam``.

A notebook lists coursekit modules beside whole packages in its metadata,
``"coursekit": {"forbidden_imports": ["torch", "coursekit.optim", "coursekit.nn.batchnorm"]}``.
A forbidden *package* (``torch``) gets an empty directory in the sandbox (see
:mod:`coursekit.grading.sandbox`). A forbidden *coursekit module* cannot simply vanish, since
the rest of coursekit imports it (``coursekit.nn`` imports ``batchnorm``; ``coursekit.train``
imports ``coursekit.optim.runner``). So the sandbox mounts, over every source file of the
module (every ``.py`` of a package), a **stub** written by :func:`stub_source`: the same
public names, each a placeholder that raises ImportError when called, instantiated or used.
Every ``import`` still succeeds, so the rest of coursekit stays importable; any use of a
forbidden name fails. The module's ``__pycache__`` directories are hidden too, so no
compiled copy of the real code is left inside. This is the sandbox's filesystem, not a hook
in the student's process: the real source is simply not there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import coursekit

_PACKAGE = Path(coursekit.__file__).resolve().parent

_HEADER = '''"""{name} is not available in this exercise: the grader replaced it with this stub."""

_MESSAGE = "{name} is not available in this exercise: write it yourself"


class _Unavailable(type):
    def __call__(cls, *args, **kwargs):
        raise ImportError(_MESSAGE)

    def __getattr__(cls, attribute):
        raise AttributeError(_MESSAGE)  # AttributeError: getattr(cls, name, default) works


def _unavailable(*args, **kwargs):
    raise ImportError(_MESSAGE)


def __getattr__(attribute):
    raise AttributeError(_MESSAGE)  # AttributeError: `from package import submodule` needs it

'''


def is_coursekit_module(name: str) -> bool:
    return name == "coursekit" or name.startswith("coursekit.")


def module_files(name: str, package: Path = _PACKAGE) -> list[Path]:
    """The source files of the coursekit module or package ``name`` (ValueError if there is
    none, or if it is the package itself or its grading code, which the sandbox needs)."""
    parts = name.split(".")
    if parts[0] != "coursekit" or len(parts) < 2 or not all(p.isidentifier() for p in parts):
        raise ValueError(f"forbidden_imports: {name!r} is not a coursekit submodule "
                         "(e.g. 'coursekit.optim' or 'coursekit.nn.batchnorm')")
    if parts[1] == "grading":
        raise ValueError(f"forbidden_imports: {name!r} cannot be forbidden: the grader's "
                         "checks run inside the sandbox")
    base = package.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return sorted(base.rglob("*.py"))
    if base.with_suffix(".py").is_file():
        return [base.with_suffix(".py")]
    raise ValueError(f"forbidden_imports: coursekit has no module {name!r}")


def module_name(path: Path, package: Path = _PACKAGE) -> str:
    """``coursekit.optim.adam`` for ``.../coursekit/optim/adam.py`` (packages: no __init__)."""
    parts = ["coursekit", *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _literal(node: ast.AST) -> bool:
    """A value that is data, not code: constants, names and containers of them (``__all__``,
    ``ACTIVATIONS = {"relu": ReLU}``). Kept in a stub, so modules that read it at import work."""
    if isinstance(node, ast.Constant | ast.Name):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _literal(k) for k in node.keys) \
            and all(_literal(v) for v in node.values)
    return False


def stub_source(path: Path, forbidden: list[str], package: Path = _PACKAGE) -> str:
    """A stand-in for the source file ``path`` of a forbidden module: the same public names
    (classes, functions, values, re-exports), each raising ImportError when used. Literal
    values (``__all__``, a dict of class names) are kept; so are imports of other forbidden
    modules (re-exports resolve to their stubs); every other imported name becomes a
    placeholder too."""
    name = module_name(path, package)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"

    def forbidden_module(module: str) -> bool:
        return any(module == f or module.startswith(f + ".") for f in forbidden)

    def placeholder(bound: str) -> str:
        return f"{bound} = _Unavailable({bound!r}, (), {{}})"

    out = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out.append(f"class {node.name}(metaclass=_Unavailable):\n    pass")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(f"{node.name} = _unavailable")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None \
                        and _literal(node.value):
                    out.append(f"{target.id} = {ast.unparse(node.value)}")
                elif isinstance(target, ast.Name) and not target.id.startswith("__"):
                    out.append(placeholder(target.id))
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, name, is_package)
            if module == "__future__":
                continue
            if forbidden_module(module):
                out.append(ast.unparse(node))
            else:
                out += [placeholder(a.asname or a.name) for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Import):
            out += [placeholder(a.asname) for a in node.names if a.asname]
    return _HEADER.format(name=name) + "\n".join(out) + "\n"


def stubs(forbidden: list[str], package: Path = _PACKAGE) -> dict[Path, str]:
    """``{source file: stub text}`` for every coursekit module in ``forbidden``."""
    modules = [f for f in forbidden if is_coursekit_module(f)]
    return {path: stub_source(path, modules, package)
            for name in modules for path in module_files(name, package)}

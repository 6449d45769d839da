"""The grader's guard inside the student's kernel: restore what a submission may have broken.

Before any student code runs, :func:`setup_source` snapshots the namespaces the instructor's
tests rely on (``builtins``, numpy and its ``testing`` / ``linalg`` / ``random`` modules,
``coursekit.grading.checks``, ``coursekit.landscapes``, torch when the submission uses it)
and registers a guard module under a name containing a fresh random nonce. Each instructor
test cell is then wrapped as ``prologue + test + epilogue``:

- the prologue puts every snapshotted module back into ``sys.modules`` and every name the
  module had back into it (a deleted ``assert_close``, a ``np.testing.assert_allclose``
  rebound to a no-op, a fake ``numpy`` in ``sys.modules``), restores ``sys.stdout`` /
  ``sys.stderr`` and rebinds ``np`` to numpy in the notebook's namespace;
- the epilogue prints a pass marker containing the nonce on the saved stdout. The grader
  counts a test as passed only if the cell finished without error *and* printed the marker,
  so a submission that makes cells silently skip (e.g. by hooking IPython) passes nothing.

Scope: this defends against names rebound or deleted before or between test cells, which is
what careless or casually hostile code does. Code running in the same interpreter can always
defeat an in-process check on purpose (patching C-level hooks, or patching from inside a
graded function while the test runs); only an out-of-process comparison would stop that.
"""

from __future__ import annotations

BASE_MODULES = (
    "builtins",
    "math",
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.testing",
    "coursekit.grading.checks",
    "coursekit.landscapes",
)
TORCH_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.optim",
                 "torch.optim.lr_scheduler")

# IPython manages these builtins itself around every cell; restoring them would fight it.
_IPYTHON_NAMES = ("_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__")

_SETUP = '''\
def _ck_install(guard_name, module_names, ipython_names):
    import importlib
    import sys
    import types

    modules = {name: importlib.import_module(name) for name in module_names}
    saved = {name: dict(vars(module)) for name, module in modules.items()}
    streams = (sys.stdout, sys.stderr)

    def restore(user_ns):
        for name, module in modules.items():
            sys.modules[name] = module
            current = vars(module)
            for key, value in saved[name].items():
                if key not in ipython_names and current.get(key, restore) is not value:
                    current[key] = value
        sys.stdout, sys.stderr = streams
        user_ns["np"] = modules["numpy"]

    def passed():
        streams[0].write("\\n" + guard_name + "\\n")
        streams[0].flush()

    guard = types.ModuleType(guard_name)
    guard.restore, guard.passed = restore, passed
    sys.modules[guard_name] = guard
'''


def guard_name(nonce: str) -> str:
    """The guard module's name, which doubles as the pass marker."""
    return f"_coursekit_guard_{nonce}"


def setup_source(nonce: str, with_torch: bool) -> str:
    """Code to run first in the kernel: snapshot the trusted modules, register the guard."""
    modules = BASE_MODULES + (TORCH_MODULES if with_torch else ())
    call = f"_ck_install({guard_name(nonce)!r}, {modules!r}, {_IPYTHON_NAMES!r})"
    return f"{_SETUP}\n\n{call}\ndel _ck_install\n"


def wrap_test(source: str, nonce: str) -> str:
    """An instructor test cell between the restoring prologue and the pass-marker epilogue."""
    guard = f'__import__("sys").modules["{guard_name(nonce)}"]'
    return f"{guard}.restore(globals())\n{source}\n{guard}.passed()\n"

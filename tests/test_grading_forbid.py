"""Forbidden coursekit modules (coursekit/grading/forbid.py): the stubs keep every other
module importable, and every use of a forbidden name raises ImportError. The sandbox itself is
exercised by the hostile cases in tests/grading_cases/hostile.toml."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import coursekit
from coursekit.grading import forbid
from coursekit.grading.assignment import load_assignments

PACKAGE = Path(coursekit.__file__).resolve().parent
SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
LISTS = sorted({tuple(a.forbidden_imports) for a in load_assignments(SOLUTIONS).values()})

PROBE = r'''
import importlib, json, pkgutil, sys
import coursekit

failed, usable = [], {}
for m in pkgutil.walk_packages(coursekit.__path__, "coursekit."):
    # Presentation layers (matplotlib, ipywidgets) are slow to import and never forbidden.
    if m.name.endswith("torch_bridge") or m.name.startswith(("coursekit.grading.",
            "coursekit.widgets", "coursekit.plot", "coursekit.site", "coursekit.present",
            "coursekit.release", "coursekit.cli")):
        continue
    try:
        importlib.import_module(m.name)
    except Exception as exc:
        failed.append(f"{m.name}: {type(exc).__name__}: {exc}")
for path in sys.argv[1:]:
    module, _, name = path.rpartition(".")
    try:
        getattr(importlib.import_module(module), name)()
        usable[path] = "no error"
    except ImportError as exc:
        usable[path] = str(exc)
    except Exception as exc:
        usable[path] = type(exc).__name__
print(json.dumps({"failed": failed, "usable": usable}))
'''


def probe(tmp_path: Path, forbidden: list[str], calls: list[str]) -> dict:
    """Import every coursekit module from a copy whose forbidden files are stubs (as the
    sandbox mounts them), then call ``calls`` (dotted names) without arguments."""
    copy = tmp_path / "lib" / "coursekit"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for source, text in forbid.stubs(forbidden).items():
        (copy / source.relative_to(PACKAGE)).write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", PROBE, *calls], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(copy.parent), "MPLBACKEND": "Agg",
                                            "PATH": "/usr/bin:/bin"}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize("forbidden", LISTS, ids=lambda f: "+".join(f))
def test_every_exercises_forbidden_list_leaves_the_rest_of_coursekit_importable(tmp_path,
                                                                                forbidden):
    result = probe(tmp_path, list(forbidden), [])
    assert result["failed"] == []


def test_a_forbidden_name_raises_importerror_and_an_allowed_one_works(tmp_path):
    result = probe(tmp_path, ["coursekit.optim", "coursekit.nn.batchnorm"], [
        "coursekit.optim.Adam", "coursekit.optim.run", "coursekit.optim.lr_scheduler.LinearLR",
        "coursekit.nn.BatchNorm1d", "coursekit.nn.batchnorm.BatchNorm1d",
        "coursekit.nn.ReLU",
        "coursekit.landscapes.Rosenbrock"])
    usable = result["usable"]
    assert usable["coursekit.optim.Adam"] == (
        "coursekit.optim.adam is not available in this exercise: write it yourself")
    assert usable["coursekit.optim.run"].startswith("coursekit.optim.runner is not available")
    assert usable["coursekit.optim.lr_scheduler.LinearLR"].startswith(
        "coursekit.optim.lr_scheduler is not available")
    assert usable["coursekit.nn.BatchNorm1d"].startswith("coursekit.nn.batchnorm is not")
    assert usable["coursekit.nn.batchnorm.BatchNorm1d"] == usable["coursekit.nn.BatchNorm1d"]
    assert usable["coursekit.nn.ReLU"] == "no error"
    assert usable["coursekit.landscapes.Rosenbrock"] == "no error"


@pytest.mark.parametrize("name, problem", [
    ("torchvision.models", "not a coursekit submodule"), ("coursekit", "not a coursekit"),
    ("coursekit.grading.checks", "cannot be forbidden"), ("coursekit.grading", "cannot be"),
    ("coursekit.optimizers", "coursekit has no module"), ("coursekit.optim.Adam", "no module"),
    ("coursekit..optim", "not a coursekit submodule")])
def test_a_forbidden_name_that_is_not_a_coursekit_module_is_refused(name, problem):
    with pytest.raises(ValueError, match=problem):
        forbid.module_files(name)


def test_a_stub_keeps_no_line_of_the_real_code():
    for source, text in forbid.stubs(["coursekit.optim", "coursekit.nn"]).items():
        real = {line.strip() for line in source.read_text().splitlines()
                if len(line.strip()) > 30 and not line.strip().startswith(("from ", "import ",
                                                                           "__all__", '"'))}
        assert not real & {line.strip() for line in text.splitlines()}, source

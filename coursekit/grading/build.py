"""Build ``exercises/`` from ``solutions/`` with nbgrader's own preprocessors.

Each solution notebook goes through nbgrader's ``ClearSolutions`` (solution blocks become
``# YOUR CODE HERE`` / ``raise NotImplementedError()``), ``ClearHiddenTests`` (hidden-test
blocks vanish) and ``LockCells`` (test and read-only cells become non-editable and
non-deletable in JupyterLab), then nbconvert's ``ClearOutputPreprocessor``.

The build never overwrites a file it did not write: ``exercises/MANIFEST.json`` records the
SHA-256 of every notebook the last build wrote, and a notebook whose content matches neither
that hash nor the fresh build (a student or instructor edited it) stops the whole build
before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, LockCells

from .assignment import solution_paths

MANIFEST = "MANIFEST.json"


class BuildRefused(RuntimeError):
    """The build would overwrite files that are not the output of a previous build."""


@dataclass
class BuildReport:
    """What a build did: files written, files already up to date, files it left alone
    because no solution produces them."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    strangers: list[str] = field(default_factory=list)


def build_exercise(solution: Path | str) -> str:
    """The student version of one solution notebook, as the text to write to disk."""
    nb = nbformat.read(solution, as_version=4)
    resources: dict = {}
    for step in (ClearSolutions(), ClearHiddenTests(), LockCells(), ClearOutputPreprocessor()):
        nb, resources = step.preprocess(nb, resources)
    return nbformat.writes(nb) + "\n"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stale_exercises(solutions_dir: Path | str, exercises_dir: Path | str) -> list[str]:
    """Names of exercise notebooks that are missing or differ from a fresh build."""
    exercises_dir = Path(exercises_dir)
    stale = []
    for solution in solution_paths(solutions_dir):
        target = exercises_dir / solution.name
        if not target.exists() or target.read_text(encoding="utf-8") != build_exercise(solution):
            stale.append(solution.name)
    return stale


def build_exercises(solutions_dir: Path | str, exercises_dir: Path | str) -> BuildReport:
    """Write the student version of every solution notebook into ``exercises_dir``.

    Raises BuildRefused, writing nothing, if a target exists whose content is neither the
    fresh build nor what the manifest says the previous build wrote.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if exercises_dir.resolve() == solutions_dir.resolve():
        raise ValueError(f"exercises_dir must differ from solutions_dir; got {exercises_dir}")
    solutions = solution_paths(solutions_dir)
    if not solutions:
        raise FileNotFoundError(f"no solution notebooks NN_topic.ipynb in {solutions_dir}")
    manifest_path = exercises_dir / MANIFEST
    recorded = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    report, pending, refused = BuildReport(), {}, []
    for solution in solutions:
        data = build_exercise(solution).encode("utf-8")
        target = exercises_dir / solution.name
        if target.exists():
            current = target.read_bytes()
            if current == data:
                report.unchanged.append(solution.name)
                continue
            if _sha256(current) != recorded.get(solution.name):
                refused.append(solution.name)
                continue
        pending[solution.name] = data
    if refused:
        raise BuildRefused(
            f"not overwriting {', '.join(refused)} in {exercises_dir}: the content is not what "
            f"a previous build wrote (edited by hand?). Move the file(s) away and build again.")
    exercises_dir.mkdir(parents=True, exist_ok=True)
    for name, data in pending.items():
        tmp = exercises_dir / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, exercises_dir / name)
        report.written.append(name)
    manifest = {s.name: _sha256((exercises_dir / s.name).read_bytes()) for s in solutions}
    manifest_text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    if not manifest_path.exists() or manifest_path.read_text() != manifest_text:
        manifest_path.write_text(manifest_text)
    known = {s.name for s in solutions}
    report.strangers = sorted(p.name for p in exercises_dir.glob("*.ipynb") if p.name not in known)
    return report

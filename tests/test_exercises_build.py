"""exercises/ is nbgrader's student version of solutions/, built without clobbering edits."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit import cli
from coursekit.grading.assignment import (
    grade_id,
    is_answer,
    is_test,
    load_assignments,
    solution_paths,
)
from coursekit.grading.build import (
    MANIFEST,
    BuildRefused,
    build_exercise,
    build_exercises,
    stale_exercises,
)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
NAMES = [p.name for p in solution_paths(SOLUTIONS)]


def test_committed_exercises_match_a_fresh_build():
    assert stale_exercises(SOLUTIONS, EXERCISES) == []
    assert cli.main(["exercises", "build", "--check"]) == 0


def test_the_manifest_records_the_committed_exercises():
    manifest = json.loads((EXERCISES / MANIFEST).read_text())
    assert sorted(manifest) == NAMES
    for name, digest in manifest.items():
        assert hashlib.sha256((EXERCISES / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("name", NAMES)
def test_an_exercise_keeps_no_solution_hidden_test_or_output(name):
    exercise = nbformat.read(EXERCISES / name, as_version=4)
    solution = nbformat.read(SOLUTIONS / name, as_version=4)
    assert [grade_id(c) for c in exercise.cells] == [grade_id(c) for c in solution.cells]
    text = (EXERCISES / name).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "import torch"):
        assert marker not in text, marker
    for cell, original in zip(exercise.cells, solution.cells, strict=True):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None
        if is_answer(cell):
            assert re.search(r"# YOUR CODE HERE\n *raise NotImplementedError\(\)", cell.source)
            if original.source.startswith("def "):  # a value (a prediction) has no def to keep
                assert cell.source.splitlines()[0] == original.source.splitlines()[0]
        if is_test(cell):
            assert cell.metadata.editable is False and cell.metadata.deletable is False
            assert cell.source == original.source.split("### BEGIN HIDDEN TESTS")[0].rstrip("\n")


def copy_solutions(tmp_path: Path) -> Path:
    target = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, target)
    return target


def test_a_build_writes_once_and_then_finds_everything_up_to_date(tmp_path):
    solutions, exercises = copy_solutions(tmp_path), tmp_path / "exercises"
    first = build_exercises(solutions, exercises)
    assert first.written == NAMES and first.unchanged == []
    second = build_exercises(solutions, exercises)
    assert second.written == [] and second.unchanged == NAMES
    assert (exercises / NAMES[0]).read_bytes() == (EXERCISES / NAMES[0]).read_bytes()


def test_a_build_rewrites_its_own_output_when_a_solution_changes(tmp_path):
    solutions, exercises = copy_solutions(tmp_path), tmp_path / "exercises"
    build_exercises(solutions, exercises)
    nb = nbformat.read(solutions / NAMES[0], as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, solutions / NAMES[0])
    report = build_exercises(solutions, exercises)
    assert report.written == [NAMES[0]]
    assert "A new sentence." in (exercises / NAMES[0]).read_text()


def test_a_build_refuses_to_overwrite_an_edited_exercise_and_writes_nothing(tmp_path):
    solutions, exercises = copy_solutions(tmp_path), tmp_path / "exercises"
    build_exercises(solutions, exercises)
    edited = exercises / NAMES[1]
    nb = nbformat.read(edited, as_version=4)
    nb.cells[2].source = "my answer"
    nbformat.write(nb, edited)
    student_bytes = edited.read_bytes()
    for name in NAMES[:2]:  # both solutions change, so both exercises would be rewritten
        nb = nbformat.read(solutions / name, as_version=4)
        nb.cells[0].source += "\n\nUpdated."
        nbformat.write(nb, solutions / name)
    untouched = (exercises / NAMES[0]).read_bytes()
    with pytest.raises(BuildRefused, match=NAMES[1]):
        build_exercises(solutions, exercises)
    assert edited.read_bytes() == student_bytes
    assert (exercises / NAMES[0]).read_bytes() == untouched


def test_a_build_refuses_a_file_it_never_wrote(tmp_path):
    solutions, exercises = copy_solutions(tmp_path), tmp_path / "exercises"
    exercises.mkdir()
    (exercises / NAMES[0]).write_text("{}")
    with pytest.raises(BuildRefused):
        build_exercises(solutions, exercises)
    assert (exercises / NAMES[0]).read_text() == "{}"


def test_a_build_will_not_write_into_the_solutions(tmp_path):
    solutions = copy_solutions(tmp_path)
    with pytest.raises(ValueError, match="must differ"):
        build_exercises(solutions, solutions)


def test_real_nbgrader_releases_our_student_version_and_autogrades_every_solution_full(
        tmp_path):
    """nbgrader 0.9.6 itself accepts solutions/ as its source directory: its release version
    has the cells our build writes (nbgrader adds checksums to the metadata), and its
    autograde (in-kernel, nbgrader's own trust model: our checks assert there) gives every
    solution, handed in as a student's submission, full marks."""
    source = tmp_path / "source" / "ps1"
    source.mkdir(parents=True)
    for name in NAMES:
        shutil.copy(SOLUTIONS / name, source / name)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    nbgrader = Path(sys.executable).parent / "nbgrader"

    def run(*args: str) -> None:
        done = subprocess.run([str(nbgrader), *args, f"--CourseDirectory.root={tmp_path}"],
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]

    run("generate_assignment", "ps1", "--force")
    for name in NAMES:
        released = nbformat.read(tmp_path / "release" / "ps1" / name, as_version=4)
        ours = nbformat.reads(build_exercise(SOLUTIONS / name), as_version=4)
        assert [c.source for c in released.cells] == [c.source for c in ours.cells]
    submitted = tmp_path / "submitted" / "student1" / "ps1"
    submitted.mkdir(parents=True)
    for name in NAMES:
        shutil.copy(SOLUTIONS / name, submitted / name)
    run("autograde", "ps1", "--create", "--force")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission("ps1", "student1")
        scores = {nb.name: (nb.score, nb.max_score) for nb in submission.notebooks}
    points = {name: a.max_score for name, a in load_assignments(SOLUTIONS).items()}
    # nbgrader counts the manual-graded written answers in the maximum, scored 0 until graded
    manual = {name: sum(c.metadata.nbgrader["points"] for c in nbformat.read(
        SOLUTIONS / f"{name}.ipynb", as_version=4).cells if c.cell_type == "markdown"
        and c.metadata.get("nbgrader", {}).get("grade")) for name in points}
    assert scores == {name: (total, total + manual[name]) for name, total in points.items()}

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
from coursekit.grading.grade import grade_many

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


def test_every_unmodified_exercise_scores_zero_without_crashing_the_grader():
    assignments = load_assignments(SOLUTIONS)
    results = grade_many([EXERCISES / name for name in NAMES], assignments, jobs=2, timeout=120)
    for result in results:
        assert not result.error, result.error
        assert result.score == 0 and result.max_score > 0, result.submission
        assert all(q.message == "not answered yet (NotImplementedError)"
                   for q in result.questions), result.questions


def test_the_real_nbgrader_cli_generates_the_same_student_version(tmp_path):
    """nbgrader itself accepts solutions/ as its source directory; its release version has
    the cells our build writes (nbgrader adds checksums to the metadata)."""
    source = tmp_path / "source" / "ps1"
    source.mkdir(parents=True)
    for name in NAMES[:2]:
        shutil.copy(SOLUTIONS / name, source / name)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    nbgrader = Path(sys.executable).parent / "nbgrader"
    run = subprocess.run([str(nbgrader), "generate_assignment", "ps1", "--force",
                          f"--CourseDirectory.root={tmp_path}"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    for name in NAMES[:2]:
        released = nbformat.read(tmp_path / "release" / "ps1" / name, as_version=4)
        ours = nbformat.reads(build_exercise(SOLUTIONS / name), as_version=4)
        assert [c.source for c in released.cells] == [c.source for c in ours.cells]

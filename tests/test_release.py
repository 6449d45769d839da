"""``coursekit release``: the student course holds no answer and no hidden test, no autograder,
and collects and runs its own tests without solutions/ or nbgrader (instructor-only test:
it imports coursekit.release, so the release itself leaves it out)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from coursekit.release import (
    HOME,
    REPO,
    home_notebook,
    instructor_modules,
    instructor_only,
    write_release,
)

SOLUTIONS = REPO / "solutions"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
ANSWER = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("release") / "course"
    write_release(dest)
    return dest


@pytest.fixture(scope="module")
def no_nbgrader(tmp_path_factory) -> dict[str, str]:
    """An environment in which `import nbgrader` fails, as in a student's .venv."""
    shadow = tmp_path_factory.mktemp("shadow")
    (shadow / "nbgrader").mkdir()
    (shadow / "nbgrader" / "__init__.py").write_text(
        "raise ImportError('nbgrader is not installed for students')\n")
    return {**os.environ, "PYTHONPATH": str(shadow), "OPENBLAS_NUM_THREADS": "1"}


def secret_lines(pattern: re.Pattern) -> set[str]:
    """Distinctive lines (≥ 25 characters) that only the solutions' answer or hidden-test
    blocks hold: not in the visible part of a solution notebook, nor in the lessons, library
    or student tests (where, say, an import line or a seed is public anyway)."""
    inside, outside = set(), set()
    for path in SOLUTIONS.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            blocks = pattern.findall(cell.source)
            for block in blocks:
                inside |= {ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 25}
            visible = pattern.sub("", cell.source)
            outside |= {ln.strip() for ln in visible.splitlines()}
    modules = instructor_modules()
    hidden = {REPO / (m.replace(".", "/") + ".py") for m in modules}
    files = [*(REPO / "notebooks").glob("*.ipynb"),
             *(p for p in (REPO / "coursekit").rglob("*.py") if p not in hidden),
             *(p for p in (REPO / "tests").rglob("*.py") if not instructor_only(p, modules))]
    public = "\n".join(p.read_text(encoding="utf-8") for p in files)
    return {ln for ln in inside - outside if ln not in public}


def release_text(release: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in release.rglob("*") if p.is_file())


def test_release_has_no_solutions_folder_no_answer_and_no_hidden_test(release):
    assert not (release / "solutions").exists()
    assert not (release / ".ci").exists()
    text = release_text(release)
    hidden, answers = secret_lines(HIDDEN), secret_lines(ANSWER)
    assert len(hidden) > 20 and len(answers) > 20, "too few solution lines to look for"
    leaked = [ln for ln in hidden | answers if ln in text]
    assert not leaked, f"{len(leaked)} solution lines in the release, e.g. {leaked[:2]}"
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text


def test_release_has_lessons_exercises_library_and_the_two_commands(release):
    for folder in ("notebooks", "exercises"):
        assert sorted(p.name for p in (release / folder).glob("*.ipynb")) == sorted(
            p.name for p in (REPO / folder).glob("*.ipynb"))
    for name in ("README.md", "Makefile", "pyproject.toml", "environment.yml", HOME,
                 "coursekit/grading/checks.py", "tests/nbval_sanitize.cfg",
                 "coursekit/labextensions/coursekit-a11y/package.json",
                 "coursekit/labextensions/coursekit-a11y/static/remoteEntry.js"):
        assert (release / name).is_file(), name
    for module in instructor_modules():
        assert not (release / (module.replace(".", "/") + ".py")).exists(), module
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert "make lab" in readme and "make test" in readme
    assert "For instructors" not in readme and "solutions/" not in readme
    assert "For instructors" in (REPO / "README.md").read_text(encoding="utf-8")


def test_release_exercises_readme_speaks_to_students_and_lists_every_exercise(release):
    instructor = (REPO / "exercises" / "README.md").read_text(encoding="utf-8")
    assert "do not edit" in instructor  # the repository's copy is the instructor's
    readme = (release / "exercises" / "README.md").read_text(encoding="utf-8")
    for phrase in ("do not edit", "solutions/", "coursekit exercises build", "Generated"):
        assert phrase not in readme, phrase
    assert "# YOUR CODE HERE" in readme and "test cell" in readme and HOME in readme
    linked = re.findall(r"\]\((\d\d_[^)]+\.ipynb)\)", readme)
    assert linked == sorted(p.name for p in (REPO / "exercises").glob("[0-9][0-9]_*.ipynb"))
    for name in linked:
        assert (release / "exercises" / name).is_file(), name


def test_student_makefile_installs_no_nbgrader_and_opens_the_course_home(release):
    def planned(folder: Path) -> str:
        return subprocess.run(["make", "-n", "-B", "setup", "lab"], cwd=folder, text=True,
                              capture_output=True, check=True).stdout

    student, instructor = planned(release), planned(REPO)
    assert "-e '.[dev]'" in student and "nbgrader" not in student
    assert "-e '.[dev,instructor]'" in instructor and "nbgrader" in instructor
    project = tomllib.loads((release / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("nbgrader")]
    assert [d for d in project["optional-dependencies"]["instructor"] if "nbgrader" in d]
    assert f"jupyter lab {HOME}" in student.replace("--allow-root ", "")
    # JupyterLab loads coursekit's front-end extension (accessible names, issue 19) from the
    # course's own copy of the library.
    for folder, plan in ((release, student), (REPO, instructor)):
        assert f"--LabApp.extra_labextensions_path={folder.resolve()}/coursekit/labextensions" \
            in plan


def test_release_tests_collect_without_solutions_or_nbgrader(release, no_nbgrader):
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                          "no:randomly", "tests"], cwd=release, env=no_nbgrader,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    collected = re.search(r"(\d+) tests? collected", run.stdout)
    assert collected and int(collected.group(1)) > 100, run.stdout[-500:]
    assert "coursekit/release" not in run.stdout and "test_grading" not in run.stdout


def test_release_passes_its_project_and_plot_tests_and_refuses_to_grade(release, no_nbgrader):
    env = {**no_nbgrader, "PYTHONPATH": f"{release}{os.pathsep}{no_nbgrader['PYTHONPATH']}"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                          "-p", "no:cacheprovider", "tests/test_project.py",
                          "tests/test_plot.py"], cwd=release, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    grade = subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", "x.ipynb"],
                           cwd=release, env=env, capture_output=True, text=True, timeout=60)
    assert grade.returncode == 2 and "instructor command" in grade.stderr, grade.stderr


def test_course_home_is_current_and_links_every_lesson_and_exercise():
    committed = nbformat.read(REPO / HOME, as_version=4)
    assert committed.cells[0].source == home_notebook().cells[0].source, \
        "START_HERE.ipynb is stale: python -c 'from coursekit.release import write_home; " \
        "write_home()'"
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", committed.cells[0].source)
    expected = sorted(f"{folder}/{p.name}" for folder in ("notebooks", "exercises")
                      for p in (REPO / folder).glob("[0-9][0-9]_*.ipynb"))
    assert sorted(links) == expected


def test_release_refuses_a_non_empty_folder_and_the_repository_itself(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("a student's work")
    with pytest.raises(ValueError, match="not empty"):
        write_release(tmp_path / "old")
    assert (tmp_path / "old" / "keep.txt").read_text() == "a student's work"
    with pytest.raises(ValueError, match="outside the course repository"):
        write_release(REPO / "build" / "release")

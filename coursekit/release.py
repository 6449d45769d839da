"""The student course, written apart from the instructor's repository.

    coursekit release ../course-2026        # a folder to publish (git init, push, share)

The release holds what a student needs and nothing that gives answers away or belongs to the
instructor: the lessons (``notebooks/``), the exercises as generated from ``solutions/``
(answers cleared, hidden tests removed), the library without the autograder (only
``coursekit.grading.checks``, which the exercises' visible tests import, and what it imports),
the tests that need neither ``solutions/`` nor the autograder, the course home
``START_HERE.ipynb``, README (its instructor section cut), Makefile, pyproject.toml and
environment.yml. It installs and tests itself with the same two commands as the course:
``make lab`` and ``make test``.

What stays behind: ``solutions/``, the autograder (``coursekit.grading`` but ``checks``), this
module, CI, and every test or benchmark file that mentions ``solutions``, nbgrader or an
instructor module (listed by :func:`instructor_only`).
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
HOME = "START_HERE.ipynb"
TOP_FILES = ["README.md", "Makefile", "pyproject.toml", "environment.yml", ".gitignore",
             "conftest.py", HOME]
FOLDERS = ["notebooks", "exercises", "tests", "benchmarks"]
# The library's files that are not Python: the front-end extension JupyterLab and Voilà load.
PACKAGE_DATA = "coursekit/labextensions"
STUDENT_GRADING = "coursekit.grading.checks"  # imported by the exercises' visible tests
INSTRUCTOR_MODULES = ["coursekit.release"]
# Instructor-only text in README.md, cut from the student's copy.
INSTRUCTOR_SECTION = re.compile(r"<!-- instructor -->.*?<!-- /instructor -->\n?", re.S)
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", "screenshots", "results", ".hypothesis"}


@dataclass
class Release:
    """What ``write_release`` wrote and what it left behind (paths relative to the repo)."""

    dest: Path
    copied: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def _imports(path: Path) -> set[str]:
    """Modules a Python file imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.with_suffix("").parts[path.parts.index("coursekit"):-1]) \
        if "coursekit" in path.parts else ""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


def student_grading_modules(repo: Path = REPO) -> set[str]:
    """``coursekit.grading.checks`` and every ``coursekit.grading`` module it imports."""
    wanted, todo = {"coursekit.grading"}, [STUDENT_GRADING]
    while todo:
        name = todo.pop()
        path = repo / (name.replace(".", "/") + ".py")
        if name in wanted or not path.is_file():
            continue
        wanted.add(name)
        todo += [m for m in _imports(path) if m.startswith("coursekit.grading.")]
    return wanted


def instructor_modules(repo: Path = REPO) -> list[str]:
    """Library modules that stay with the instructor: the autograder (every
    ``coursekit.grading`` module a student's checks do not need) and this module."""
    keep = student_grading_modules(repo)
    grading = sorted("coursekit.grading." + p.stem
                     for p in (repo / "coursekit" / "grading").glob("*.py")
                     if p.stem != "__init__")
    return [m for m in grading if m not in keep] + INSTRUCTOR_MODULES


def instructor_only(path: Path, modules: list[str]) -> bool:
    """A test or benchmark the student cannot run: it reads ``solutions/``, uses nbgrader, or
    imports an instructor module."""
    if path.suffix != ".py":
        return False
    text = path.read_text(encoding="utf-8")
    if re.search(r"\bsolutions\b|\bnbgrader\b", text):
        return True
    used = _imports(path)
    return any(u == m or u.startswith(m + ".") for u in used for m in modules)


def lesson_entries(folder: Path) -> list[tuple[str, str]]:
    """(file name, title) of every ``NN_*.ipynb`` in ``folder``, in course order."""
    from coursekit.site import title_and_summary

    entries = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        title, _ = title_and_summary(nbformat.read(path, as_version=4))
        entries.append((path.name, title or path.stem))
    return entries


def home_notebook(repo: Path = REPO) -> nbformat.NotebookNode:
    """The course home: one Markdown cell linking every lesson and every exercise, opened by
    ``make lab``."""
    lessons = lesson_entries(repo / "notebooks")
    exercises = lesson_entries(repo / "exercises")
    lines = ["# Start here", "",
             "The course is a series of lessons, each an executed notebook: read it, then "
             "re-run its cells and move its sliders. Most lessons have exercises: fill in the "
             "cells marked `# YOUR CODE HERE` and run the test cell below each answer; it says "
             "what is wrong when something is.", "", "## Lessons", ""]
    lines += [f"- [{title}](notebooks/{name})" for name, title in lessons]
    lines += ["", "## Exercises", ""]
    lines += [f"- [{title}](exercises/{name})" for name, title in exercises]
    lines += ["", "The library the lessons use is in `coursekit/`; its tests, which compare it "
              "with torch, are in `tests/` (`make test` runs them all)."]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("\n".join(lines))]
    nb.cells[0].id = "start-here"
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    return nb


def exercises_readme(repo: Path = REPO) -> str:
    """The student's ``exercises/README.md``: what the exercises are and how to work on them
    (the repository's own README there is for the instructor: generated, do not edit)."""
    lines = ["# Exercises", "",
             "One notebook per lesson, to do after reading the lesson of the same number in "
             "`notebooks/`. Each notebook is yours to edit:", "",
             "1. Open it from JupyterLab (`make lab` opens the course home, "
             f"`{HOME}`, which links every exercise).",
             "2. Fill in each cell marked `# YOUR CODE HERE` (delete the "
             "`raise NotImplementedError()` line below it).",
             "3. Run the test cell below each answer. It checks your answer and says what is "
             "wrong when something is; your instructor grades with further checks, so a "
             "passing test cell is a good sign, not a grade.",
             "4. Save, and hand the notebook in as your instructor asks.", "",
             "Keep your own copies safe: updating the course folder from a newer release "
             "may replace these files.", "", "## The exercises", ""]
    lines += [f"- [{title}]({name})" for name, title in lesson_entries(repo / "exercises")]
    return "\n".join(lines) + "\n"


def write_home(repo: Path = REPO) -> Path:
    """Write ``START_HERE.ipynb`` at the root of ``repo`` from the current lessons."""
    path = repo / HOME
    nbformat.write(home_notebook(repo), path)
    return path


def _check_exercises(folder: Path) -> None:
    for path in sorted(folder.glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        found = [m for m in SOLUTION_MARKERS if m in text]
        if found:
            raise ValueError(f"{path}: holds {found[0]!r}: the exercises must be built from "
                             "solutions/ first (coursekit exercises build)")


def _run_release(args) -> int:
    import sys

    try:
        release = write_release(Path(args.dest))
    except ValueError as exc:
        print(f"coursekit release: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the student course to {release.dest}: {len(release.copied)} files")
    print(f"left with the instructor: solutions/, .ci/, {len(release.left_out)} files: "
          + ", ".join(release.left_out))
    print(f"check it: cd {release.dest} && make test")
    return 0


def register_release(sub) -> None:
    """The ``coursekit release DIR`` subcommand (instructor only)."""
    p = sub.add_parser("release", help="write the student course (no solutions) to a folder",
                       description="Write the student course into DIR (new or empty): "
                       "lessons, exercises, library without the autograder, student tests, "
                       "README without its instructor section. Publish DIR as the students' "
                       "repository.")
    p.add_argument("dest", help="a new or empty folder outside this repository")
    p.set_defaults(run=_run_release)


def write_release(dest: Path, repo: Path = REPO) -> Release:
    """Write the student course into ``dest`` (new or empty; never over an existing course)."""
    dest = Path(dest)
    if dest.resolve() == repo.resolve() or repo.resolve() in dest.resolve().parents:
        raise ValueError(f"{dest}: the release must go outside the course repository {repo}")
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"{dest}: not empty; give a new or empty folder (nothing is "
                         "overwritten)")
    _check_exercises(repo / "exercises")
    release = Release(dest)
    modules = instructor_modules(repo)
    dest.mkdir(parents=True, exist_ok=True)
    for name in TOP_FILES:
        source = repo / name
        if name == HOME:
            nbformat.write(home_notebook(repo), dest / HOME)
        elif name == "README.md":
            (dest / name).write_text(INSTRUCTOR_SECTION.sub("", source.read_text("utf-8")),
                                     encoding="utf-8")
        else:
            shutil.copy2(source, dest / name)
        release.copied.append(name)
    skipped = {f"{m.replace('.', '/')}.py" for m in modules}
    library = sorted((repo / "coursekit").rglob("*.py")) + sorted(
        p for p in (repo / PACKAGE_DATA).rglob("*") if p.is_file())
    for path in library:
        rel = path.relative_to(repo).as_posix()
        if rel in skipped:
            release.left_out.append(rel)
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)
        release.copied.append(rel)
    for folder in FOLDERS:
        if not (repo / folder).is_dir():
            continue
        for path in sorted((repo / folder).rglob("*")):
            rel = path.relative_to(repo)
            if path.is_dir() or path.suffix == ".pyc" or SKIPPED_PARTS & set(rel.parts):
                continue
            if instructor_only(path, modules) or "grading_cases" in rel.parts:
                release.left_out.append(rel.as_posix())
                continue
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            if rel.as_posix() == "exercises/README.md":  # the instructor's; students get theirs
                (dest / rel).write_text(exercises_readme(repo), encoding="utf-8")
            else:
                shutil.copy2(path, dest / rel)
            release.copied.append(rel.as_posix())
    return release

"""An assignment as the instructor wrote it: ``solutions/NN_topic.ipynb`` in nbgrader's format.

nbgrader marks cells in their metadata (``metadata.nbgrader``): an *answer* cell has
``solution: true``; a *test* cell has ``grade: true``, ``locked: true`` and ``points``; a
read-only cell (imports) has ``locked: true`` only. Every marked cell has a ``grade_id``.
An :class:`Assignment` keeps the instructor's locked cells grouped by the answer they follow,
which is what the grader puts after each of the student's answers.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import forbid, heldout


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata ({} if none or malformed)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_answer(cell: NotebookNode) -> bool:
    return nbgrader_meta(cell).get("solution") is True


def is_test(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return meta.get("grade") is True and meta.get("solution") is not True


def is_locked(cell: NotebookNode) -> bool:
    return nbgrader_meta(cell).get("locked") is True


@dataclass(frozen=True)
class Question:
    """A graded test cell: its grade_id, points, source, and the answer it follows."""

    id: str
    points: float
    source: str
    answer_id: str | None


@dataclass(frozen=True)
class LockedCell:
    """An instructor cell the student may not change: a test (``question``) or read-only."""

    source: str
    question: Question | None = None


@dataclass
class Assignment:
    """One solution notebook, split into what the grader needs.

    preamble : locked cells before the first answer (imports)
    blocks : for each answer's grade_id, the locked cells that follow it
    answer_ids : the answers' grade_ids in order
    questions : the test cells in order
    readonly_ids : grade_ids of locked cells that are not tests
    forbidden_imports : packages the sandbox makes unimportable and coursekit modules it
        replaces by stubs (notebook metadata ``coursekit.forbidden_imports``, e.g.
        ``["torch", "coursekit.optim"]``; see :mod:`coursekit.grading.forbid`)
    held_out : datasets whose held-out rows the sandbox does not contain (notebook metadata
        ``coursekit.held_out``, e.g. ``["digits"]``; see :mod:`coursekit.grading.heldout`)
    sha256 : the solution notebook's digest (a changed solution means regrading)
    """

    name: str
    path: Path
    preamble: list[LockedCell] = field(default_factory=list)
    blocks: dict[str, list[LockedCell]] = field(default_factory=dict)
    answer_ids: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    readonly_ids: set[str] = field(default_factory=set)
    forbidden_imports: list[str] = field(default_factory=list)
    held_out: list[str] = field(default_factory=list)
    sha256: str = ""

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def locked_ids(self) -> set[str]:
        return {q.id for q in self.questions} | self.readonly_ids


def load_assignment(path: Path) -> Assignment:
    """Read a solution notebook; ValueError if its nbgrader metadata is inconsistent."""
    path = Path(path)
    data = path.read_bytes()
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    forbidden = nb.metadata.get("coursekit", {}).get("forbidden_imports", [])
    if not (isinstance(forbidden, list) and all(isinstance(x, str) for x in forbidden)):
        raise ValueError(f"{path.name}: metadata coursekit.forbidden_imports must be a list of "
                         f"package names; got {forbidden!r}")
    for name in forbidden:
        if forbid.is_coursekit_module(name):
            try:
                forbid.module_files(name)
            except ValueError as exc:
                raise ValueError(f"{path.name}: {exc}") from None
    held_out = nb.metadata.get("coursekit", {}).get("held_out", [])
    try:
        heldout.check_names(held_out)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    assignment = Assignment(name=path.stem, path=path, forbidden_imports=forbidden,
                            held_out=held_out,
                            sha256=hashlib.sha256(data).hexdigest())
    current: list[LockedCell] = assignment.preamble
    answer: str | None = None
    seen: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or not (is_answer(cell) or is_locked(cell) or is_test(cell)):
            continue
        gid = grade_id(cell)
        if gid is None or gid in seen:
            raise ValueError(f"{path.name}: every nbgrader cell needs a unique grade_id; "
                             f"got {gid!r} twice or missing")
        seen.add(gid)
        if is_answer(cell):
            answer = gid
            assignment.answer_ids.append(gid)
            current = assignment.blocks.setdefault(gid, [])
        elif is_test(cell):
            points = nbgrader_meta(cell).get("points")
            if not isinstance(points, int | float) or points <= 0:
                raise ValueError(f"{path.name}: test cell {gid!r} needs points > 0; got {points!r}")
            question = Question(gid, float(points), cell.source, answer)
            assignment.questions.append(question)
            current.append(LockedCell(cell.source, question))
        else:
            assignment.readonly_ids.add(gid)
            current.append(LockedCell(cell.source))
    if not assignment.questions:
        raise ValueError(f"{path.name} has no graded test cells")
    return assignment


def solution_paths(solutions_dir: Path | str) -> list[Path]:
    """The solution notebooks ``NN_topic.ipynb`` of a directory, sorted."""
    return sorted(Path(solutions_dir).glob("[0-9][0-9]_*.ipynb"))


def load_assignments(solutions_dir: Path | str) -> dict[str, Assignment]:
    """All ``NN_topic.ipynb`` solution notebooks of a directory, by name (``"06_adaptive"``)."""
    paths = solution_paths(solutions_dir)
    if not paths:
        raise FileNotFoundError(f"no solution notebooks NN_topic.ipynb in {solutions_dir}")
    return {p.stem: load_assignment(p) for p in paths}


def identify(nb: NotebookNode | None, filename: str,
             assignments: dict[str, Assignment]) -> Assignment | None:
    """The assignment a submission answers: the one sharing most answer grade_ids with it,
    else the one whose two-digit number starts the file name; None if neither tells."""
    if nb is not None:
        ids = {grade_id(c) for c in nb.get("cells", []) if is_answer(c)}
        overlap = {name: len(ids & set(a.answer_ids)) for name, a in assignments.items()}
        best = max(overlap.values(), default=0)
        winners = [name for name, n in overlap.items() if n == best]
        if best > 0 and len(winners) == 1:
            return assignments[winners[0]]
    number = re.match(r"(\d\d)(?!\d)", Path(filename).name)
    if number:
        matches = [a for name, a in assignments.items() if name[:2] == number.group(1)]
        if len(matches) == 1:
            return matches[0]
    return None

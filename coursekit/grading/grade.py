"""Grade submissions: run a copy with the instructor's tests, score each question.

The graded copy is assembled in memory from the submission and the assignment
(:mod:`coursekit.grading.assignment`):

1. the instructor's read-only preamble (imports);
2. the student's code cells in their order, minus any cell claiming to be a locked or test
   cell (the instructor's version is used instead, so edited tests change nothing);
3. after the last copy of each answer cell (matched by nbgrader ``grade_id``), the
   instructor's locked cells that follow that answer in ``solutions/``: its visible and
   hidden tests, each wrapped by :mod:`coursekit.grading.trusted`;
4. at the end, the tests of answers the submission no longer has.

It runs in a fresh kernel (:func:`coursekit.grading.execute.run_cells`) in a temporary
directory; a question scores its points if its test cell finished without error and printed
the run's pass marker. The submission file is only read, never written.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .assignment import Assignment, Question, grade_id, identify, is_answer, is_test
from .execute import CellResult, GradingError, run_cells
from .trusted import guard_name, setup_source, wrap_test


@dataclass
class QuestionResult:
    """Points earned on one question, and for a failure what to look at."""

    id: str
    points: float
    max_points: float
    message: str = ""


@dataclass
class GradeResult:
    """The grade of one submission. ``error`` is set when it could not be graded at all."""

    submission: str
    assignment: str | None
    questions: list[QuestionResult] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_score(self) -> float:
        return sum(q.max_points for q in self.questions)


@dataclass
class _Planned:
    source: str
    replay: bool
    question: Question | None = None
    answer_of: str | None = None


def _plan(nb, assignment: Assignment, nonce: str) -> list[_Planned]:
    """The graded copy's code cells, in order (steps 1–4 of the module docstring)."""
    locked = assignment.locked_ids

    def instructor(cells) -> list[_Planned]:
        return [_Planned(wrap_test(c.source, nonce), False, c.question) if c.question else
                _Planned(c.source, True) for c in cells]

    student = [c for c in nb.cells if c.get("cell_type") == "code"
               and grade_id(c) not in locked and not is_test(c)]
    last = {grade_id(c): i for i, c in enumerate(student) if is_answer(c)}
    plan = instructor(assignment.preamble)
    placed = set()
    for i, cell in enumerate(student):
        gid = grade_id(cell) if is_answer(cell) else None
        plan.append(_Planned(str(cell.get("source", "")), True, answer_of=gid))
        if gid in assignment.blocks and last[gid] == i:
            plan += instructor(assignment.blocks[gid])
            placed.add(gid)
    for gid in assignment.answer_ids:
        if gid not in placed:
            plan += instructor(assignment.blocks[gid])
    return plan


def _describe(result: CellResult, timeout: float) -> str:
    if result.status == "timeout":
        return f"timed out after {timeout:g} s (an endless loop?)"
    if result.status == "died":
        return "stopped the kernel (sys.exit, os._exit or a crash?)"
    if result.status == "not run":
        return result.error or "was not run"
    if result.status == "ok" and not result.marker_seen:
        return "did not run to completion (the grader's pass marker is missing)"
    name, _, message = result.error.partition(": ")
    if name == "NotImplementedError":
        return "not answered yet (NotImplementedError)"
    return message if name == "AssertionError" and message else result.error


def _score(plan: list[_Planned], results: list[CellResult],
           timeout: float) -> list[QuestionResult]:
    answer_result = {p.answer_of: r for p, r in zip(plan, results, strict=True) if p.answer_of}
    scored = []
    for p, r in zip(plan, results, strict=True):
        q = p.question
        if q is None:
            continue
        if r.status == "ok" and r.marker_seen:
            scored.append(QuestionResult(q.id, q.points, q.points))
            continue
        message = _describe(r, timeout)
        before = answer_result.get(q.answer_id)
        if before is not None and before.status in ("error", "timeout", "died"):
            problem = ("raised " + before.error if before.status == "error"
                       else _describe(before, timeout))
            message = f"the answer cell {problem}; then: {message}"
        scored.append(QuestionResult(q.id, 0.0, q.points, message))
    return scored


def _read(path: Path):
    """The submission as a notebook, or (None, reason) if it is not a readable one."""
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        return nb, ""
    except Exception as exc:  # any unreadable file is the submission's problem, not ours
        return None, f"not a readable notebook ({type(exc).__name__}: {exc})"


def grade_notebook(
    path: Path | str,
    assignments: dict[str, Assignment],
    *,
    timeout: float = 30.0,
    assignment: str | None = None,
    max_restarts: int = 3,
    output_limit: int = 100_000,
) -> GradeResult:
    """Grade one submission against its assignment (found from its answers' grade_ids or its
    file name, or given by name). Raises GradingError if that fails or no kernel runs."""
    start = time.perf_counter()
    path = Path(path)
    nb, unreadable = _read(path)
    if assignment is not None:
        if assignment not in assignments:
            raise GradingError(f"no assignment {assignment!r}; have {sorted(assignments)}")
        chosen = assignments[assignment]
    else:
        chosen = identify(nb, path.name, assignments)
    if chosen is None:
        raise GradingError(f"{path}: cannot tell which assignment this is (no known answer "
                           "grade_ids, no NN_ prefix in the file name)")
    if nb is None:
        questions = [QuestionResult(q.id, 0.0, q.points, unreadable) for q in chosen.questions]
        return GradeResult(str(path), chosen.name, questions,
                           seconds=time.perf_counter() - start)
    nonce = secrets.token_hex(12)
    plan = _plan(nb, chosen, nonce)
    student_code = "\n".join(p.source for p in plan if p.question is None)
    with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as workdir:
        results = asyncio.run(run_cells(
            [p.source for p in plan], [p.replay for p in plan],
            setup=setup_source(nonce, with_torch="torch" in student_code),
            marker=guard_name(nonce), timeout=timeout, workdir=workdir,
            max_restarts=max_restarts, output_limit=output_limit,
        ))
    questions = _score(plan, results, timeout)
    return GradeResult(str(path), chosen.name, questions, seconds=time.perf_counter() - start)


def find_submissions(directory: Path | str) -> list[Path]:
    """Every ``*.ipynb`` below ``directory`` (checkpoints excluded), sorted."""
    return sorted(p for p in Path(directory).rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def grade_many(
    paths: Sequence[Path | str],
    assignments: dict[str, Assignment],
    *,
    jobs: int | None = None,
    on_result: Callable[[GradeResult], None] | None = None,
    **options,
) -> list[GradeResult]:
    """Grade submissions side by side, ``jobs`` at a time (default: the number of cores),
    each in its own kernel. A submission that cannot be graded gets a result with ``error``
    set and never stops the others. Results come back in the order of ``paths``."""
    jobs = max(1, jobs or os.cpu_count() or 1)

    def one(path: Path | str) -> GradeResult:
        try:
            result = grade_notebook(path, assignments, **options)
        except Exception as exc:  # report it beside the others; never lose the batch
            result = GradeResult(str(path), None, error=f"{type(exc).__name__}: {exc}")
        if on_result is not None:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, paths))

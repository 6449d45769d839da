"""Grade submissions: the student's code computes in a sandbox, the grader judges outside it.

For one submission:

1. **Plan** the graded copy (:func:`plan`): the instructor's read-only preamble, the student's
   code cells in order (minus any cell claiming to be a locked or test cell), and after the
   last copy of each answer its instructor test cells, each split into a visible and a hidden
   part (:mod:`coursekit.grading.testcode`); tests of answers the submission lacks go last.
2. **Reference**: the same plan built from the instructor's solution runs once per assignment
   in its own clean sandbox (torch allowed), its checks in ``"reference"`` mode: each records
   its spec (what, expected value, tolerances, mistakes). Grading stops if the solution fails
   one of its own checks.
3. **Record**: the student's plan runs in a fresh sandbox (:mod:`coursekit.grading.sandbox`)
   with the test code stripped of expected values; each check records the student's value as
   plain data.
4. **Judge** here, in the trusted process: each question scores its points if every check the
   reference recorded for it has a matching student record that passes
   :func:`coursekit.grading.compare.judge`; otherwise its feedback is the first failure.

The submission file is only read, never written; the sandbox gets a copy.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat

from .assignment import Assignment, Question, grade_id, identify, is_answer, is_test
from .compare import judge
from .sandbox import Limits, RunResult, run_job, sandbox_problem
from .testcode import for_sandbox, split_test

GRADER_VERSION = "coursekit-grade-2"
UNSAFE_NOTE = "graded WITHOUT a sandbox: this score can be forged"


class GradingError(RuntimeError):
    """The grader could not do its job (as opposed to a submission scoring badly)."""


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
    sandboxed: bool = True
    sha256: str = ""

    @property
    def score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_score(self) -> float:
        return sum(q.max_points for q in self.questions)


@dataclass
class Chunk:
    """One unit of code the runner executes: a whole student/instructor cell or one part of a
    test cell (``question`` and ``part`` set)."""

    source: str
    question: Question | None = None
    part: str | None = None
    answer_of: str | None = None


def plan(nb, assignment: Assignment, *, strip: bool) -> list[Chunk]:
    """The graded copy's chunks in order (step 1). ``strip``: the test code as the sandbox
    gets it, without expected values."""
    locked = assignment.locked_ids

    def instructor(cells) -> list[Chunk]:
        chunks = []
        for cell in cells:
            if cell.question is None:
                chunks.append(Chunk(cell.source))
                continue
            for part, code in zip(("visible", "hidden"), split_test(cell.source), strict=True):
                if code.strip():
                    chunks.append(Chunk(for_sandbox(code) if strip else code, cell.question, part))
        return chunks

    student = [c for c in nb.cells if c.get("cell_type") == "code"
               and grade_id(c) not in locked and not is_test(c)]
    last = {grade_id(c): i for i, c in enumerate(student) if is_answer(c)}
    chunks = instructor(assignment.preamble)
    placed = set()
    for i, cell in enumerate(student):
        gid = grade_id(cell) if is_answer(cell) else None
        chunks.append(Chunk(str(cell.get("source", "")), answer_of=gid))
        if gid in assignment.blocks and last[gid] == i:
            chunks += instructor(assignment.blocks[gid])
            placed.add(gid)
    for gid in assignment.answer_ids:
        if gid not in placed:
            chunks += instructor(assignment.blocks[gid])
    return chunks


def _job(chunks: list[Chunk], mode: str, limits: Limits, name: str, text: str) -> dict:
    return {"mode": mode, "cell_timeout": limits.cell_seconds, "notebook_name": name,
            "notebook": text, "chunks": [{"source": c.source, "part": c.part,
                                          "question": c.question.id if c.question else None}
                                         for c in chunks]}


# --- the reference --------------------------------------------------------------------------

@dataclass
class Reference:
    """The instructor's checks of one assignment: ``specs[(question, part, n)]`` and every
    string they contain (strings the feedback may quote)."""

    specs: dict[tuple[str, str, int], dict]
    known: frozenset[str]


_references: dict[tuple[str, str, bool], Reference] = {}
_reference_lock = threading.Lock()


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return set().union(*map(_strings, value)) if value else set()
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values())) if value else set()
    return set()


def reference(assignment: Assignment, limits: Limits, *, sandboxed: bool = True) -> Reference:
    """Run the instructor's solution with its tests in a clean process, once per assignment
    and solution version (step 2). Raises GradingError if the solution fails its own tests."""
    key = (str(assignment.path), assignment.sha256, sandboxed)
    with _reference_lock:
        if key in _references:
            return _references[key]
        text = assignment.path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        chunks = plan(nb, assignment, strip=False)
        # The instructor's code gets the default limits, whatever a batch set for students.
        generous = Limits(wall_seconds=max(limits.wall_seconds, 600.0),
                          cell_seconds=max(limits.cell_seconds, 300.0))
        run = run_job(_job(chunks, "reference", generous, assignment.path.name, text), generous,
                      sandboxed=sandboxed)
        where = f"solutions/{assignment.path.name}"
        status = {line["chunk"]: line for line in run.lines if "chunk" in line}
        for index in range(len(chunks)):
            line = status.get(index)
            if line is None or line.get("status") != "ok":
                got = line.get("error") or line.get("status") if line else "not run"
                raise GradingError(f"{where}: the reference run failed in cell {index} ({got}); "
                                   f"{run.stderr[-500:]}")
        specs, known = {}, set()
        for line in run.lines:
            if "spec" not in line:
                continue
            if not line.get("passed"):
                raise GradingError(f"{where} fails its own check in {line['q']}: "
                                   f"{line.get('message')}")
            specs[(line["q"], line["part"], line["n"])] = line["spec"]
            known |= _strings(line["spec"])
        for question in assignment.questions:
            if not any(k[0] == question.id for k in specs):
                raise GradingError(f"{where}: test cell {question.id!r} records no check "
                                   "(use coursekit.grading.checks; a plain assert counts for "
                                   "nothing under the grader)")
        _references[key] = Reference(specs, frozenset(known))
        return _references[key]


# --- judging --------------------------------------------------------------------------------

_EXCEPTION_NAMES = frozenset(name for name, obj in vars(builtins).items()
                             if isinstance(obj, type) and issubclass(obj, BaseException))


def _exception(name: object) -> str:
    """An exception name fit for feedback (builtin names only: any other is the student's)."""
    return name if isinstance(name, str) and name in _EXCEPTION_NAMES else "an exception"


def _stopped(line: dict | None, run: RunResult, limits: Limits) -> str:
    """Why a chunk did not finish, in the student's terms."""
    if line is None:
        if run.timed_out:
            return (f"was not run: the submission ran past its time limit of "
                    f"{limits.wall_seconds:g} s")
        if run.truncated:
            return "was not run: the submission reported more than the grader reads"
        return ("was not run: the submission's process ended early (os._exit, a crash, or the "
                "memory limit)")
    if line.get("status") == "timeout":
        return f"timed out after {limits.cell_seconds:g} s (an endless loop?)"
    if line.get("status") == "died":
        return "stopped the process (os._exit, a crash, or the memory limit)"
    return f"raised {_exception(line.get('error'))}"


def _score(chunks: list[Chunk], run: RunResult, ref: Reference, limits: Limits,
           assignment: Assignment) -> list[QuestionResult]:
    status: dict[int, dict] = {}
    records: dict[tuple, object] = {}
    for line in run.lines:  # the student's process wrote these: data of any shape
        if type(line.get("chunk")) is int and line["chunk"] not in status:
            status[line["chunk"]] = line
        key = (line.get("q"), line.get("part"), line.get("n"))
        if "record" in line and all(type(k) in (str, int) for k in key) \
                and key not in records:
            records[key] = line["record"]
    answer_line = {c.answer_of: status.get(i) for i, c in enumerate(chunks) if c.answer_of}
    part_line = {(c.question.id, c.part): status.get(i) for i, c in enumerate(chunks)
                 if c.question}
    scored = []
    for q in assignment.questions:
        keys = sorted((k for k in ref.specs if k[0] == q.id),
                      key=lambda k: (k[1] != "visible", k[2]))
        message = ""
        for key in keys:
            spec = ref.specs[key]
            if key in records:
                try:
                    passed, message = judge(spec, records[key], hidden=key[1] == "hidden",
                                            known=ref.known)
                except (ValueError, TypeError, KeyError, AttributeError, RecursionError,
                        OverflowError):
                    passed, message = False, f"{spec['what']} could not be read"
                if passed:
                    continue
                break
            line = part_line.get((q.id, key[1]))
            before = answer_line.get(q.answer_id)
            # An answer that is a value (a prediction, an expression) rather than a function
            # is unanswered when its cell raised; the test then fails with a NameError.
            if any(x is not None and x.get("error") == "NotImplementedError"
                   for x in (line, before)):
                message = "not answered yet (NotImplementedError)"
            elif line is not None and line.get("status") == "ok":
                message = f"{spec['what']} was not checked (the test ran without reaching it)"
            else:
                message = f"{spec['what']}: the test {_stopped(line, run, limits)}"
            if before is not None and before.get("status") != "ok" \
                    and message != "not answered yet (NotImplementedError)":
                message = f"the answer cell {_stopped(before, run, limits)}; then: {message}"
            break
        else:
            scored.append(QuestionResult(q.id, q.points, q.points))
            continue
        before = answer_line.get(q.answer_id)
        if before is not None and before.get("error") == "NotImplementedError":
            # An answer cell of plain values (a prediction) stops at the blank's raise.
            message = "not answered yet (NotImplementedError)"
        scored.append(QuestionResult(q.id, 0.0, q.points, message))
    return scored


def _record(chunks: list[Chunk], limits: Limits, name: str, text: str, sandboxed: bool,
            forbidden: list[str], held_out: list[str] = (), restarts: int = 2) -> RunResult:
    """Run the student's plan (step 3). If the process dies in a chunk (os._exit, a crash,
    the memory limit) the chunk is marked ``"died"`` and a fresh sandbox replays the student's
    cells that had finished, then runs the rest — at most ``restarts`` times, within the
    submission's wall-clock limit."""
    start = time.monotonic()
    todo = list(range(len(chunks)))
    merged = RunResult()
    while True:
        budget = limits.wall_seconds - (time.monotonic() - start)
        part = [chunks[i] for i in todo]
        run = run_job(_job(part, "record", replace(limits, wall_seconds=budget), name, text),
                      replace(limits, wall_seconds=budget), sandboxed=sandboxed,
                      forbidden=forbidden, held_out=held_out)
        finished = {}
        for line in run.lines:
            if type(line.get("chunk")) is int and 0 <= line["chunk"] < len(todo):
                line = dict(line, chunk=todo[line["chunk"]])
                finished.setdefault(line["chunk"], line)
            if "chunk" not in line or line["chunk"] in finished:
                merged.lines.append(line)
        merged.timed_out, merged.truncated = run.timed_out, run.truncated
        merged.stderr, merged.returncode = run.stderr, run.returncode
        died = next((i for i in todo if i not in finished), None)
        if died is None or run.timed_out or run.truncated or restarts <= 0 \
                or limits.wall_seconds - (time.monotonic() - start) < 5:
            break
        restarts -= 1
        merged.lines.append({"chunk": died, "status": "died", "error": ""})
        replay = [i for i in todo[:todo.index(died)] if chunks[i].question is None
                  and finished[i].get("status") == "ok"]
        todo = replay + todo[todo.index(died) + 1:]
        # Replayed cells report again; only their first report counts.
    merged.seconds = time.monotonic() - start
    return merged


def _read(data: bytes):
    """``(notebook or None, text, reason)`` for a submission file's bytes."""
    try:
        text = data.decode("utf-8")
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        return nb, text, ""
    except Exception as exc:  # any unreadable file is the submission's problem, not ours
        return None, "", f"not a readable notebook ({type(exc).__name__}: {exc})"


def check_sandbox(unsafe: bool) -> bool:
    """True if grading runs sandboxed; GradingError if no sandbox and not ``unsafe``."""
    problem = sandbox_problem()
    if problem is None:
        return True
    if not unsafe:
        from .sandbox import INSTALL_HINT
        raise GradingError(f"refusing to grade without a sandbox ({problem}): {INSTALL_HINT}")
    return False


def grade_notebook(path: Path | str, assignments: dict[str, Assignment], *,
                   limits: Limits | None = None, assignment: str | None = None,
                   unsafe: bool = False) -> GradeResult:
    """Grade one submission against its assignment (found from its answers' grade_ids or its
    file name, or given by name). Raises GradingError if that fails or no sandbox runs
    (unless ``unsafe``: then it runs unsandboxed and every message says it can be forged)."""
    start = time.perf_counter()
    limits = limits or Limits()
    sandboxed = check_sandbox(unsafe)
    path = Path(path)
    data = path.read_bytes()  # one read: the digest and the graded copy are the same bytes
    digest = hashlib.sha256(data).hexdigest()
    nb, text, unreadable = _read(data)
    if assignment is not None:
        if assignment not in assignments:
            raise GradingError(f"no assignment {assignment!r}; have {sorted(assignments)}")
        chosen = assignments[assignment]
    else:
        chosen = identify(nb, path.name, assignments)
    if chosen is None:
        raise GradingError(f"{path}: cannot tell which assignment this is (no known answer "
                           "grade_ids, no NN_ prefix in the file name)")
    result = GradeResult(str(path), chosen.name, sandboxed=sandboxed, sha256=digest)
    if nb is None:
        result.questions = [QuestionResult(q.id, 0.0, q.points, unreadable)
                            for q in chosen.questions]
    else:
        ref = reference(chosen, limits, sandboxed=sandboxed)
        chunks = plan(nb, chosen, strip=True)
        run = _record(chunks, limits, path.name, text, sandboxed, chosen.forbidden_imports,
                      chosen.held_out)
        result.questions = _score(chunks, run, ref, limits, chosen)
    if not sandboxed:
        for q in result.questions:
            q.message = f"[{UNSAFE_NOTE}] {q.message}".rstrip()
    result.seconds = time.perf_counter() - start
    return result


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
    skip: Callable[[Path], GradeResult | None] | None = None,
    **options,
) -> list[GradeResult]:
    """Grade submissions side by side, ``jobs`` sandboxes at a time (default: the number of
    cores). ``on_result`` is called in this thread as each one finishes (the gradebook commits
    there); ``skip(path)`` may return an earlier result to reuse instead of grading. A
    submission that cannot be graded gets a result with ``error`` set and never stops the
    others. Results come back in the order of ``paths``."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    check_sandbox(options.get("unsafe", False))
    results: dict[int, GradeResult] = {}

    def one(path: Path | str) -> GradeResult:
        try:
            return grade_notebook(path, assignments, **options)
        except Exception as exc:  # report it beside the others; never lose the batch
            return GradeResult(str(path), None, error=f"{type(exc).__name__}: {exc}")

    todo = []
    for i, path in enumerate(paths):
        earlier = skip(Path(path)) if skip is not None else None
        if earlier is not None:
            results[i] = earlier
        else:
            todo.append(i)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, paths[i]): i for i in todo}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            if on_result is not None:
                on_result(result)
    return [results[i] for i in range(len(paths))]

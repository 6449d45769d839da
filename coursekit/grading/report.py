"""Grades for people and for machines: a text table and JSON objects (the gradebook and its
CSV/JSON exports are :mod:`coursekit.grading.gradebook`)."""

from __future__ import annotations

from .grade import UNSAFE_NOTE, GradeResult


def _points(x: float) -> str:
    return f"{x:g}"


def to_json(result: GradeResult) -> dict:
    """``{"submission", "assignment", "score", "max_score", "questions": [{"id", "points",
    "max_points", "message"}], "seconds", "sandboxed"}``, plus ``"error"`` if it could not be
    graded and ``"warning"`` if it was graded without a sandbox."""
    data = {
        "submission": result.submission,
        "assignment": result.assignment,
        "score": result.score,
        "max_score": result.max_score,
        "questions": [{"id": q.id, "points": q.points, "max_points": q.max_points,
                       "message": q.message} for q in result.questions],
        "seconds": round(result.seconds, 2),
        "sandboxed": result.sandboxed,
    }
    if not result.sandboxed:
        data["warning"] = UNSAFE_NOTE
    if result.error:
        data["error"] = result.error
    return data


def format_table(result: GradeResult) -> str:
    """A submission's grade as a small table: question, points / possible, message."""
    if result.error:
        return f"{result.submission}: NOT GRADED: {result.error}"
    head = (f"{result.submission} ({result.assignment}): "
            f"{_points(result.score)} / {_points(result.max_score)}")
    if not result.sandboxed:
        head += f"  [{UNSAFE_NOTE}]"
    width = max([len("question")] + [len(q.id) for q in result.questions])
    lines = [head, f"  {'question':<{width}}  points  message"]
    for q in result.questions:
        earned = f"{_points(q.points)} / {_points(q.max_points)}"
        lines.append(f"  {q.id:<{width}}  {earned:<6}  {q.message}".rstrip())
    return "\n".join(lines)

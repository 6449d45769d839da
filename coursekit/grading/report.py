"""Grades for people and for machines: a text table, JSON objects, a CSV gradebook."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from .grade import GradeResult


def _points(x: float) -> str:
    return f"{x:g}"


def to_json(result: GradeResult) -> dict:
    """``{"submission", "assignment", "score", "max_score", "questions": [{"id", "points",
    "max_points", "message"}], "seconds"}``, plus ``"error"`` if it could not be graded."""
    data = {
        "submission": result.submission,
        "assignment": result.assignment,
        "score": result.score,
        "max_score": result.max_score,
        "questions": [{"id": q.id, "points": q.points, "max_points": q.max_points,
                       "message": q.message} for q in result.questions],
        "seconds": round(result.seconds, 2),
    }
    if result.error:
        data["error"] = result.error
    return data


def format_table(result: GradeResult) -> str:
    """A submission's grade as a small table: question, points / possible, message."""
    if result.error:
        return f"{result.submission}: NOT GRADED: {result.error}"
    head = (f"{result.submission} ({result.assignment}): "
            f"{_points(result.score)} / {_points(result.max_score)}")
    width = max([len("question")] + [len(q.id) for q in result.questions])
    lines = [head, f"  {'question':<{width}}  points  message"]
    for q in result.questions:
        earned = f"{_points(q.points)} / {_points(q.max_points)}"
        lines.append(f"  {q.id:<{width}}  {earned:<6}  {q.message}".rstrip())
    return "\n".join(lines)


def write_gradebook(results: Sequence[GradeResult], path: Path | str) -> Path:
    """A CSV with one row per submission: its score, then points per question id."""
    ids: list[str] = []
    for result in results:
        ids += [q.id for q in result.questions if q.id not in ids]
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["submission", "assignment", "score", "max_score", *ids, "error"])
        for r in results:
            earned = {q.id: _points(q.points) for q in r.questions}
            writer.writerow([r.submission, r.assignment or "", _points(r.score),
                             _points(r.max_score), *(earned.get(i, "") for i in ids), r.error])
    return path

"""The gradebook: SQLite (the standard library's ``sqlite3``), one row per submission × question.

Each submission's rows are written in one transaction as soon as it is graded, so a grader
killed mid-batch keeps every finished result, and a rerun skips a submission whose file
(SHA-256), assignment version and grader version are unchanged. CSV and JSON come out of it.

Tables::

    submissions(submission, sha256, assignment, solution_sha256, score, max_score, error,
                sandboxed, grader_version, seconds, graded_at)
    results(submission, question, points, max_points, feedback, sha256, grader_version,
            graded_at)
"""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from .assignment import Assignment
from .grade import GRADER_VERSION, GradeResult, QuestionResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    submission TEXT PRIMARY KEY, sha256 TEXT NOT NULL, assignment TEXT,
    solution_sha256 TEXT, score REAL, max_score REAL, error TEXT NOT NULL DEFAULT '',
    sandboxed INTEGER NOT NULL, grader_version TEXT NOT NULL, seconds REAL,
    graded_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    submission TEXT NOT NULL, question TEXT NOT NULL, points REAL NOT NULL,
    max_points REAL NOT NULL, feedback TEXT NOT NULL, sha256 TEXT NOT NULL,
    grader_version TEXT NOT NULL, graded_at TEXT NOT NULL,
    PRIMARY KEY (submission, question));
"""


class Gradebook:
    """A gradebook file; safe to share between the grader's threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record(self, result: GradeResult, assignment: Assignment | None) -> None:
        """Replace the submission's rows with this result, in one committed transaction."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM results WHERE submission = ?", (result.submission,))
                self._db.execute(
                    "INSERT OR REPLACE INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (result.submission, result.sha256, result.assignment,
                     assignment.sha256 if assignment else None, result.score, result.max_score,
                     result.error, int(result.sandboxed), GRADER_VERSION, result.seconds, now))
                self._db.executemany(
                    "INSERT INTO results VALUES (?,?,?,?,?,?,?,?)",
                    [(result.submission, q.id, q.points, q.max_points, q.message, result.sha256,
                      GRADER_VERSION, now) for q in result.questions])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def previous(self, submission: Path | str, sha256: str,
                 assignments: dict[str, Assignment]) -> GradeResult | None:
        """The stored result if the file, its assignment's solution and the grader are
        unchanged and it was graded in a sandbox without error; else None."""
        with self._lock:
            row = self._db.execute(
                "SELECT assignment, solution_sha256, error, sandboxed, grader_version, seconds "
                "FROM submissions WHERE submission = ? AND sha256 = ?",
                (str(submission), sha256)).fetchone()
            if row is None:
                return None
            name, solution_sha, error, sandboxed, version, seconds = row
            if error or not sandboxed or version != GRADER_VERSION or name not in assignments \
                    or assignments[name].sha256 != solution_sha:
                return None
            rows = self._db.execute(
                "SELECT question, points, max_points, feedback FROM results "
                "WHERE submission = ? ORDER BY rowid", (str(submission),)).fetchall()
        return GradeResult(str(submission), name, [QuestionResult(*r) for r in rows],
                           seconds=seconds or 0.0, sandboxed=True, sha256=sha256)

    def rows(self) -> list[dict]:
        """Every submission with its questions, as dicts (the JSON export)."""
        with self._lock:
            subs = self._db.execute(
                "SELECT submission, sha256, assignment, score, max_score, error, sandboxed, "
                "grader_version, graded_at FROM submissions ORDER BY submission").fetchall()
            questions = self._db.execute(
                "SELECT submission, question, points, max_points, feedback FROM results "
                "ORDER BY rowid").fetchall()
        by_sub: dict[str, list[dict]] = {}
        for sub, qid, points, max_points, feedback in questions:
            by_sub.setdefault(sub, []).append({"id": qid, "points": points,
                                               "max_points": max_points, "message": feedback})
        keys = ("submission", "sha256", "assignment", "score", "max_score", "error",
                "sandboxed", "grader_version", "graded_at")
        return [dict(zip(keys, row, strict=True), sandboxed=bool(row[6]),
                     questions=by_sub.get(row[0], [])) for row in subs]

    def export_json(self, path: Path | str) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.rows(), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path

    def export_csv(self, path: Path | str) -> Path:
        """One row per submission: its score, then points per question id, then the error."""
        rows = self.rows()
        ids: list[str] = []
        for row in rows:
            ids += [q["id"] for q in row["questions"] if q["id"] not in ids]
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["submission", "assignment", "score", "max_score", *ids, "error",
                             "sandboxed"])
            for row in rows:
                earned = {q["id"]: f"{q['points']:g}" for q in row["questions"]}
                writer.writerow([row["submission"], row["assignment"] or "",
                                 f"{row['score'] or 0:g}", f"{row['max_score'] or 0:g}",
                                 *(earned.get(i, "") for i in ids), row["error"],
                                 "yes" if row["sandboxed"] else "NO (forgeable)"])
        return path

"""The ``coursekit`` command: a dispatcher whose subcommands live in other modules.

    coursekit grade SUBMISSION.ipynb | DIR [--json] [--jobs N] [--gradebook DB] [--csv FILE]
                    [limits...] [--unsafe-no-sandbox]
    coursekit exercises build [--check]
    coursekit present LESSON [--port N] [--ip ADDR] [--no-browser]
    coursekit site [--out DIR]
    coursekit release DIR

Each subcommand is a ``register_*`` function adding its parser and a ``_run_*`` function
calling into the library; add a new one the same way.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _repo_dir(name: str) -> Path:
    path = REPO / name
    if not path.is_dir():
        raise SystemExit(f"coursekit: no {name}/ directory next to the coursekit package "
                         f"({path}); run from a checkout of the course")
    return path


def _run_grade(args: argparse.Namespace) -> int:
    from coursekit.grading.assignment import load_assignments
    from coursekit.grading.grade import GradingError, check_sandbox, find_submissions, grade_many
    from coursekit.grading.gradebook import Gradebook
    from coursekit.grading.report import format_table, to_json
    from coursekit.grading.sandbox import Limits

    target = Path(args.path)
    if not target.exists():
        print(f"coursekit grade: {target} does not exist", file=sys.stderr)
        return 2
    try:
        check_sandbox(args.unsafe_no_sandbox)
    except GradingError as exc:
        print(f"coursekit grade: {exc}", file=sys.stderr)
        return 2
    if args.unsafe_no_sandbox:
        print("coursekit grade: WARNING: grading without a sandbox; every score can be forged",
              file=sys.stderr)
    assignments = load_assignments(Path(args.solutions) if args.solutions else
                                   _repo_dir("solutions"))
    paths = find_submissions(target) if target.is_dir() else [target]
    if not paths:
        print(f"coursekit grade: no .ipynb files in {target}", file=sys.stderr)
        return 2
    limits = Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds,
                    wall_seconds=args.wall_seconds, cell_seconds=args.timeout,
                    processes=args.processes, file_mb=args.file_mb, tmp_mb=args.tmp_mb)
    gradebook_path = args.gradebook or ("gradebook.sqlite" if target.is_dir() else None)
    book = Gradebook(gradebook_path) if gradebook_path else None
    lock, done = threading.Lock(), [0]

    def progress(result) -> None:
        if book is not None:
            book.record(result, assignments.get(result.assignment or ""))
        with lock:
            done[0] += 1
            if len(paths) > 1:
                print(f"graded {done[0]}/{len(paths)}: {result.submission}", file=sys.stderr)

    def previous(path: Path):
        if book is None or args.force:
            return None
        import hashlib

        return book.previous(path, hashlib.sha256(path.read_bytes()).hexdigest(), assignments)

    try:
        results = grade_many(paths, assignments, jobs=args.jobs, on_result=progress,
                             skip=previous, limits=limits, assignment=args.assignment,
                             unsafe=args.unsafe_no_sandbox)
        for result in results:
            print(json.dumps(to_json(result)) if args.json else format_table(result) + "\n")
        if book is not None:
            print(f"gradebook: {book.path}", file=sys.stderr)
            if args.csv:
                print(f"csv: {book.export_csv(args.csv)}", file=sys.stderr)
            if args.export_json:
                print(f"json: {book.export_json(args.export_json)}", file=sys.stderr)
    finally:
        if book is not None:
            book.close()
    return 1 if any(r.error for r in results) else 0


def register_grade(sub: argparse._SubParsersAction) -> None:
    try:
        from coursekit.grading.sandbox import Limits
    except ModuleNotFoundError:  # a student release: `grade` only says it is not included
        p = sub.add_parser("grade", help="(instructor command, not in this release)")
        p.add_argument("args", nargs=argparse.REMAINDER)
        p.set_defaults(run=_run_grade)
        return
    d = Limits()
    p = sub.add_parser(
        "grade", help="grade a submission notebook or a folder of them",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Run each submission in its own bubblewrap sandbox (no network, no course "
        "files, limits below) and judge what its checks record against the instructor's "
        "solution, run separately. Results go to a SQLite gradebook as each submission "
        "finishes; a rerun skips unchanged submissions. Exit status 0 when every submission "
        "was graded, whatever the scores.")
    p.add_argument("path", help="a submission .ipynb, or a folder graded recursively")
    p.add_argument("--json", action="store_true", help="print one JSON object per submission")
    p.add_argument("--jobs", type=int, default=None,
                   help="sandboxes run in parallel (None: the number of cores)")
    p.add_argument("--gradebook", default=None,
                   help="SQLite gradebook (None: ./gradebook.sqlite for a folder, none for a "
                   "single file)")
    p.add_argument("--csv", default=None, help="also export the gradebook as CSV to this file")
    p.add_argument("--export-json", default=None, metavar="FILE",
                   help="also export the gradebook as JSON to this file")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions the gradebook already has unchanged")
    p.add_argument("--assignment", default=None,
                   help="grade against this solution (e.g. 06_adaptive) instead of guessing")
    p.add_argument("--solutions", default=None, help="solution notebooks (None: solutions/)")
    limits = p.add_argument_group("sandbox limits, per submission")
    limits.add_argument("--timeout", type=float, default=d.cell_seconds,
                        help="wall-clock seconds per cell")
    limits.add_argument("--wall-seconds", type=float, default=d.wall_seconds,
                        help="wall-clock seconds for the whole submission")
    limits.add_argument("--cpu-seconds", type=int, default=d.cpu_seconds,
                        help="CPU seconds per process")
    limits.add_argument("--memory-mb", type=int, default=d.memory_mb,
                        help="address space per process, MiB")
    limits.add_argument("--processes", type=int, default=d.processes,
                        help="processes and threads of the sandbox user")
    limits.add_argument("--file-mb", type=int, default=d.file_mb, help="largest file, MiB")
    limits.add_argument("--tmp-mb", type=int, default=d.tmp_mb,
                        help="size of the private /tmp (working directory), MiB")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade without bubblewrap (no Linux namespaces): a student can then "
                   "forge any score, and every result says so")
    p.set_defaults(run=_run_grade)


def _run_exercises(args: argparse.Namespace) -> int:
    from coursekit.grading.build import BuildRefused, build_exercises, stale_exercises

    solutions, exercises = _repo_dir("solutions"), REPO / "exercises"
    if args.check:
        stale = stale_exercises(solutions, exercises)
        for name in stale:
            print(f"exercises/{name} differs from a fresh build", file=sys.stderr)
        return 1 if stale else 0
    try:
        report = build_exercises(solutions, exercises)
    except BuildRefused as exc:
        print(f"coursekit exercises build: {exc}", file=sys.stderr)
        return 1
    for name in report.written:
        print(f"wrote exercises/{name}")
    print(f"{len(report.written)} written, {len(report.unchanged)} already up to date")
    for name in report.strangers:
        print(f"note: exercises/{name} has no solution; left alone", file=sys.stderr)
    return 0


def register_exercises(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exercises", help="student notebooks generated from solutions/")
    actions = p.add_subparsers(dest="action", required=True)
    b = actions.add_parser("build", help="regenerate exercises/ from solutions/ with nbgrader's "
                           "preprocessors (never overwrites a hand-edited file)")
    b.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if exercises/ differs from a fresh build")
    b.set_defaults(run=_run_exercises)


def _run_present(args: argparse.Namespace) -> int:
    from coursekit.present import present

    try:
        return present(args.lesson, port=args.port, ip=args.ip, open_browser=not args.no_browser,
                       cull_after=args.cull_after)
    except ValueError as exc:
        print(f"coursekit present: {exc}", file=sys.stderr)
        return 2


def register_present(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("present", help="serve one lesson as a live Voilà dashboard (lecture)",
                       description="Serve a lesson with Voilà: code hidden, widgets live, "
                       "figures in the lecture style. Ctrl-C stops it.")
    p.add_argument("lesson", help="lesson number (05), file stem (05_momentum) or .ipynb path")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for a room)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--cull-after", type=float, default=120.0, metavar="SECONDS",
                   help="shut down the kernel of a closed page after this long (default 120)")
    p.set_defaults(run=_run_present)


def _run_site(args: argparse.Namespace) -> int:
    from coursekit.site import build_site

    out = Path(args.out) if args.out else REPO / "_site"
    pages = build_site(_repo_dir("notebooks"), out)
    for page in pages:
        print(f"wrote {page.html} ({page.images} figures, {page.widgets} widgets)")
    print(f"index: {out / 'index.html'}")
    return 0


def register_site(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("site", help="render every lesson with its stored outputs to HTML",
                       description="Build a static site: one page per lesson (nbconvert, "
                       "stored outputs, widgets in their saved state) and an index.")
    p.add_argument("--out", default=None, help="output folder (default: _site/ in the repo)")
    p.set_defaults(run=_run_site)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursekit", description="The course's command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    register_grade(sub)
    register_exercises(sub)
    register_present(sub)
    register_site(sub)
    if importlib.util.find_spec("coursekit.release"):  # not in a student release
        from coursekit.release import register_release

        register_release(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("coursekit."):
            raise
        print(f"coursekit {args.command}: an instructor command; this copy of the course "
              f"(a student release) does not include {exc.name}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

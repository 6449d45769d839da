"""The autograder against the instructor's solutions, blank exercises, plausible wrong answers
and hostile submissions (tests/grading_cases/*.toml), plus its parts that need no sandbox.

Every sandboxed grading of this file runs once, two at a time, in the module fixture
``graded``; the tests then read its results. Tests that need bubblewrap skip with an install
hint when it is missing, and fail instead under COURSEKIT_REQUIRE_SANDBOX=1 (CI).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursekit import cli
from coursekit.grading import checks
from coursekit.grading.assignment import grade_id, is_answer, load_assignment, load_assignments
from coursekit.grading.checks import (
    assert_choice,
    assert_close,
    assert_equal,
    assert_raises,
    assert_tuple,
)
from coursekit.grading.compare import decode_array
from coursekit.grading.grade import (
    GradeResult,
    GradingError,
    QuestionResult,
    grade_many,
    grade_notebook,
    plan,
)
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.report import format_table, to_json
from coursekit.grading.sandbox import Limits, sandbox_problem
from coursekit.grading.testcode import for_sandbox, split_test

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
CASES = Path(__file__).parent / "grading_cases"


def read_cases(stem: str, table: str) -> list[dict]:
    """The ``table`` entries of every grading_cases/<stem>*.toml (one file per group of
    exercises), in file-name order."""
    return [case for path in sorted(CASES.glob(f"{stem}*.toml"))
            for case in tomllib.loads(path.read_text())[table]]


WRONG = read_cases("wrong_answers", "wrong")
HOSTILE = read_cases("hostile", "submission")
ASSIGNMENTS = load_assignments(SOLUTIONS)
TOKEN = "coursekit-hostile-survivor-7f3a"
# Labels this process's sandboxes: other graders may run on the same machine.
SANDBOX_TAG = f"coursekit-test-sandbox-{os.getpid()}-{time.time_ns()}"
os.environ["COURSEKIT_SANDBOX_TAG"] = SANDBOX_TAG


def require_sandbox() -> None:
    """Skip (or, under COURSEKIT_REQUIRE_SANDBOX=1, fail) when bubblewrap cannot run."""
    problem = sandbox_problem()
    if problem is None:
        return
    if os.environ.get("COURSEKIT_REQUIRE_SANDBOX") == "1":
        pytest.fail(f"COURSEKIT_REQUIRE_SANDBOX=1 but no sandbox: {problem}")
    pytest.skip(f"no sandbox ({problem}): apt-get install bubblewrap to run the grading tests")


def solution_answers(name: str) -> dict[str, str]:
    """The instructor's answer cells of an assignment, without nbgrader's solution markers."""
    nb = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
    return {grade_id(c): "\n".join(line for line in c.source.splitlines()
                                   if "### BEGIN SOLUTION" not in line
                                   and "### END SOLUTION" not in line)
            for c in nb.cells if is_answer(c)}


def make_submission(name: str, cells=None, delete=(), points=None, insert=(), fill=None):
    """The exercise notebook as a student would hand it in: every answer filled in with the
    instructor's solution, then the given edits applied (see tests/grading_cases/*.toml).
    ``fill`` replaces {NAME} placeholders in the edited sources."""
    def filled(text: str) -> str:
        for key, value in (fill or {}).items():
            text = text.replace("{" + key + "}", str(value))
        return text

    nb = nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4)
    sources = solution_answers(name) | {k: filled(v) for k, v in (cells or {}).items()}
    for cell in nb.cells:
        if grade_id(cell) in sources:
            cell.source = sources[grade_id(cell)].strip("\n")
        if grade_id(cell) in (points or {}):
            cell.metadata.nbgrader.points = points[grade_id(cell)]
    nb.cells = [c for c in nb.cells if grade_id(c) not in set(delete)]
    for extra in reversed(insert):
        at = next(i for i, c in enumerate(nb.cells) if grade_id(c) == extra["after"])
        new = nbformat.v4.new_code_cell(filled(extra["source"]).strip("\n"))
        if "test_id" in extra:
            new.metadata["nbgrader"] = {"grade": True, "grade_id": extra["test_id"],
                                        "locked": True, "points": extra["points"],
                                        "schema_version": 3, "solution": False, "task": False}
        nb.cells.insert(at + 1, new)
    return nb


def wrong_case_id(case: dict) -> str:
    return f"{case['question']}:{case['message'][:30]}"


def wrong_variants() -> dict[tuple[str, int], list[dict]]:
    """Wrong answers grouped into submissions: the k-th variant of every question of an
    assignment goes into that assignment's k-th submission."""
    count, groups = defaultdict(int), defaultdict(list)
    for case in WRONG:
        k = count[case["assignment"], case["question"]]
        count[case["assignment"], case["question"]] += 1
        groups[case["assignment"], k].append(case)
    return dict(groups)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checkout_digests() -> dict[str, str]:
    """What a submission must never change: solutions, exercises and the grader itself."""
    files = [*SOLUTIONS.glob("*"), *EXERCISES.glob("*"), *(ROOT / "coursekit").rglob("*.py")]
    return {str(p): sha256(p) for p in files if p.is_file()}


def processes_with(text: str) -> list[int]:
    """PIDs whose command line contains ``text`` (this test process excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """Grade every solution, blank exercise, wrong-answer and hostile submission, two
    sandboxes at a time, into one gradebook; record what the hostile ones could have touched."""
    require_sandbox()
    folder = tmp_path_factory.mktemp("submissions")
    mark = tmp_path_factory.mktemp("host")
    (mark / "canary.txt").write_text("untouched")
    book_path = tmp_path_factory.mktemp("book") / "gradebook.sqlite"
    jobs: dict[str, tuple[Path, Limits]] = {}
    for name in ASSIGNMENTS:
        jobs[f"solution:{name}"] = (SOLUTIONS / f"{name}.ipynb", Limits())
        jobs[f"blank:{name}"] = (EXERCISES / f"{name}.ipynb", Limits())
    for (name, k), cases in wrong_variants().items():
        path = folder / f"{name}-wrong{k}.ipynb"
        nbformat.write(make_submission(name, {c["answer"]: c["source"] for c in cases}), path)
        jobs[f"wrong:{name}:{k}"] = (path, Limits())
    paths = {c["name"]: folder / f"{c['assignment']}-{c['name']}.ipynb" for c in HOSTILE}
    fill = {"ROOT": ROOT, "MARK": mark, "PEER": paths["classmate_victim"],
            "GRADEBOOK": book_path, "TOKEN": TOKEN}
    files = {}
    for case in HOSTILE:
        path = paths[case["name"]]
        nbformat.write(make_submission(case["assignment"], case.get("cells"),
                                       case.get("delete", ()), case.get("points"),
                                       case.get("insert", ()), fill), path)
        files[case["name"]] = (path, sha256(path), path.stat().st_mtime_ns)
        jobs[f"hostile:{case['name']}"] = (path, Limits(**case.get("limits", {})))
    before = checkout_digests()

    def grade(item):
        key, (path, limits) = item
        return key, grade_notebook(path, ASSIGNMENTS, limits=limits)

    book = Gradebook(book_path)
    results = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for key, result in pool.map(grade, jobs.items()):
            results[key] = result
            book.record(result, ASSIGNMENTS.get(result.assignment or ""))
    book.close()
    time.sleep(5)  # the survivor would write 3 s after it started
    return {"results": results, "files": files, "mark": mark, "book": book_path,
            "before": before, "after": checkout_digests(), "jobs": jobs}


def by_id(result: GradeResult) -> dict[str, QuestionResult]:
    return {q.id: q for q in result.questions}


# --- solutions and blank exercises ----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_every_solution_scores_full_marks(graded, name):
    result = graded["results"][f"solution:{name}"]
    failures = [f"{q.id}: {q.message}" for q in result.questions if q.points < q.max_points]
    assert not failures and result.score == result.max_score > 0, failures
    assert result.sandboxed


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_every_blank_exercise_scores_zero_as_not_answered(graded, name):
    result = graded["results"][f"blank:{name}"]
    assert not result.error and result.score == 0 and result.max_score > 0
    assert all(q.message == "not answered yet (NotImplementedError)"
               for q in result.questions), result.questions


def test_every_solution_has_two_to_eight_graded_questions_with_hidden_tests():
    assert sorted(ASSIGNMENTS)[:13] == [f"{n:02d}_{t}" for n, t in zip(range(1, 14), [
        "landscapes", "one_dimension", "critical_points", "ill_conditioning", "momentum",
        "adaptive", "stochastic", "backprop", "initialization", "batchnorm", "second_order",
        "curvature", "shootout"], strict=True)]
    # Every later lesson has an exercise, named like the lesson.
    later = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                   if int(p.stem[:2]) >= 14)
    assert sorted(ASSIGNMENTS)[13:] == later
    for name, assignment in ASSIGNMENTS.items():
        assert 4 <= len(assignment.questions) <= 8, name
        assert assignment.forbidden_imports[0] == "torch", name
        for q in assignment.questions:
            assert q.answer_id is not None, (name, q.id)
            visible, hidden = split_test(q.source)
            assert hidden and "assert_" in visible, (name, q.id)


def test_no_test_cell_uses_a_plain_assert_and_the_sandbox_copy_has_no_reference_code():
    """A plain assert would run in the student's process; torch and expected values must
    not reach the sandbox."""
    for name, assignment in ASSIGNMENTS.items():
        for q in assignment.questions:
            for part in split_test(q.source):
                assert "\nassert " not in "\n" + part and "raise AssertionError" not in part
                stripped = for_sandbox(part)
                names = {n.id for n in ast.walk(ast.parse(stripped)) if isinstance(n, ast.Name)}
                imports = {a.name for n in ast.walk(ast.parse(stripped))
                           if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
                assert "torch" not in names | imports, (name, q.id)
                assert "expected=" not in stripped.replace("expected=None", "")
                assert "mistakes=[" not in stripped, (name, q.id)


def test_adam_hidden_test_compares_with_torch_to_1e_10():
    adam = next(q for q in ASSIGNMENTS["06_adaptive"].questions if q.id == "test_adam_step")
    assert "torch.optim.Adam" in adam.source and "atol=1e-10" in adam.source


# --- wrong answers -----------------------------------------------------------------------

@pytest.mark.parametrize("case", WRONG, ids=wrong_case_id)
def test_wrong_answer_scores_zero_with_a_message_naming_the_mistake(graded, case):
    groups = wrong_variants()
    k = next(k for (name, k), cases in groups.items()
             if name == case["assignment"] and case in cases)
    question = by_id(graded["results"][f"wrong:{case['assignment']}:{k}"])[case["question"]]
    assert question.points == 0
    assert case["message"] in question.message, question.message


@pytest.mark.parametrize("group", sorted(wrong_variants()), ids=lambda g: f"{g[0]}-{g[1]}")
def test_wrong_answers_cost_only_their_own_questions(graded, group):
    result = graded["results"][f"wrong:{group[0]}:{group[1]}"]
    wrong = {c["question"] for c in wrong_variants()[group]}
    assert result.score < result.max_score
    for q in result.questions:
        assert (q.points == 0) if q.id in wrong else (q.points == q.max_points), (q, wrong)


def test_every_question_has_a_wrong_answer_case():
    covered = {(c["assignment"], c["question"]) for c in WRONG}
    every = {(name, q.id) for name, a in ASSIGNMENTS.items() for q in a.questions}
    assert every <= covered, every - covered


# --- hostile submissions -----------------------------------------------------------------

@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c["name"])
def test_hostile_submission_scores_as_specified(graded, case):
    result = graded["results"][f"hostile:{case['name']}"]
    assert not result.error
    assert (result.score, result.max_score) == (case["score"], case["max_score"]), (
        format_table(result))
    questions = by_id(result)
    assert set(questions) == set(case["expect"])
    for qid, message in case["expect"].items():
        if message:
            assert questions[qid].points == 0 and message in questions[qid].message, (
                questions[qid])
        else:
            assert questions[qid].points == questions[qid].max_points, questions[qid]


def test_coursekit_answers_of_the_hostile_cases_would_pass_without_the_sandbox(
        monkeypatch, tmp_path):
    """The hostile cases that answer with coursekit's own optimizer or batchnorm score 0 in the
    sandbox only because it forbids those modules: unsandboxed, the same answers pass."""
    import coursekit.grading.grade as grade

    monkeypatch.setattr(grade, "sandbox_problem", lambda: "bwrap not found")
    answered = {"coursekit_optim_in_answer": ["test_heavy_ball", "test_momentum_sgd"],
                "coursekit_batchnorm_in_answer": ["test_batchnorm_forward"],
                "coursekit_lion_in_answer": ["test_lion_step"],
                "coursekit_two_loop_in_answer": ["test_lbfgs_direction"]}
    for name, questions in answered.items():
        case = next(c for c in HOSTILE if c["name"] == name)
        path = tmp_path / f"{case['assignment']}-{name}.ipynb"
        nbformat.write(make_submission(case["assignment"], case["cells"],
                                       fill={"ROOT": ROOT}), path)
        result = grade_notebook(path, ASSIGNMENTS, unsafe=True)
        assert all(by_id(result)[q].points == by_id(result)[q].max_points
                   for q in questions), format_table(result)


def test_training_on_the_test_images_would_pass_without_the_held_out_sandbox(
        monkeypatch, tmp_path):
    """hostile_held_out.toml's `train` fits only the test images it finds; it scores 0 on the
    capstone in the sandbox only because the sandbox holds no test image: unsandboxed (the
    real digits file) it gets full marks."""
    import coursekit.grading.grade as grade

    monkeypatch.setattr(grade, "sandbox_problem", lambda: "bwrap not found")
    case = next(c for c in HOSTILE if c["name"] == "trains_on_the_test_images")
    path = tmp_path / f"{case['assignment']}-{case['name']}.ipynb"
    nbformat.write(make_submission(case["assignment"], case["cells"]), path)
    result = grade_notebook(path, ASSIGNMENTS, unsafe=True)
    assert (result.score, result.max_score) == (case["max_score"],) * 2, format_table(result)


def test_hostile_submissions_change_nothing_outside_their_sandbox(graded):
    assert graded["after"] == graded["before"]  # solutions, exercises, the grader
    for path, digest, mtime in graded["files"].values():
        assert sha256(path) == digest and path.stat().st_mtime_ns == mtime, path
    assert sorted(p.name for p in graded["mark"].iterdir()) == ["canary.txt"]
    assert (graded["mark"] / "canary.txt").read_text() == "untouched"
    assert b"forged" not in graded["book"].read_bytes()
    with sqlite3.connect(graded["book"]) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        count = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    assert count == len({path for path, _ in graded["jobs"].values()})


def test_no_process_of_a_submission_outlives_its_grading(graded):
    assert processes_with(TOKEN) == []
    assert processes_with(SANDBOX_TAG) == []


def test_feedback_never_echoes_hidden_tests_or_the_students_text(graded):
    messages = [q.message for r in graded["results"].values() for q in r.questions]
    for forbidden in ("LEAK", "BEGIN HIDDEN", "torch_sgd_path", "Rosenbrock()", "import torch"):
        assert not any(forbidden in m for m in messages), forbidden
    echo = graded["results"]["hostile:echoes_hidden_tests"]
    assert all(len(q.message) < 300 for q in echo.questions)


def test_hidden_checks_never_show_their_expected_values(graded):
    for key, result in graded["results"].items():
        for q in result.questions:
            if "against torch" in q.message or "against the exact" in q.message:
                assert "expected" not in q.message, (key, q.message)


# --- gradebook, resume and the command line --------------------------------------------------

def class_folder(tmp_path: Path, copies: int = 2) -> Path:
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "04_ill_conditioning.ipynb").write_bytes(
        (SOLUTIONS / "04_ill_conditioning.ipynb").read_bytes())
    (folder / "bob_02.ipynb").write_bytes((EXERCISES / "02_one_dimension.ipynb").read_bytes())
    (folder / "02_carol.ipynb").write_text("{ this is not a notebook")
    for i in range(copies):
        (folder / f"02_dan{i}.ipynb").write_bytes(
            (SOLUTIONS / "02_one_dimension.ipynb").read_bytes())
    return folder


def test_a_class_folder_is_graded_in_parallel_into_a_gradebook_and_a_rerun_skips_it(
        tmp_path, capsys):
    require_sandbox()
    folder, book = class_folder(tmp_path), tmp_path / "grades.sqlite"
    args = ["grade", str(folder), "--json", "--jobs", "2", "--gradebook", str(book),
            "--csv", str(tmp_path / "grades.csv"), "--export-json", str(tmp_path / "g.json")]
    assert cli.main(args) == 0
    out = capsys.readouterr()
    rows = [json.loads(line) for line in out.out.splitlines()]
    scores = {Path(r["submission"]).name: (r["score"], r["max_score"]) for r in rows}
    full02, full04 = (ASSIGNMENTS[n].max_score for n in ("02_one_dimension", "04_ill_conditioning"))
    assert scores == {"04_ill_conditioning.ipynb": (full04, full04), "bob_02.ipynb": (0, full02),
                      "02_carol.ipynb": (0, full02), "02_dan0.ipynb": (full02, full02),
                      "02_dan1.ipynb": (full02, full02)}
    assert out.err.count("graded ") == 5
    carol = next(r for r in rows if r["submission"].endswith("02_carol.ipynb"))
    assert all("not a readable notebook" in q["message"] for q in carol["questions"])
    with sqlite3.connect(book) as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == (
            4 * len(ASSIGNMENTS["02_one_dimension"].questions)
            + len(ASSIGNMENTS["04_ill_conditioning"].questions))
        columns = [r[1] for r in db.execute("PRAGMA table_info(results)")]
    assert columns == ["submission", "question", "points", "max_points", "feedback", "sha256",
                       "grader_version", "graded_at"]
    lines = (tmp_path / "grades.csv").read_text().splitlines()
    assert lines[0].startswith("submission,assignment,score,max_score,test_gd_1d") and \
        len(lines) == 6
    assert len(json.loads((tmp_path / "g.json").read_text())) == 5
    # A rerun grades nothing again: every submission and solution is unchanged.
    assert cli.main(args) == 0
    again = capsys.readouterr()
    assert "graded " not in again.err
    assert {Path(r["submission"]).name: (r["score"], r["max_score"])
            for r in map(json.loads, again.out.splitlines())} == scores


def test_killing_the_grader_mid_batch_keeps_finished_results_and_a_rerun_resumes(tmp_path):
    require_sandbox()
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(4):
        (folder / f"02_s{i}.ipynb").write_bytes((SOLUTIONS / "02_one_dimension.ipynb")
                                                .read_bytes())
    book = tmp_path / "g.sqlite"
    command = [sys.executable, "-m", "coursekit.cli", "grade", str(folder), "--jobs", "1",
               "--gradebook", str(book)]
    tag = f"{SANDBOX_TAG}-killed"
    env = dict(os.environ, PYTHONPATH=str(ROOT), COURSEKIT_SANDBOX_TAG=tag)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and done < 1:
        time.sleep(0.2)
        if book.exists():
            with sqlite3.connect(book) as db:
                try:
                    done = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done >= 1
    with sqlite3.connect(book) as db:
        kept = db.execute("SELECT submission, score FROM submissions").fetchall()
    full = ASSIGNMENTS["02_one_dimension"].max_score
    assert 1 <= len(kept) < 4 and all(score == full for _, score in kept)
    time.sleep(1)
    assert processes_with(tag) == []  # --die-with-parent and the PID namespace
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stderr.count("graded ") == 4 - len(kept)
    with sqlite3.connect(book) as db:
        assert db.execute("SELECT COUNT(*), SUM(score) FROM submissions").fetchone() == (
            4, 4 * full)


def test_grade_file_json_prints_score_and_max_score(capsys):
    require_sandbox()
    assert cli.main(["grade", str(EXERCISES / "12_curvature.ipynb"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["score"], data["max_score"], data["sandboxed"]) == (0, 9, True)


def test_grade_prints_a_table_and_exits_0_whatever_the_score(capsys):
    require_sandbox()
    status = cli.main(["grade", str(EXERCISES / "12_curvature.ipynb")])
    out = capsys.readouterr().out
    assert status == 0
    assert "(12_curvature): 0 / 9" in out
    assert "test_top_eigenvalue" in out and "not answered yet" in out


def test_without_a_sandbox_grading_refuses_unless_told_and_then_says_it_can_be_forged(
        monkeypatch, capsys, tmp_path):
    import coursekit.grading.grade as grade

    monkeypatch.setattr(grade, "sandbox_problem", lambda: "bwrap not found")
    with pytest.raises(GradingError, match="install bubblewrap"):
        grade_notebook(SOLUTIONS / "02_one_dimension.ipynb", ASSIGNMENTS)
    assert cli.main(["grade", str(SOLUTIONS / "02_one_dimension.ipynb")]) == 2
    assert "refusing to grade without a sandbox" in capsys.readouterr().err
    result = grade_notebook(SOLUTIONS / "02_one_dimension.ipynb", ASSIGNMENTS, unsafe=True)
    assert result.score == result.max_score and not result.sandboxed
    assert all("can be forged" in q.message for q in result.questions)
    assert to_json(result)["warning"].endswith("can be forged")
    assert "can be forged" in format_table(result)


def test_a_notebook_of_no_known_assignment_is_reported_not_crashed(tmp_path, capsys):
    require_sandbox()
    stray = tmp_path / "notes.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), stray)
    [result] = grade_many([stray], ASSIGNMENTS, jobs=1)
    assert result.error and "cannot tell which assignment" in result.error
    assert cli.main(["grade", str(stray), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]


def test_grading_a_missing_path_is_a_usage_error(tmp_path):
    assert cli.main(["grade", str(tmp_path / "nothing.ipynb")]) == 2


def test_grade_help_states_every_limit_with_its_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--memory-mb", "--cpu-seconds", "--wall-seconds", "--timeout", "--processes",
                   "--file-mb", "--tmp-mb", "--jobs", "--unsafe-no-sandbox"):
        assert option in text, option
    assert "(default: 4096)" in text and "(default: 300.0)" in text


# --- assembling the graded copy (no sandbox) -------------------------------------------------

def test_the_graded_copy_uses_the_instructors_tests_after_each_answer():
    nb = make_submission(
        "12_curvature", cells={"test_hessian_vector_product": "pass", "imports": "np = None"},
        delete=["test_top_eigenvalue"],
        insert=[{"after": "top_eigenvalue", "source": "pass", "test_id": "bonus", "points": 9}])
    chunks = plan(nb, ASSIGNMENTS["12_curvature"], strip=True)
    sources = [c.source for c in chunks]
    assert "np = None" not in sources and "pass" not in sources
    assert sources[0] == "import numpy as np"
    tests = [(c.question.id, c.part) for c in chunks if c.question]
    assert tests == [("test_hessian_vector_product", "visible"),
                     ("test_hessian_vector_product", "hidden"),
                     ("test_top_eigenvalue", "visible"), ("test_top_eigenvalue", "hidden"),
                     ("test_max_stable_lr", "visible"), ("test_max_stable_lr", "hidden"),
                     ("test_edge_predictions", "visible"), ("test_edge_predictions", "hidden")]
    hidden = next(c for c in chunks if c.part == "hidden")
    assert "Himmelblau" in hidden.source and "BEGIN HIDDEN" not in hidden.source
    assert "f.hessian(theta) @ v" not in hidden.source  # the expected value is gone


def test_tests_of_a_deleted_answer_run_at_the_end():
    nb = make_submission("02_one_dimension")
    nb.cells = [c for c in nb.cells if grade_id(c) != "gd_1d"]
    nb.cells.append(nbformat.v4.new_code_cell("def gd_1d(*args):\n    return None"))
    chunks = plan(nb, ASSIGNMENTS["02_one_dimension"], strip=True)
    assert [c.question.id for c in chunks[-2:]] == ["test_gd_1d", "test_gd_1d"]
    assert chunks[-3].source.startswith("def gd_1d")


def test_the_sandbox_copy_drops_expected_values_mistakes_and_reference_functions():
    source = '''
from coursekit.grading.checks import assert_close, reference_only

@reference_only
def secret(x):
    import torch
    return 2 * x

assert_close(f(1), secret(1), "f(1)", rtol=1e-9, mistakes=[(secret(2), "doubled")])
assert_equal(g(), expected=secret(3), what="g()")
assert_unchanged(before, after, "x")
'''
    stripped = for_sandbox(source)
    assert "secret" not in stripped and "torch" not in stripped and "doubled" not in stripped
    assert "assert_close(f(1), None, 'f(1)', rtol=1e-09, mistakes=None)" in stripped
    assert "assert_equal(g(), expected=None, what='g()')" in stripped
    assert "assert_unchanged(None, after, 'x')" in stripped
    assert split_test("a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS\nc") == ("a\n",
                                                                                  "b\n\nc\n")


def test_assignments_need_unique_grade_ids_and_points(tmp_path):
    nb = nbformat.read(SOLUTIONS / "02_one_dimension.ipynb", as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    tests[1].metadata.nbgrader.grade_id = tests[0].metadata.nbgrader.grade_id
    nbformat.write(nb, tmp_path / "02_x.ipynb")
    with pytest.raises(ValueError, match="unique grade_id"):
        load_assignment(tmp_path / "02_x.ipynb")
    tests[1].metadata.nbgrader.grade_id = "other"
    tests[1].metadata.nbgrader.points = 0
    nbformat.write(nb, tmp_path / "02_x.ipynb")
    with pytest.raises(ValueError, match="points > 0"):
        load_assignment(tmp_path / "02_x.ipynb")


# --- checks in a notebook, and their records (no sandbox) -----------------------------------

def test_assert_close_names_a_matching_mistake_before_the_numbers():
    with pytest.raises(AssertionError) as info:
        assert_close([2.0], [1.0], "adam_step: theta", mistakes=[([3.0], "other"),
                                                                 ([2.0], "no bias correction")])
    assert str(info.value) == "adam_step: theta looks like no bias correction"
    with pytest.raises(AssertionError, match=r"^x is off by up to 0.5 at index \(1,\)"):
        assert_close([1.0, 2.5], [1.0, 2.0], "x")
    with pytest.raises(AssertionError, match=r"has shape \(3, 2\), expected \(2, 3\) "
                                             r"\(transposed\?\)"):
        assert_close(np.zeros((3, 2)), np.zeros((2, 3)), "W")
    with pytest.raises(AssertionError, match="NaN or inf: t starts at 1"):
        assert_close([np.nan], [1.0], "theta", nonfinite_hint="t starts at 1")
    with pytest.raises(AssertionError, match="is None: did the function forget to `return`"):
        assert_close(None, [1.0], "theta")
    assert_close([1.0 + 1e-9], [1.0], "x")
    assert_close([0.0, -1.0], [0.0, 1.0], "u", up_to_sign=True)
    assert_close(np.inf, np.inf, "step")


def test_the_grader_computes_exercise_13s_held_out_accuracy_from_the_weights():
    from coursekit.data import load_digits
    from coursekit.grading.compare import ARRAY_PROPERTIES

    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = (rng.normal(size=s) for s in [(64, 32), (32,), (32, 10), (10,)])
    split = load_digits()
    scores = [[float(np.maximum(x @ W1[:, j] + b1[j], 0)) for j in range(32)]
              for x in split.X_test]
    predicted = [int(np.argmax(np.array(h) @ W2 + b2)) for h in scores]
    by_hand = np.mean(np.array(predicted) == split.y_test)
    weights = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    accuracy = ARRAY_PROPERTIES["digits_test_accuracy"]
    assert accuracy(weights) == pytest.approx(by_hand, abs=1e-12)
    assert np.isnan(accuracy(weights[:-1])) and np.isnan(accuracy(np.full_like(weights, np.nan)))


def test_assert_close_ignores_a_later_rebinding_of_numpys_helpers(monkeypatch):
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    with pytest.raises(AssertionError):
        assert_close([2.0], [1.0], "x")


def test_assert_tuple_equal_choice_and_raises_explain_what_was_expected():
    with pytest.raises(AssertionError, match=r"should return 3 values \(theta, m, v\); got 2"):
        assert_tuple((1, 2), ["theta", "m", "v"], "adam_step")
    with pytest.raises(AssertionError, match="looks like the boundary"):
        assert_equal("diverging", "oscillating", "regime", [("diverging", "the boundary")])
    with pytest.raises(AssertionError, match=r"should be one of \['a', 'b'\]"):
        assert_choice("c", "a", "the answer", options=["a", "b"])
    assert_choice("a", "a", "the answer", options=["a", "b"])
    with pytest.raises(AssertionError, match=r"^f\(-1\) should raise ValueError \(x > 0\)$"):
        assert_raises(lambda: None, ValueError, "f(-1)", why="(x > 0)")
    assert_raises(lambda: int("x"), ValueError, "int('x')")
    with pytest.raises(AssertionError, match="True"):  # True is not 1: types are compared
        assert_equal(True, 1, "flag")


def test_record_mode_keeps_only_plain_data_never_the_students_objects():
    records = []
    checks.configure("record", records.append)
    try:
        checks.begin_part("q", "hidden")

        class Liar(str):
            def __eq__(self, other):
                return True

        assert_equal(Liar("x"), "y", "liar")
        assert_close(np.arange(3), None, "arange")
        assert_close(object(), None, "object")
    finally:
        checks.configure("assert")
    assert [r["record"] for r in records] == [
        {"unsupported": "Liar"}, checks.encode_array([0.0, 1.0, 2.0]),
        {"unsupported": "object"}]
    assert decode_array(records[1]["record"]).tolist() == [0.0, 1.0, 2.0]
    assert decode_array({"shape": [2], "float64": records[1]["record"]["float64"]}) is None
    assert [(r["q"], r["part"], r["n"]) for r in records] == [("q", "hidden", i)
                                                              for i in range(3)]


def test_reports_give_json_and_a_table():
    result = GradeResult("a/06.ipynb", "06_adaptive", [
        QuestionResult("test_adam_step", 0.0, 3.0, "adam_step: looks like eps inside"),
        QuestionResult("test_adagrad_step", 2.0, 2.0)])
    data = to_json(result)
    assert (data["score"], data["max_score"], data["sandboxed"]) == (2.0, 5.0, True)
    assert "warning" not in data
    assert data["questions"][0] == {"id": "test_adam_step", "points": 0.0, "max_points": 3.0,
                                    "message": "adam_step: looks like eps inside"}
    table = format_table(result)
    assert "a/06.ipynb (06_adaptive): 2 / 5" in table
    assert "test_adam_step     0 / 3   adam_step: looks like eps inside" in table


def test_the_sandbox_also_runs_for_a_normal_user_with_its_limits(tmp_path):
    """The unprivileged path (bwrap creates a user namespace): run as uid 65534 with the
    system's python, the sandbox has its own PID namespace, no checkout and a bounded /tmp."""
    require_sandbox()
    if os.getuid() != 0 or not Path("/usr/bin/python3").exists():
        pytest.skip("needs root (to become another user) and /usr/bin/python3")
    from unittest import mock

    from coursekit.grading import sandbox

    with mock.patch("os.getuid", return_value=1000):
        args = sandbox._bwrap_args([], None, tmp_mb=8)
    kept, skip = [], 0
    # root's interpreter, and a checkout in a 0700 temporary directory, are not readable by
    # that user; the probe needs only /usr
    for i, arg in enumerate(args):
        if skip:
            skip -= 1
        elif arg == "--ro-bind" and not args[i + 1].startswith("/usr"):
            skip = 2
        else:
            kept.append(arg)
    code = ("import os; print(os.getpid(), os.path.exists({root!r}))\n"
            "open('/tmp/big', 'wb').write(b'x' * 2**24)").format(root=str(ROOT / "solutions"))
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           *kept, "--", "/usr/bin/python3", "-c", code],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["2", "False"], done.stderr
    assert "No space left on device" in done.stderr


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_visible_tests_self_check_in_the_students_own_notebook(name):
    """In a notebook the checks assert in-kernel: the exercise with the instructor's answers
    passes its visible tests, and a wrong answer fails there with the grader's message."""
    namespace: dict = {}
    for cell in make_submission(name).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"<{name}:{grade_id(cell)}>", "exec"), namespace)
    # Some wrong answers (a derivation, a prediction) are caught by hidden checks only: the
    # first one the visible checks catch must fail in the answer's own test cell.
    failures = []
    for case in (c for c in WRONG if c["assignment"] == name):
        namespace, failure = {}, None
        for cell in make_submission(name, {case["answer"]: case["source"]}).cells:
            if cell.cell_type == "code" and failure is None:
                try:
                    exec(compile(cell.source, f"<{name}:{grade_id(cell)}>", "exec"), namespace)
                except (AssertionError, ValueError, TypeError) as exc:
                    failure = (grade_id(cell), str(exc))
        failures.append((case["question"], failure))
        if failure is not None:
            break
    question, failure = failures[-1]
    assert failure is not None and failure[0] == question, failures

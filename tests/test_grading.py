"""The autograder against the instructor's solutions, plausible wrong answers and hostile
submissions (tests/grading_cases/*.toml), plus its parts that need no kernel.

All kernel-backed gradings of this file run once, two at a time, in the module fixture
``graded``; the tests then read their results.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursekit import cli
from coursekit.grading.assignment import grade_id, is_answer, load_assignment, load_assignments
from coursekit.grading.checks import assert_close, assert_equal, assert_tuple
from coursekit.grading.grade import GradeResult, QuestionResult, _plan, grade_many, grade_notebook
from coursekit.grading.report import format_table, to_json, write_gradebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
CASES = Path(__file__).parent / "grading_cases"
WRONG = tomllib.loads((CASES / "wrong_answers.toml").read_text())["wrong"]
HOSTILE = tomllib.loads((CASES / "hostile.toml").read_text())["submission"]
ASSIGNMENTS = load_assignments(SOLUTIONS)
# Generous per-cell limit for ordinary cells on a loaded machine; hostile cases set their own.
TIMEOUT = 120.0


def solution_answers(name: str) -> dict[str, str]:
    """The instructor's answer cells of an assignment, without nbgrader's solution markers."""
    nb = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
    return {grade_id(c): "\n".join(line for line in c.source.splitlines()
                                   if "### BEGIN SOLUTION" not in line
                                   and "### END SOLUTION" not in line)
            for c in nb.cells if is_answer(c)}


def make_submission(name: str, cells=None, delete=(), points=None, insert=()):
    """The exercise notebook as a student would hand it in: every answer filled in with the
    instructor's solution, then the given edits applied (see tests/grading_cases/*.toml)."""
    nb = nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4)
    sources = solution_answers(name) | dict(cells or {})
    for cell in nb.cells:
        if grade_id(cell) in sources:
            cell.source = sources[grade_id(cell)].strip("\n")
        if grade_id(cell) in (points or {}):
            cell.metadata.nbgrader.points = points[grade_id(cell)]
    nb.cells = [c for c in nb.cells if grade_id(c) not in set(delete)]
    for extra in insert:
        at = next(i for i, c in enumerate(nb.cells) if grade_id(c) == extra["after"])
        new = nbformat.v4.new_code_cell(extra["source"].strip("\n"))
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


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """Grade every solution, every wrong-answer submission and every hostile submission."""
    folder = tmp_path_factory.mktemp("submissions")
    jobs: dict[str, tuple[Path, float]] = {}
    for name in ASSIGNMENTS:
        jobs[f"solution:{name}"] = (SOLUTIONS / f"{name}.ipynb", TIMEOUT)
    for (name, k), cases in wrong_variants().items():
        path = folder / f"{name}-wrong{k}.ipynb"
        nbformat.write(make_submission(name, {c["answer"]: c["source"] for c in cases}), path)
        jobs[f"wrong:{name}:{k}"] = (path, TIMEOUT)
    hashes = {}
    for case in HOSTILE:
        path = folder / f"{case['assignment']}-{case['name']}.ipynb"
        nb = make_submission(case["assignment"], case.get("cells"), case.get("delete", ()),
                             case.get("points"), case.get("insert", ()))
        nbformat.write(nb, path)
        hashes[case["name"]] = (path, sha256(path), path.stat().st_mtime_ns)
        jobs[f"hostile:{case['name']}"] = (path, case.get("timeout", TIMEOUT))

    def grade(item):
        key, (path, timeout) = item
        return key, grade_notebook(path, ASSIGNMENTS, timeout=timeout)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(grade, jobs.items()))
    results["hashes"] = hashes
    return results


def by_id(result: GradeResult) -> dict[str, QuestionResult]:
    return {q.id: q for q in result.questions}


# --- solutions ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_every_solution_scores_full_marks(graded, name):
    result = graded[f"solution:{name}"]
    failures = [f"{q.id}: {q.message}" for q in result.questions if q.points < q.max_points]
    assert not failures and result.score == result.max_score > 0, failures


def test_every_solution_has_two_to_four_graded_questions_with_hidden_tests():
    assert sorted(ASSIGNMENTS) == [f"{n:02d}_{t}" for n, t in zip(range(2, 13), [
        "one_dimension", "critical_points", "ill_conditioning", "momentum", "adaptive",
        "stochastic", "backprop", "initialization", "batchnorm", "second_order", "curvature"],
        strict=True)]
    for name, assignment in ASSIGNMENTS.items():
        assert 2 <= len(assignment.questions) <= 4, name
        for q in assignment.questions:
            assert q.answer_id is not None, (name, q.id)
            assert "### BEGIN HIDDEN TESTS" in q.source and "### END HIDDEN TESTS" in q.source
            assert "assert" in q.source.split("### BEGIN HIDDEN TESTS")[0], (name, q.id)


def test_adam_hidden_test_compares_with_torch_to_1e_10():
    adam = next(q for q in ASSIGNMENTS["06_adaptive"].questions if q.id == "test_adam_step")
    assert "torch.optim.Adam" in adam.source and "atol=1e-10" in adam.source


# --- wrong answers -----------------------------------------------------------------------

@pytest.mark.parametrize("case", WRONG, ids=wrong_case_id)
def test_wrong_answer_scores_zero_with_a_message_naming_the_mistake(graded, case):
    groups = wrong_variants()
    k = next(k for (name, k), cases in groups.items()
             if name == case["assignment"] and case in cases)
    question = by_id(graded[f"wrong:{case['assignment']}:{k}"])[case["question"]]
    assert question.points == 0
    assert case["message"] in question.message, question.message


@pytest.mark.parametrize("group", sorted(wrong_variants()), ids=lambda g: f"{g[0]}-{g[1]}")
def test_wrong_answers_cost_only_their_own_questions(graded, group):
    result = graded[f"wrong:{group[0]}:{group[1]}"]
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
    result = graded[f"hostile:{case['name']}"]
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


def test_grading_never_modifies_the_submission(graded):
    for path, digest, mtime in graded["hashes"].values():
        assert sha256(path) == digest and path.stat().st_mtime_ns == mtime, path


# --- the command line ----------------------------------------------------------------------

def test_grading_a_class_folder_in_parallel_prints_json_and_writes_a_gradebook(
        tmp_path, capsys):
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "04_ill_conditioning.ipynb").write_bytes(
        (SOLUTIONS / "04_ill_conditioning.ipynb").read_bytes())
    (folder / "bob_02.ipynb").write_bytes((EXERCISES / "02_one_dimension.ipynb").read_bytes())
    (folder / "02_carol.ipynb").write_text("{ this is not a notebook")
    gradebook = tmp_path / "grades.csv"
    status = cli.main(["grade", str(folder), "--json", "--jobs", "2", "--csv", str(gradebook),
                       "--timeout", str(TIMEOUT)])
    assert status == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    scores = {Path(r["submission"]).name: (r["score"], r["max_score"]) for r in rows}
    assert scores == {"04_ill_conditioning.ipynb": (5, 5), "bob_02.ipynb": (0, 5),
                      "02_carol.ipynb": (0, 5)}
    for row in rows:
        assert {"score", "max_score", "questions"} <= set(row)
        for q in row["questions"]:
            assert set(q) == {"id", "points", "max_points", "message"}
    carol = next(r for r in rows if r["submission"].endswith("02_carol.ipynb"))
    assert all("not a readable notebook" in q["message"] for q in carol["questions"])
    lines = gradebook.read_text().splitlines()
    assert lines[0].startswith("submission,assignment,score,max_score,test_gd_1d")
    assert len(lines) == 4


def test_grade_prints_a_table_and_exits_0_whatever_the_score(capsys):
    status = cli.main(["grade", str(EXERCISES / "12_curvature.ipynb")])
    out = capsys.readouterr().out
    assert status == 0
    assert "(12_curvature): 0 / 5" in out
    assert "test_top_eigenvalue" in out and "not answered yet" in out


def test_a_notebook_of_no_known_assignment_is_reported_not_crashed(tmp_path, capsys):
    stray = tmp_path / "notes.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), stray)
    [result] = grade_many([stray], ASSIGNMENTS, jobs=1)
    assert result.error and "cannot tell which assignment" in result.error
    assert cli.main(["grade", str(stray), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]


def test_grading_a_missing_path_is_a_usage_error(tmp_path):
    assert cli.main(["grade", str(tmp_path / "nothing.ipynb")]) == 2


# --- assembling the graded copy (no kernel) ------------------------------------------------

def test_the_graded_copy_uses_the_instructors_tests_after_each_answer():
    nb = make_submission(
        "12_curvature", cells={"test_hessian_vector_product": "pass", "imports": "np = None"},
        delete=["test_top_eigenvalue"],
        insert=[{"after": "top_eigenvalue", "source": "pass", "test_id": "bonus", "points": 9}])
    plan = _plan(nb, ASSIGNMENTS["12_curvature"], "n0nce")
    sources = [p.source for p in plan]
    assert "np = None" not in sources and "pass" not in sources
    assert sources[0] == "import numpy as np"
    tests = [(i, p.question.id) for i, p in enumerate(plan) if p.question]
    assert [t for _, t in tests] == ["test_hessian_vector_product", "test_top_eigenvalue"]
    for i, _ in tests:
        assert plan[i - 1].answer_of is not None
        assert plan[i].source.startswith('__import__("sys").modules["_coursekit_guard_n0nce"]')
        assert "BEGIN HIDDEN TESTS" in plan[i].source


def test_tests_of_a_deleted_answer_run_at_the_end():
    nb = make_submission("02_one_dimension")
    nb.cells = [c for c in nb.cells if grade_id(c) != "gd_1d"]
    nb.cells.append(nbformat.v4.new_code_cell("def gd_1d(*args):\n    return None"))
    plan = _plan(nb, ASSIGNMENTS["02_one_dimension"], "x")
    assert plan[-1].question.id == "test_gd_1d"
    assert plan[-2].source.startswith("def gd_1d")


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


# --- feedback helpers and reports (no kernel) ----------------------------------------------

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


def test_assert_close_ignores_a_later_rebinding_of_numpys_assert_allclose(monkeypatch):
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    with pytest.raises(AssertionError):
        assert_close([2.0], [1.0], "x")


def test_assert_tuple_and_assert_equal_explain_what_was_expected():
    with pytest.raises(AssertionError, match=r"should return 3 values \(theta, m, v\); got 2"):
        assert_tuple((1, 2), ["theta", "m", "v"], "adam_step")
    with pytest.raises(AssertionError, match="looks like the boundary"):
        assert_equal("diverging", "oscillating", "regime", [("diverging", "the boundary")])


def test_reports_give_json_a_table_and_a_gradebook(tmp_path):
    result = GradeResult("a/06.ipynb", "06_adaptive", [
        QuestionResult("test_adam_step", 0.0, 3.0, "adam_step: looks like eps inside"),
        QuestionResult("test_adagrad_step", 2.0, 2.0)])
    data = to_json(result)
    assert (data["score"], data["max_score"]) == (2.0, 5.0)
    assert data["questions"][0] == {"id": "test_adam_step", "points": 0.0, "max_points": 3.0,
                                    "message": "adam_step: looks like eps inside"}
    table = format_table(result)
    assert "a/06.ipynb (06_adaptive): 2 / 5" in table
    assert "test_adam_step     0 / 3   adam_step: looks like eps inside" in table
    broken = GradeResult("b.ipynb", None, error="GradingError: no kernel")
    path = write_gradebook([result, broken], tmp_path / "g.csv")
    assert path.read_text().splitlines() == [
        "submission,assignment,score,max_score,test_adam_step,test_adagrad_step,error",
        "a/06.ipynb,06_adaptive,2,5,0,2,",
        "b.ipynb,,0,0,,,GradingError: no kernel"]

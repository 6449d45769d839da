"""The collapsed answers of the lessons that have them state only numbers the lesson computes:
every number in a ``<details>`` answer cell appears in a stored output of the same notebook
(which strict nbval checks against a fresh run)."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
WITH_ANSWERS = ["14_local_minima.ipynb", "15_learning_vs_optimization.ipynb",
                "20_practice.ipynb"]
NUMBER = re.compile(r"[-−]?\d+\.\d+(?:e[-+]?\d+)?|(?<![\w.])\d{2,}(?![\w.])")


def outputs_and_answers(path: Path) -> tuple[str, list[str]]:
    cells = json.loads(path.read_text())["cells"]
    text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
    answers = ["".join(c["source"]) for c in cells
               if c["cell_type"] == "markdown" and "<details>" in "".join(c["source"])]
    return text.replace("−", "-"), answers


def printed(number: str, text: str) -> bool:
    """``number`` occurs in ``text`` as a whole number (not inside a longer one)."""
    number = re.escape(number.replace("−", "-"))
    return re.search(rf"(?<![\d.]){number}(?!\d)", text) is not None


@pytest.mark.parametrize("name", WITH_ANSWERS)
def test_every_number_in_the_answers_is_printed_by_the_lesson(name):
    path = NOTEBOOKS / name
    if not path.exists():
        pytest.skip(f"{name} not written yet")
    text, answers = outputs_and_answers(path)
    assert answers, f"{name} has no <details> answer cell"
    for answer in answers:
        body = re.sub(r"(?m)^\s*\d+\.\s", "", answer)
        missing = [n for n in NUMBER.findall(body) if not printed(n, text)]
        assert not missing, f"{name}: answer numbers not printed by any cell: {missing}"

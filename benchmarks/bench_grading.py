"""How long grading one submission takes: each solution notebook graded as if submitted.

Target: under 15 s per notebook (fresh kernel, instructor's visible and hidden tests).
Prints wall time and the score, so a slow notebook is easy to spot.
"""

import time
from pathlib import Path

from coursekit.grading.assignment import load_assignments
from coursekit.grading.grade import grade_notebook

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"

if __name__ == "__main__":
    assignments = load_assignments(SOLUTIONS)
    times = []
    for path in sorted(SOLUTIONS.glob("[0-9]*.ipynb")):
        start = time.perf_counter()
        result = grade_notebook(path, assignments)
        seconds = time.perf_counter() - start
        times.append(seconds)
        verdict = "ok" if seconds < 15 else "OVER TARGET"
        print(f"{path.name:28s} {seconds:6.1f} s  score {result.score:g}/{result.max_score:g}"
              f"  (target < 15 s: {verdict})")
    print(f"median {sorted(times)[len(times) // 2]:.1f} s, worst {max(times):.1f} s")

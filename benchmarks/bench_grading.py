"""Seconds per submission for a class-sized folder: N copies of a solution graded in parallel.

Each copy runs in its own bubblewrap sandbox (``coursekit grade``'s default limits); the
instructor's reference run, once per assignment, is timed apart. Before the sandboxed design
(Jupyter kernels, issue 13) 20 copies of a solution took 49 s with --jobs 2 on 2 cores.

    python benchmarks/bench_grading.py [--copies 20] [--jobs 2] [--assignment 06_adaptive]
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from coursekit.grading.assignment import load_assignments
from coursekit.grading.grade import grade_many, reference
from coursekit.grading.sandbox import Limits

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignment", default="06_adaptive")
    args = parser.parse_args()
    assignments = load_assignments(SOLUTIONS)
    start = time.perf_counter()
    reference(assignments[args.assignment], Limits())
    ref_seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i in range(args.copies):
            path = Path(folder) / f"{args.assignment}_{i:02d}.ipynb"
            shutil.copy(SOLUTIONS / f"{args.assignment}.ipynb", path)
            paths.append(path)
        start = time.perf_counter()
        results = grade_many(paths, assignments, jobs=args.jobs)
        seconds = time.perf_counter() - start
    full = sum(r.score == r.max_score > 0 for r in results)
    print(f"reference run ({args.assignment}, once per batch): {ref_seconds:.1f} s")
    print(f"{args.copies} submissions, --jobs {args.jobs}: {seconds:.1f} s, "
          f"{seconds / args.copies:.2f} s per submission; full marks {full}/{args.copies}")
    print("before (kernels, issue 13): 49 s for 20 copies with --jobs 2, 2.45 s per submission")

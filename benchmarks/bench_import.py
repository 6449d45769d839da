"""How long `import coursekit` (and its numpy layers) takes in a fresh interpreter.

Target: under 0.3 s. Median of 7 fresh processes; the interpreter's own start-up is measured
alone and subtracted.
"""

import statistics
import subprocess
import sys
import time


def fresh_process_seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def median_seconds(code: str, runs: int = 7) -> float:
    return statistics.median(fresh_process_seconds(code) for _ in range(runs))


if __name__ == "__main__":
    baseline = median_seconds("pass")
    for code in ["import coursekit", "import coursekit.landscapes, coursekit.optim"]:
        seconds = median_seconds(code) - baseline
        verdict = "ok" if seconds < 0.3 else "OVER TARGET"
        print(f"{code:48s} {seconds * 1000:7.1f} ms  (target < 300 ms: {verdict})")

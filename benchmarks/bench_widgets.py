"""How long one slider move takes in every widget: render + draw to an Agg canvas.

Discovers every module in ``coursekit/widgets/`` that defines ``render`` and ``SLIDER_RANGES``.
For each slider it sweeps ``--updates`` values (default 20) across the slider's range, low to
high (geometrically spaced when the range spans ≥ 2 decades above 0, as on a log slider;
integers when render's default is an int), the other parameters at render's defaults, and
times each move: ``render(**{slider: value})`` then ``figure.canvas.draw()``. The first call
with defaults (cold caches) is timed separately and left out of the statistics.

Targets: median ≤ 50 ms and worst ≤ 100 ms per widget. Wall-clock time is what a student
feels; CPU time of this process is printed beside it because on a shared machine the wall
clock also measures the neighbours (the load average is printed too).

    .venv/bin/python benchmarks/bench_widgets.py [--updates 20] [--only race,ravine]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

import coursekit.widgets as widgets_package  # noqa: E402
from coursekit.plot import use_style  # noqa: E402

MEDIAN_TARGET_MS = 50.0
WORST_TARGET_MS = 100.0


def widget_modules(only: set[str] | None = None) -> dict[str, object]:
    """{name: module or the exception that stopped its import} for every widget module
    with ``render`` and ``SLIDER_RANGES`` (a broken module is reported, not fatal)."""
    found = {}
    for info in pkgutil.iter_modules(widgets_package.__path__):
        if only and info.name not in only:
            continue
        try:
            module = importlib.import_module(f"coursekit.widgets.{info.name}")
        except Exception as error:  # another module's bug must not hide the others' times
            found[info.name] = error
            continue
        if callable(getattr(module, "render", None)) and hasattr(module, "SLIDER_RANGES"):
            found[info.name] = module
    return found


def slider_values(render, name: str, low: float, high: float, n: int) -> list:
    """n values across [low, high] the way the slider moves (log or linear, int if needed)."""
    if low > 0 and high / low >= 100:
        values = np.geomspace(low, high, n)
    else:
        values = np.linspace(low, high, n)
    default = inspect.signature(render).parameters.get(name)
    if default is not None and isinstance(default.default, int) and not isinstance(
            default.default, bool):
        return [int(round(v)) for v in values]
    return [float(v) for v in values]


def timed_update(render, params: dict) -> tuple[float, float]:
    """(wall ms, CPU ms) of one render + draw to an Agg canvas."""
    wall, cpu = time.perf_counter(), time.process_time()
    figure = render(**params).figure
    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(figure)
    canvas.draw()
    result = (1e3 * (time.perf_counter() - wall), 1e3 * (time.process_time() - cpu))
    plt.close(figure)
    return result


def bench(module, updates: int) -> dict:
    """Time ``updates`` moves per slider; return the statistics for one widget."""
    render = module.render
    first, _ = timed_update(render, {})
    walls, cpus, per_slider = [], [], {}
    for name, (low, high) in module.SLIDER_RANGES.items():
        times = [timed_update(render, {name: v})
                 for v in slider_values(render, name, low, high, updates)]
        walls += [w for w, _ in times]
        cpus += [c for _, c in times]
        per_slider[name] = statistics.median(w for w, _ in times)
    return {"first": first, "median": statistics.median(walls), "worst": max(walls),
            "median_cpu": statistics.median(cpus), "worst_cpu": max(cpus),
            "updates": len(walls), "per_slider": per_slider}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20, help="moves per slider")
    parser.add_argument("--only", default="", help="comma-separated widget module names")
    parser.add_argument("--per-slider", action="store_true", help="median per slider, too")
    args = parser.parse_args()
    use_style("notebook")
    modules = widget_modules(set(filter(None, args.only.split(","))) or None)
    load = os.getloadavg()[0]
    print(f"{len(modules)} widgets, {args.updates} moves per slider; load average {load:.1f} "
          f"on {os.cpu_count()} cores")
    header = (f"{'widget':<16} {'moves':>5} {'first':>8} {'median':>8} {'worst':>8} "
              f"{'med CPU':>8} {'worst CPU':>9}  target (≤ {MEDIAN_TARGET_MS:.0f} / "
              f"≤ {WORST_TARGET_MS:.0f} ms)")
    print(header)
    print("-" * len(header))
    for name, module in modules.items():
        if isinstance(module, Exception):
            print(f"{name:<16} not measured: import failed ({type(module).__name__}: {module})")
            continue
        try:
            r = bench(module, args.updates)
        except Exception as error:
            print(f"{name:<16} not measured: render failed ({type(error).__name__}: {error})")
            continue
        ok = r["median"] <= MEDIAN_TARGET_MS and r["worst"] <= WORST_TARGET_MS
        print(f"{name:<16} {r['updates']:>5} {r['first']:>6.0f}ms {r['median']:>6.0f}ms "
              f"{r['worst']:>6.0f}ms {r['median_cpu']:>6.0f}ms {r['worst_cpu']:>7.0f}ms  "
              f"{'met' if ok else 'MISSED'}", flush=True)
        if args.per_slider:
            for slider, median in r["per_slider"].items():
                print(f"    {slider:<20} median {median:.0f} ms")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

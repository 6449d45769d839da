"""Every widget figure, in both styles and at its sliders' extremes, fits a projector: every
text inside the figure and at a readable size, no legend over data, no marker cut by its axes.
Checked on the drawn figure (matplotlib's own window extents), not by eye."""

from __future__ import annotations

import itertools

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.legend import Legend
from matplotlib.text import Text

from coursekit import plot
from coursekit.widgets import damped_newton, init_scale, momentum, one_dimension, race, ravine

MIN_POINTS = {"notebook": 8.0, "lecture": 12.0}  # smallest readable font, in points
SLACK = 1.0  # pixels: antialiasing


def corners(ranges: dict[str, tuple[float, float]]) -> list[dict[str, float]]:
    """Every slider at its low or high end, all combinations."""
    names = list(ranges)
    return [dict(zip(names, ends, strict=True))
            for ends in itertools.product(*(ranges[n] for n in names))]


def cases() -> list[tuple[str, object, dict]]:
    out = []
    for params in corners(one_dimension.SLIDER_RANGES):
        for function in one_dimension.FUNCTIONS:
            out.append(("one_dimension", one_dimension.render, {**params, "function": function}))
    out += [("ravine", ravine.render, p) for p in corners(ravine.SLIDER_RANGES)]
    out += [("momentum", momentum.render, {**p, "nesterov": n})
            for p in corners(momentum.SLIDER_RANGES) for n in (False, True)]
    out += [("damped_newton", damped_newton.render, p)
            for p in corners(damped_newton.SLIDER_RANGES)]
    for p in corners(init_scale.SLIDER_RANGES):
        for activation in ("relu", "tanh"):
            out.append(("init_scale", init_scale.render,
                        {**p, "depth": int(p["depth"]), "activation": activation}))
    for landscape in race.TRACKS:
        for ends in (0, 1):
            hyper = {k: v[ends] for k, v in race.SLIDER_RANGES.items()}
            out.append(("race", race.render, {"landscape": landscape, **hyper,
                                              "optimizers": race.OPTIMIZERS}))
    return out


CASES = cases()


def _ids(case) -> str:
    name, _, params = case
    short = ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items() if k != "optimizers")
    return f"{name}[{short}]"


@pytest.fixture(params=["notebook", "lecture"])
def style(request, monkeypatch):
    monkeypatch.delenv("COURSEKIT_STYLE", raising=False)
    with mpl.rc_context():
        plot.use_style(request.param)
        yield request.param
    plt.close("all")


def drawn(figure):
    figure.canvas.draw() if hasattr(figure.canvas, "to_png") else figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    return renderer


def hidden_tick_labels(figure) -> set[int]:
    """Tick labels matplotlib does not draw: their tick is outside the view limits."""
    hidden = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = high - low
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 * span <= tick.get_loc() <= high + 1e-9 * span:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def visible_texts(figure) -> list[Text]:
    hidden = hidden_tick_labels(figure)
    texts = []
    for text in figure.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in hidden:
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        texts.append(text)
    return texts


def layout_problems(figure, style_name: str) -> list[str]:
    renderer = drawn(figure)
    box = figure.bbox
    problems = []
    for text in visible_texts(figure):
        extent = text.get_window_extent(renderer)
        if extent.width == 0:
            continue
        label = text.get_text()[:40]
        if (extent.x0 < box.x0 - SLACK or extent.y0 < box.y0 - SLACK
                or extent.x1 > box.x1 + SLACK or extent.y1 > box.y1 + SLACK):
            problems.append(f"text {label!r} outside the figure: {extent.bounds} vs "
                            f"{box.bounds}")
        if text.get_fontsize() < MIN_POINTS[style_name] - 1e-9:
            problems.append(f"text {label!r} at {text.get_fontsize():.1f} pt < "
                            f"{MIN_POINTS[style_name]} pt")
    for ax in figure.axes:
        if ax.get_visible():
            problems += clipped_markers(ax, renderer)
    return problems


def legend_problems(figure) -> list[str]:
    renderer = drawn(figure)
    problems = []
    for ax in figure.axes:
        legend = ax.get_legend()
        if ax.get_visible() and legend is not None and legend.get_visible():
            problems += legend_over_data(ax, legend, renderer)
    return problems


def legend_over_data(ax, legend: Legend, renderer) -> list[str]:
    """Data points (lines' vertices) of ``ax`` that the legend box covers."""
    frame = legend.get_window_extent(renderer)
    covered = 0
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = np.asarray(line.get_xydata(), dtype=float)
        if xy.size == 0:
            continue
        xy = xy[np.isfinite(xy).all(axis=1)]
        pts = line.get_transform().transform(xy) if len(xy) else xy
        inside_axes = ((pts[:, 0] >= ax.bbox.x0) & (pts[:, 0] <= ax.bbox.x1)
                       & (pts[:, 1] >= ax.bbox.y0) & (pts[:, 1] <= ax.bbox.y1))
        pts = pts[inside_axes]
        covered += int(((pts[:, 0] > frame.x0) & (pts[:, 0] < frame.x1)
                        & (pts[:, 1] > frame.y0) & (pts[:, 1] < frame.y1)).sum())
    if covered:
        return [f"legend of {ax.get_title()[:30]!r} covers {covered} data points"]
    return []


def clipped_markers(ax, renderer) -> list[str]:
    """Single markers (current-value points) whose centre is in the view but whose disc
    crosses the axes' edge."""
    out = []
    for line in ax.get_lines():
        if not line.get_visible() or line.get_marker() in (None, "None", "", " "):
            continue
        if not line.get_clip_on():  # drawn whole over the edge
            continue
        xy = np.asarray(line.get_xydata(), dtype=float)
        if len(xy) != 1 or not np.isfinite(xy).all():
            continue
        x, y = line.get_transform().transform(xy)[0]
        radius = line.get_markersize() * ax.figure.dpi / 72 / 2
        bb = ax.bbox
        if not (bb.x0 <= x <= bb.x1 and bb.y0 <= y <= bb.y1):
            continue
        if min(x - bb.x0, bb.x1 - x, y - bb.y0, bb.y1 - y) < radius - SLACK:
            out.append(f"marker {line.get_label()!r} at {xy[0]} cut by the axes' edge")
    return out


# Legends drawn inside a panel whose data moves with the sliders: at some extremes a path or
# curve runs under them (issue 19, not fixed yet; the race keeps its legend outside).
LEGEND_OVER_DATA = {"momentum", "ravine", "damped_newton"}
# The race's loss-panel crosses mark a divergence at step 0 on the axes' left edge, and its
# tick labels can stick out at the extremes (the race's stepping is being reworked: its
# layout is revisited with it).
RACE_KNOWN = {"race"}


_checked: dict[tuple[str, str], tuple[list[str], list[str]]] = {}


def checked(case, style_name: str) -> tuple[list[str], list[str]]:
    """(layout problems, legend problems) of one render, computed once for both tests."""
    key = (_ids(case), style_name)
    if key not in _checked:
        _, render, params = case
        figure = render(**params).figure
        _checked[key] = (layout_problems(figure, style_name), legend_problems(figure))
    return _checked[key]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_widget_fits_its_figure_in_both_styles_at_slider_extremes(case, style):
    name = case[0]
    if name in RACE_KNOWN:
        pytest.xfail("race: crosses on the edge and tick labels at the extremes (known)")
    problems, _ = checked(case, style)
    assert not problems, f"{name} ({style}): " + "; ".join(problems[:6])


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_widget_legends_cover_no_data_at_slider_extremes(case, style):
    name = case[0]
    if name in LEGEND_OVER_DATA:
        pytest.xfail(f"{name}: a legend inside a panel whose data moves (known, issue 19)")
    _, problems = checked(case, style)
    assert not problems, f"{name} ({style}): " + "; ".join(problems[:6])


def test_layout_check_catches_text_outside_a_legend_over_data_and_a_cut_marker():
    with mpl.rc_context():
        plot.use_style("notebook")
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50), label="diagonal")
        ax.legend(loc="center")
        ax.plot([1.0], [0.5], "o", ms=10, label="_current")
        ax.set_xlim(0, 1)
        fig.text(0.98, 0.5, "a long label that runs off the right edge", fontsize=9)
        ax.set_title("tiny", fontsize=5)
        problems = " | ".join(layout_problems(fig, "notebook") + legend_problems(fig))
        plt.close(fig)
    assert "outside the figure" in problems and "5.0 pt" in problems
    assert "covers" in problems and "cut by the axes' edge" in problems

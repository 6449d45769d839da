"""Every widget figure, in both styles and at its sliders' extremes, fits a projector: every
text inside the figure, at a readable size and clear of every other text; no legend over any
panel's data (lines, contours, images); no marker cut by its axes; legend entries told apart
by line style or by colours a red-green colour-blind reader also tells apart. Checked on the
drawn figure (matplotlib's own window extents), not by eye."""

from __future__ import annotations

import itertools

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

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
            scale = axis.get_transform()  # compared on the axis' scale (log axes)
            low, high = sorted(scale.transform(np.asarray(axis.get_view_interval())))
            span = high - low
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                with np.errstate(all="ignore"):
                    loc = float(scale.transform(np.array([tick.get_loc()]))[0])
                if not low - 1e-9 * span <= loc <= high + 1e-9 * span:
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


def legends(figure) -> list[Legend]:
    """Every visible legend: the panels' (a legend-strip holder's included) and the figure's."""
    found = [ax.get_legend() for ax in figure.axes if ax.get_visible()]
    return [lg for lg in found + list(figure.legends) if lg is not None and lg.get_visible()]


def legend_problems(figure) -> list[str]:
    renderer = drawn(figure)
    problems = []
    for legend in legends(figure):
        frame = legend.get_window_extent(renderer)
        for ax in figure.axes:
            if ax.get_visible() and ax.axison:
                problems += legend_over_data(ax, frame, renderer)
    return problems


def data_points(ax) -> np.ndarray:
    """Display coordinates of the data drawn in ``ax``: lines' vertices, and the vertices and
    offsets of collections (contour lines, LineCollections, scatter points); (n, 2)."""
    chunks = []
    for line in ax.get_lines():
        if line.get_visible():
            xy = np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2)
            chunks.append(line.get_transform().transform(xy[np.isfinite(xy).all(axis=1)]))
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        transform = collection.get_transform()
        for path in collection.get_paths():
            if len(path.vertices):
                chunks.append(transform.transform(path.vertices))
        offsets = np.asarray(collection.get_offsets(), dtype=float).reshape(-1, 2)
        if len(offsets) and collection.get_offset_transform() is not None:
            chunks.append(collection.get_offset_transform().transform(offsets))
    points = np.concatenate(chunks) if chunks else np.empty((0, 2))
    points = points[np.isfinite(points).all(axis=1)]
    box = ax.bbox
    inside = ((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
              & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1))
    return points[inside]


def legend_over_data(ax, frame, renderer) -> list[str]:
    """What of ``ax``'s data the legend box ``frame`` covers: data points, or an image."""
    pts = data_points(ax)
    covered = int(((pts[:, 0] > frame.x0) & (pts[:, 0] < frame.x1)
                   & (pts[:, 1] > frame.y0) & (pts[:, 1] < frame.y1)).sum())
    problems = []
    if covered:
        problems.append(f"a legend covers {covered} data points of {ax.get_title()[:30]!r}")
    for image in ax.images:
        if image.get_visible():
            shown = Bbox.intersection(image.get_window_extent(renderer), ax.bbox)
            if shown is not None and overlap(shown, frame):
                problems.append(f"a legend covers the image of {ax.get_title()[:30]!r}")
    return problems


def overlap(a, b, slack: float = SLACK) -> bool:
    """Whether two display boxes share more than ``slack`` pixels in both directions."""
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > slack
            and min(a.y1, b.y1) - max(a.y0, b.y0) > slack)


def text_collisions(figure) -> list[str]:
    """Texts that run into each other (a title into the next panel's tick labels, two tick
    labels of one crowded axis, a suptitle into a panel), and legends that run into a text
    outside them (a panel's axis label, the next panel's title)."""
    renderer = drawn(figure)
    texts = visible_texts(figure)
    boxes = [(t.get_text()[:30], t.get_window_extent(renderer)) for t in texts]
    problems = [f"{a!r} runs into {b!r}"
                for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
                if box_a.width and box_b.width and overlap(box_a, box_b)]
    for legend in legends(figure):
        frame = legend.get_window_extent(renderer)
        own = {id(t) for t in legend.findobj(Text)}
        problems += [f"a legend runs into {label!r}"
                     for text, (label, box) in zip(texts, boxes, strict=True)
                     if id(text) not in own and box.width and overlap(frame, box)]
    return problems


def look(handle) -> tuple:
    """What tells a legend entry's line apart besides colour: its dash pattern and marker."""
    dashes = handle.get_linestyle()
    return (dashes if handle.get_linewidth() > 0 else "None", str(handle.get_marker()))


def indistinct_entries(figure, threshold: float = 15.0) -> list[str]:
    """Pairs of entries of one legend that differ in colour only, by less than ``threshold``
    (ΔE) as seen with normal vision, protanopia or deuteranopia."""
    problems = []
    for legend in legends(figure):
        entries = [(t.get_text(), h) for t, h in zip(legend.get_texts(), legend.legend_handles,
                                                     strict=True)
                   if isinstance(h, Line2D) and t.get_text().strip()]
        for (a, ha), (b, hb) in itertools.combinations(entries, 2):
            if look(ha) != look(hb):
                continue
            colours = [(h.get_color() if h.get_linestyle() != "None" else h.get_markerfacecolor())
                       for h in (ha, hb)]
            worst = min(plot.colour_difference(*colours, vision) for vision in plot.COLOUR_VISION)
            if worst < threshold:
                problems.append(f"{a!r} and {b!r}: same line style, colours ΔE {worst:.0f}")
    return problems


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


_checked: dict[tuple[str, str], tuple[list[str], ...]] = {}


def checked(case, style_name: str) -> tuple[list[str], ...]:
    """(layout problems, legend problems, text collisions, legend entries told apart by colour
    alone) of one render, computed once for the four tests."""
    key = (_ids(case), style_name)
    if key not in _checked:
        _, render, params = case
        figure = render(**params).figure
        _checked[key] = (layout_problems(figure, style_name), legend_problems(figure),
                         text_collisions(figure), indistinct_entries(figure))
    return _checked[key]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_widget_fits_its_figure_in_both_styles_at_slider_extremes(case, style):
    name = case[0]
    problems = checked(case, style)[0]
    assert not problems, f"{name} ({style}): " + "; ".join(problems[:6])


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_widget_legends_cover_no_data_at_slider_extremes(case, style):
    name = case[0]
    problems = checked(case, style)[1]
    assert not problems, f"{name} ({style}): " + "; ".join(problems[:6])


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_widget_texts_of_one_panel_stay_clear_of_the_others(case, style):
    name = case[0]
    problems = checked(case, style)[2]
    assert not problems, f"{name} ({style}): " + "; ".join(problems[:6])


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_widget_legend_entries_differ_by_more_than_a_colour_a_red_green_reader_confuses(
        case, style):
    name = case[0]
    problems = checked(case, style)[3]
    assert not problems, f"{name} ({style}): " + "; ".join(problems[:6])


def test_entry_check_catches_two_solid_lines_in_red_and_green():
    with mpl.rc_context():
        plot.use_style("notebook")
        fig, ax = plt.subplots()
        ax.plot([0, 1], color="tab:green", label="a")
        ax.plot([1, 0], color="tab:red", label="b")
        ax.plot([1, 1], color="tab:red", ls="--", label="c")
        ax.legend()
        problems = indistinct_entries(fig)
        plt.close(fig)
    assert len(problems) == 1 and "'a' and 'b'" in problems[0]


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


@pytest.mark.parametrize("where,loc", [("ax_path", "center"), ("ax_loss", "upper left"),
                                       ("ax_map", "lower left")])
def test_legend_check_catches_a_legend_put_back_inside_a_momentum_panel(where, loc, style):
    view = momentum.MomentumView()
    figure = view.render(lr=5.0, beta=0.999).figure
    assert not legend_problems(figure)
    ax = getattr(view, where)
    ax.legend(ax.get_lines()[:2] or ax.images, ["a", "b"], loc=loc)
    assert any("covers" in p for p in legend_problems(figure))


def test_legend_check_catches_a_legend_over_contours_or_an_image():
    with mpl.rc_context():
        plot.use_style("notebook")
        fig, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
        x, y = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(-1, 1, 30))
        left.contour(x, y, x**2 + y**2, levels=8)
        left.legend([plt.Line2D([], [])], ["level sets"], loc="center")
        right.imshow(x, extent=(-1, 1, -1, 1))
        right.legend([plt.Line2D([], [])], ["an image"], loc="upper right")
        problems = legend_problems(fig)
        plt.close(fig)
    assert any("data points" in p for p in problems)
    assert any("image" in p for p in problems)


def test_text_check_catches_a_title_running_into_the_next_panel_and_a_legend_on_a_label():
    with mpl.rc_context():
        plot.use_style("lecture")
        fig, (left, right) = plt.subplots(1, 2, figsize=(6, 3), layout="none")
        left.set_title("a title far too long for its narrow panel, over the next one")
        right.set_title("the next title")
        right.set_ylabel("a label")
        clear = text_collisions(fig)
        left.legend([plt.Line2D([], [])], ["legend"], loc="center left",
                    bbox_to_anchor=(1.0, 0.5))
        problems = text_collisions(fig)
        plt.close(fig)
    assert any("runs into 'the next title'" in p for p in clear)
    assert any("a legend runs into" in p for p in problems)

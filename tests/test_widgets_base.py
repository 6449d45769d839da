"""The widget shell: a persistent view repaints only what moved, yet shows exactly what a fresh
view shows for the same slider values, whatever it showed before."""

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from coursekit.widgets import base, momentum, one_dimension, ravine

matplotlib.use("Agg")

# For each view: slider values, and a history of other values shown after them (some with
# another static layer: other steps, the Nesterov toggle, another function) before they return.
CASES = {
    "ravine": (ravine.RavineView, {"lr": 1.6, "condition_number": 50.0, "rotation_degrees": 10.0},
               [{"lr": 2.5}, {"steps": 20}, {"condition_number": 1e4, "rotation_degrees": 80}]),
    "momentum": (momentum.MomentumView, {"lr": 0.3, "beta": 0.9},
                 [{"lr": 5.0, "beta": 0.999}, {"nesterov": True}, {"condition_number": 10.0}]),
    "one_dimension": (one_dimension.OneDimensionView, {"lr": 0.7, "c": 2.0},
                      [{"lr": 10.0, "c": 10.0}, {"function": "double well"},
                       {"function": "log cosh", "theta0": 1e-4}, {"c": 0.1}]),
}


def pixels(canvas) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("name", CASES)
def test_a_view_repainted_after_other_values_matches_a_fresh_view_pixel_for_pixel(name):
    view_class, shown, history = CASES[name]
    view = view_class()
    for params in [shown, *history, shown]:
        info = view.update(**params)
        fresh = view_class()
        fresh_info = fresh.update(**params)
        np.testing.assert_array_equal(pixels(view.canvas), pixels(fresh.canvas), err_msg=params)
        assert info["regime"] == fresh_info["regime"]
        assert info["steps"] == fresh_info["steps"]


@pytest.mark.parametrize("name", CASES)
def test_the_layered_drawing_differs_from_a_full_draw_only_in_stacking_order(name):
    # Dynamic artists are drawn above the static layer; a full draw interleaves them by
    # z-order (e.g. under a legend), which moves a few hundred pixels, not the picture.
    view_class, shown, _ = CASES[name]
    view = view_class()
    view.update(**shown)
    layered = pixels(view.canvas).astype(int)
    FigureCanvasAgg.draw(view.canvas)  # the ordinary full draw, as savefig does
    everything = np.asarray(view.canvas.buffer_rgba()).astype(int)
    changed = np.abs(layered - everything).max(axis=-1) > 8
    assert changed.mean() < 0.005
    assert layered.shape == everything.shape


def test_the_static_layer_is_redrawn_for_a_new_key_and_reused_for_a_known_one():
    fig = Figure(figsize=(2, 1))
    ax = fig.add_subplot()
    canvas = base.LayeredCanvas(fig)
    (line,) = ax.plot([0, 1], [0, 1])
    canvas.dynamic = [line]
    drawn = []
    original = fig.draw
    fig.draw = lambda renderer: (drawn.append(1), original(renderer))
    canvas.static_key = "a"
    canvas.draw()
    line.set_ydata([1, 0])
    canvas.draw()
    assert len(drawn) == 1  # the line moved, the static layer did not
    canvas.static_key = "b"
    canvas.draw()
    canvas.static_key = "a"
    canvas.draw()
    assert len(drawn) == 2
    assert line.get_visible()


def test_render_reuses_one_view_until_the_matplotlib_style_changes():
    first = ravine.render().figure
    assert ravine.render(lr=2.0).figure is first
    with matplotlib.rc_context({"lines.linewidth": 4.0}):
        styled = ravine.render().figure
        assert styled is not first
        assert styled.axes[0].lines[0].get_linewidth() != 4.0  # level sets: lw 0.7
        assert styled.axes[1].lines[0].get_linewidth() == 1.0
        assert styled.axes[2].lines[0].get_linewidth() == 4.0  # |1 − αλmin|: the style's
    assert ravine.render().figure is not styled  # back to the old style: built anew


def test_a_views_png_has_the_canvas_size_and_changes_when_a_slider_moves():
    view = one_dimension.OneDimensionView()
    view.update(lr=0.2)
    png = view.canvas.to_png()
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.size == view.canvas.get_width_height(physical=True)
    before = np.asarray(image)
    view.update(lr=1.5)
    after = np.asarray(Image.open(io.BytesIO(view.canvas.to_png())))
    assert np.any(before != after)


@pytest.mark.parametrize("name", CASES)
def test_printing_twice_as_the_inline_backend_does_keeps_the_layout_and_the_pixels(name):
    # A figure without a layout engine gets rcParams' (constrained) one after the first print
    # with bbox_inches="tight"; a view's figure must keep its fixed layout.
    view_class, shown, _ = CASES[name]
    with matplotlib.rc_context({"figure.constrained_layout.use": True}):
        view = view_class()
        view.update(**shown)
        expected = pixels(view.canvas)
        positions = [ax.get_position().bounds for ax in view.figure.axes]
        for _ in range(2):
            view.figure.savefig(io.BytesIO(), format="png", bbox_inches="tight")
        view.update(**shown)
        assert [ax.get_position().bounds for ax in view.figure.axes] == positions
        np.testing.assert_array_equal(pixels(view.canvas), expected)


@pytest.mark.parametrize("module", ["one_dimension", "ravine", "momentum", "race", "init_scale",
                                    "damped_newton"])
def test_every_control_label_shows_in_full(module):
    """ipywidgets cuts a description at ~80 px ("momentu…") unless its width is "initial"."""
    import importlib

    import ipywidgets

    box = importlib.import_module(f"coursekit.widgets.{module}").explorer()
    controls = [w for w in box.children[0].children if isinstance(w, ipywidgets.DOMWidget)]
    assert controls
    for control in controls:
        if getattr(control, "description", ""):
            assert control.style.description_width == "initial", control.description


def test_display_figure_shows_the_views_png_with_a_generated_alt_text(monkeypatch):
    import base64
    import html
    import re

    from coursekit import plot
    from coursekit.widgets import base, ravine

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    view = ravine.RavineView()
    figure = view.render(lr=0.5).figure
    base.display_figure(figure)
    (out,) = shown
    match = re.fullmatch(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)">', out.data)
    assert match, out.data[:200]
    assert base64.b64decode(match.group(1)) == view.canvas.to_png()
    alt = html.unescape(match.group(2))
    assert alt == plot.describe_figure(figure) and "learning rate α" in alt

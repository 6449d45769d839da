"""The damping widget of lesson 11: regimes over the slider's range, and the saddle's math."""

import ipywidgets
import matplotlib
import numpy as np
import pytest

from coursekit.landscapes import Himmelblau
from coursekit.widgets import damped_newton

matplotlib.use("Agg")

LOW, HIGH = damped_newton.SLIDER_RANGES["damping"]
SADDLE = Himmelblau().critical_points["saddle"][0]
MINIMA = Himmelblau().critical_points["minimum"]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("damping", np.geomspace(LOW, HIGH, 13))
def test_render_over_the_slider_range_is_finite_and_labelled(damping):
    info = damped_newton.render(damping).info
    assert info["regime"] in {"reaches saddle", "reaches minimum", "reaches maximum",
                              "diverged", "still moving"}
    assert np.all(np.isfinite(info["xlim"])) and np.all(np.isfinite(info["ylim"]))
    assert np.all(np.isfinite(info["end"]))
    assert (info["diverged"] is None) == (info["regime"] != "diverged")


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("damping", [LOW, 1e-2, 1.0, 5.0])
def test_small_damping_converges_to_the_saddle(damping):
    info = damped_newton.render(damping).info
    assert info["regime"] == "reaches saddle"
    np.testing.assert_allclose(info["end"], SADDLE, atol=1e-8)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("damping", [40.0, HIGH])
def test_large_damping_slides_off_the_saddle_to_a_minimum(damping):
    info = damped_newton.render(damping).info
    assert info["regime"] == "reaches minimum"
    assert np.min(np.linalg.norm(MINIMA - info["end"], axis=1)) < 1e-3


def test_large_damping_steps_like_gradient_descent_with_rate_one_over_lambda():
    f = Himmelblau()
    x0 = np.array(damped_newton.START)
    path = damped_newton.damped_newton_path(1e4, x0, steps=1)
    gd_step = -f.grad(x0) / 1e4
    # (H + λI)⁻¹ = I/λ − H/λ² + …: the relative gap is at most ‖H‖/λ.
    gap = np.linalg.norm(path.points[1] - x0 - gd_step) / np.linalg.norm(gd_step)
    assert gap <= np.linalg.norm(f.hessian(x0), 2) / 1e4


def test_one_step_near_the_saddle_scales_each_eigendirection_by_lambda_over_lambda_plus_h():
    # Linearization: e_{k+1} = (I - (H + λI)^{-1} H) e_k = λ (H + λI)^{-1} e_k.
    f = Himmelblau()
    h, vectors = np.linalg.eigh(f.hessian(SADDLE))
    for damping in [0.5, 8.0, 50.0]:
        for i in range(2):
            delta = 1e-6 * vectors[:, i]
            path = damped_newton.damped_newton_path(damping, SADDLE + delta, steps=1)
            new_error = (path.points[1] - SADDLE) @ vectors[:, i]
            np.testing.assert_allclose(new_error / 1e-6, damping / (damping + h[i]), rtol=1e-4)


def test_threshold_is_half_the_negative_curvature_and_separates_attraction_from_escape():
    threshold = damped_newton.saddle_threshold()
    h_minus = np.linalg.eigvalsh(Himmelblau().hessian(SADDLE))[0]
    assert threshold == pytest.approx(-h_minus / 2)
    h, vectors = np.linalg.eigh(Himmelblau().hessian(SADDLE))
    near = SADDLE + 1e-4 * vectors[:, 0]
    below = damped_newton.damped_newton_path(0.9 * threshold, near, steps=200)
    above = damped_newton.damped_newton_path(1.1 * threshold, near, steps=200)
    assert np.linalg.norm(below.final - SADDLE) < 1e-9
    assert np.linalg.norm(above.final - SADDLE) > 1e-1
    factors = damped_newton.saddle_factors([0.9 * threshold, 1.1 * threshold])
    assert factors[0, 0] < 1 < factors[1, 0]


def test_negative_or_nan_damping_is_refused_with_its_name():
    for bad in [-1.0, float("nan")]:
        with pytest.raises(ValueError, match="damping"):
            damped_newton.render(bad)


def test_explorer_has_a_log_slider_over_the_declared_range():
    box = damped_newton.explorer()
    sliders = [w for w in box.children[0].children if isinstance(w, ipywidgets.FloatLogSlider)]
    assert len(sliders) == 1
    assert 10 ** sliders[0].min == pytest.approx(LOW)
    assert 10 ** sliders[0].max == pytest.approx(HIGH)


def test_render_redraws_one_figure_with_the_new_path_markers_and_title():
    first = damped_newton.render(LOW)
    second = damped_newton.render(50.0)
    assert second.figure is first.figure
    view = damped_newton.shared_view(damped_newton.DampedNewtonView)
    expected = damped_newton.damped_newton_path(50.0).points
    np.testing.assert_array_equal(view.path.get_xydata(), expected)
    np.testing.assert_array_equal(view.end.get_xydata(), expected[-1:])
    assert second.info["regime"] in second.figure.axes[0].get_title()
    assert "50" in second.figure.axes[0].get_title()
    # the current-λ markers sit on the closed-form factors λ / (λ + hᵢ) at the saddle
    h = np.linalg.eigvalsh(Himmelblau().hessian(SADDLE))
    np.testing.assert_allclose(view.current.get_ydata(), np.abs(50.0 / (50.0 + h)))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("damping", [LOW, 1e-2, 5.0, HIGH])
def test_layered_and_full_draws_are_silent_and_the_same_size(damping):
    import io

    figure = damped_newton.render(damping).figure
    figure.canvas.draw()
    layered = np.asarray(figure.canvas.buffer_rgba()).shape
    png = io.BytesIO()
    figure.savefig(png, format="png")  # printing draws the whole figure the ordinary way
    figure.canvas.draw()
    assert np.asarray(figure.canvas.buffer_rgba()).shape == layered
    assert png.getvalue().startswith(b"\x89PNG")


def test_static_layer_is_drawn_once_across_slider_moves():
    view = damped_newton.DampedNewtonView()
    for damping in np.geomspace(LOW, HIGH, 5):
        view.render(damping=damping)
        view.canvas.draw()
    assert len(view.canvas._layers) == 1

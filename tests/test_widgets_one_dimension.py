"""Lesson 02's widget: the regime named for every slider position, checked against the closed
form θ_k = (1 − cα)^k θ_0 on the parabola and against fixed points of GD on the others."""

import ipywidgets
import matplotlib
import numpy as np
import pytest

from coursekit.widgets import one_dimension

matplotlib.use("Agg")

LR_LOW, LR_HIGH = one_dimension.SLIDER_RANGES["lr"]
C_LOW, C_HIGH = one_dimension.SLIDER_RANGES["c"]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("function", one_dimension.FUNCTIONS)
@pytest.mark.parametrize("lr", [LR_LOW, 0.7, LR_HIGH])
@pytest.mark.parametrize("c", [C_LOW, C_HIGH])
def test_render_over_the_slider_grid_names_a_regime_with_finite_axes(function, lr, c):
    rendered = one_dimension.render(lr, c, function)
    info = rendered.info
    assert info["regime"] in one_dimension.REGIMES
    assert info["regime"] in rendered.figure.get_suptitle()
    for key in ("xlim", "ylim", "landscape_xlim", "landscape_ylim"):
        assert np.all(np.isfinite(info[key])), key
    assert np.isfinite(info["final"])
    if info["diverged"] is not None:
        assert info["regime"] == "diverges" and info["steps"] == info["diverged"] - 1
    rendered.figure.canvas.draw()  # drawing must not warn either


@pytest.mark.parametrize(("ca", "regime"), [
    (0.5, "converges"), (1.0, "one step"), (1.5, "oscillates"), (2.0, "cycles"),
    (2.5, "diverges"),
])
@pytest.mark.parametrize("c", [0.25, 8.0])
def test_parabola_regime_and_final_point_follow_the_factor_one_minus_c_alpha(ca, regime, c):
    lr, theta0, steps = ca / c, 2.0, 30
    info = one_dimension.render(lr, c, "parabola", theta0=theta0, steps=steps).info
    assert info["regime"] == regime
    assert info["factor"] == pytest.approx(1 - ca)
    assert info["diverged"] is None  # 1.5^30 · 2 stays below the bound 1e6
    expected = (1 - ca) ** steps * theta0
    assert info["final"] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_parabola_far_beyond_two_over_c_leaves_the_bound_at_the_predicted_step():
    # |θ_k| = 2 · 9^k first exceeds 1e6 at k = 6 (2 · 9^6 ≈ 1.06e6).
    info = one_dimension.render(lr=5.0, c=2.0, function="parabola", theta0=2.0).info
    assert info["regime"] == "diverges" and info["diverged"] == 6
    assert "step 6" in one_dimension.render(5.0, 2.0).figure.get_suptitle()


def test_log_cosh_cycles_where_the_parabola_diverges_at_the_two_cycle_of_gd():
    # cα = 5 > 2: the minimum repels, but log cosh's gradient is bounded by c, so GD settles on
    # the 2-cycle θ ↔ −θ with θ − cα·tanh θ = −θ, i.e. 2θ = cα·tanh θ.
    lr, c = 0.5, 10.0
    assert one_dimension.render(lr, c, "parabola").info["regime"] == "diverges"
    info = one_dimension.render(lr, c, "log cosh", steps=200).info
    assert info["regime"] == "cycles" and info["diverged"] is None
    theta = abs(info["final"])
    assert 2 * theta == pytest.approx(c * lr * np.tanh(theta), rel=1e-9)


@pytest.mark.parametrize("function", ["log cosh", "double well"])
def test_non_quadratic_functions_have_curvature_c_at_their_minimum(function):
    f = one_dimension.landscape(function, 3.0)
    minimum = f.minima[:, 0]
    np.testing.assert_allclose(f.derivative(minimum, 1), 0.0, atol=1e-12)
    np.testing.assert_allclose(f.derivative(minimum, 2), 3.0, rtol=1e-12)


def test_near_the_minimum_non_quadratic_runs_shrink_at_the_local_rate():
    # From θ0 = θ* + 1e-4 the run is linear: e_30 ≈ (1 − cα)^30 e_0.
    for function, minimizer in [("log cosh", 0.0), ("double well", 1.0)]:
        lr, c = 0.3, 2.0
        info = one_dimension.render(lr, c, function, theta0=minimizer + 1e-4).info
        assert info["regime"] == "converges" and info["minimizer"] == pytest.approx(minimizer)
        assert info["final"] - minimizer == pytest.approx(0.4**30 * 1e-4, rel=1e-3)
        info = one_dimension.render(1.8 / c, c, function, theta0=minimizer + 1e-4).info
        assert info["regime"] == "oscillates"


def test_the_double_well_diverges_from_a_start_the_local_rule_calls_safe():
    # cα = 1.8 < 2, yet from θ0 = 2 the first step (f'(2) = 6) throws θ to −3.4, where the
    # quartic walls are steep: the run leaves the bound.
    info = one_dimension.render(0.9, 2.0, "double well", theta0=2.0).info
    assert info["regime"] == "diverges" and info["diverged"] is not None


def test_bad_arguments_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match="lr"):
        one_dimension.render(0.0, 1.0)
    with pytest.raises(ValueError, match="c must"):
        one_dimension.render(0.1, float("nan"))
    with pytest.raises(ValueError, match="function"):
        one_dimension.render(0.1, 1.0, "cubic")


def test_explorer_has_log_sliders_over_the_declared_ranges_and_a_function_menu():
    box = one_dimension.explorer()
    controls = box.children[0].children
    sliders = {w.description: w for w in controls if isinstance(w, ipywidgets.FloatLogSlider)}
    assert len(sliders) == 2
    lr, c = sliders["learning rate α"], sliders["curvature c"]
    assert (10**lr.min, 10**lr.max) == pytest.approx((LR_LOW, LR_HIGH))
    assert (10**c.min, 10**c.max) == pytest.approx((C_LOW, C_HIGH))
    menus = [w for w in controls if isinstance(w, ipywidgets.Dropdown)]
    assert len(menus) == 1 and tuple(menus[0].options) == one_dimension.FUNCTIONS

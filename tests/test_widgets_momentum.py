"""The momentum widget of lesson 05: regimes over the slider ranges, the rate map it draws."""

import ipywidgets
import matplotlib
import numpy as np
import pytest

from coursekit import quadratic as q
from coursekit.landscapes import Quadratic
from coursekit.optim import SGD, HeavyBall, run
from coursekit.widgets import momentum

matplotlib.use("Agg")

LR = momentum.SLIDER_RANGES["lr"]
BETA = momentum.SLIDER_RANGES["beta"]
# Every slider edge with both settings of the toggle, plus points inside.
GRID = [(lr, beta, nesterov) for lr in (LR[0], LR[1]) for beta in BETA
        for nesterov in (False, True)] + [(2.5, 0.9, True), (0.5, 0.5, False), (3.9, 0.999, False)]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("lr", "beta", "nesterov"), GRID)
def test_render_over_the_slider_edges_is_finite_labelled_and_silent(lr, beta, nesterov):
    info = momentum.render(lr, beta, nesterov).info
    assert info["regime"] == ("converges" if info["rate"] < 1 else "diverges")
    for key in ("xlim", "ylim", "loss_ylim", "map_xlim", "map_ylim"):
        assert np.all(np.isfinite(info[key]))
    assert np.isfinite(info["final_loss"])
    if info["rate"] > 1.05:  # clearly unstable: 120 steps carry |θ| past the 1e6 bound
        assert info["diverged"] is not None and info["steps"] == info["diverged"] - 1


@pytest.mark.filterwarnings("error")
def test_top_of_both_ranges_is_drawn_as_divergence_not_an_error():
    info = momentum.render(LR[1], BETA[1], True).info
    assert info["regime"] == "diverges"
    assert info["diverged"] is not None


def test_rate_map_pixels_are_the_spectral_radius_at_their_alpha_beta():
    # momentum_rate itself is checked against simulated runs in test_quadratic.py.
    log_lr, betas, rates = momentum.rate_map(100.0, True)
    lam = momentum.bowl(100.0).eigenvalues
    for i, j in [(0, 0), (40, 100), (120, 60), (159, 159)]:
        expected = q.momentum_rate(lam, 10 ** log_lr[j], betas[i], nesterov=True)
        assert rates[i, j] == pytest.approx(float(expected), rel=1e-12)


def test_slow_direction_of_a_heavy_ball_run_decays_at_the_maps_rate():
    lr, beta = 0.05, 0.5  # overdamped along λmin = 0.01: real roots, the slow one dominates
    info = momentum.render(lr, beta).info
    theta = run(HeavyBall(lr=lr, momentum=beta), Quadratic([[0.01]]), [1.0], 60).points[:, 0]
    assert theta[-1] / theta[-2] == pytest.approx(info["rate"], abs=1e-6)


def test_polyak_optimum_is_the_fastest_point_of_the_heavy_ball_map():
    log_lr, betas, rates = momentum.rate_map(100.0, False)
    info = momentum.render(1.0, 0.5).info
    assert info["optimal_rate"] == pytest.approx(9 / 11)  # (√100 − 1)/(√100 + 1)
    assert rates.min() >= info["optimal_rate"] - 1e-9
    i, j = np.unravel_index(np.argmin(rates), rates.shape)
    assert 10 ** log_lr[j] == pytest.approx(info["optimal_lr"], rel=0.1)
    assert betas[i] == pytest.approx(info["optimal_beta"], abs=0.02)


def test_polyak_optimum_beats_the_best_gradient_descent_on_the_loss_curve():
    best = momentum.render(3.3057851239669427, 0.669421487603306)
    plain = momentum.render(2 / 1.01, 0.0)  # β = 0 is GD; 2/(λmin + λmax) its best α
    assert best.info["final_loss"] < 1e-12 < plain.info["final_loss"]
    assert best.info["rate"] == pytest.approx(best.info["optimal_rate"], abs=1e-6)
    assert plain.info["rate"] == pytest.approx(q.optimal_gd_rate(100.0))


def test_raising_beta_lowers_the_largest_stable_lr_for_nesterov_and_raises_it_for_heavy_ball():
    heavy = momentum.render(0.5, 0.9, steps=5).info["stable_lr"]
    nesterov = momentum.render(0.5, 0.9, True, steps=5).info["stable_lr"]
    assert heavy == pytest.approx(3.8)  # 2(1 + β)/λmax, up from 2/λmax at β = 0
    assert nesterov == pytest.approx(3.8 / 2.8)  # (2 + 2β)/((1 + 2β) λmax), down from 2


def test_the_current_point_is_marked_on_the_map():
    rendered = momentum.render(0.2, 0.7)
    ax_map = rendered.figure.axes[2]
    marks = [(float(np.ravel(line.get_xdata())[0]), float(np.ravel(line.get_ydata())[0]))
             for line in ax_map.lines if line.get_label() == "current (α, β)"]
    assert marks == [pytest.approx((np.log10(0.2), 0.7))]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"lr": 0.0}, "lr"), ({"beta": 1.0}, "beta"), ({"beta": -0.1}, "beta"),
     ({"condition_number": 0.0}, "condition")],
)
def test_bad_values_raise_value_error_naming_them(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        momentum.render(**kwargs)


def test_explorer_has_alpha_beta_sliders_and_a_nesterov_toggle():
    box = momentum.explorer(condition_number=50.0)
    controls = {c.description: c for c in box.children[0].children}
    lr, beta = controls["learning rate α"], controls["momentum β"]
    assert isinstance(lr, ipywidgets.FloatLogSlider)
    assert (10 ** lr.min, 10 ** lr.max) == pytest.approx(LR)
    assert (beta.min, beta.max) == BETA
    assert isinstance(controls["Nesterov"], ipywidgets.Checkbox)


@pytest.mark.parametrize("lr", [LR[0], 0.5, 1.99, 2.0, 2.02, 3.0, LR[1]])
@pytest.mark.parametrize("kappa", [1.0, 100.0])
def test_gd_comparison_path_is_an_sgd_run_cut_at_the_same_step(lr, kappa):
    points, losses = momentum._gd_run(lr, kappa, momentum.STEPS)
    path = run(SGD(lr=lr), momentum.bowl(kappa), momentum.START, momentum.STEPS, bound=1e6)
    assert points.shape == path.points.shape
    np.testing.assert_allclose(points, path.points, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(losses, path.losses, rtol=1e-8, atol=1e-14)

"""The ravine widget of lesson 04: regimes over the slider ranges, and what it draws."""

import ipywidgets
import matplotlib
import numpy as np
import pytest

from coursekit.widgets import ravine

matplotlib.use("Agg")

LR = ravine.SLIDER_RANGES["lr"]
KAPPA = ravine.SLIDER_RANGES["condition_number"]
ANGLE = ravine.SLIDER_RANGES["rotation_degrees"]
# Every edge of every slider appears, each α edge with both κ edges; angles alternate.
GRID = [(lr, kappa, ANGLE[i % 2]) for lr in (LR[0], 1.5, 2.05, LR[1])
        for i, kappa in enumerate(KAPPA)] + [(0.3, 30.0, 45.0), (1.99, 30.0, ANGLE[1])]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("lr", "kappa", "angle"), GRID)
def test_render_over_the_slider_edges_is_finite_labelled_and_silent(lr, kappa, angle):
    info = ravine.render(lr, kappa, angle).info
    assert info["regime"] in {"decays", "oscillates", "diverges"}
    for key in ("xlim", "ylim", "error_ylim"):
        assert np.all(np.isfinite(info[key]))
    assert np.all(np.isfinite(info["errors"]))
    # λmax = 1, so the fast direction's regime follows αλmax = α alone.
    expected = "diverges" if lr > 2 else "oscillates" if lr > 1 else "decays"
    assert info["regimes"][1] == expected
    assert info["stable_lr"] == pytest.approx(2.0)


@pytest.mark.filterwarnings("error")
def test_top_of_the_lr_range_diverges_and_the_run_stops_at_the_bound():
    info = ravine.render(LR[1], 100.0, 45.0).info
    assert info["regime"] == "diverges"
    # |error| grows by |1 − 3| = 2 per step from ~1, so it passes 1e6 after about 20 steps.
    assert 15 <= info["diverged"] <= 25
    assert info["steps"] == info["diverged"] - 1


def test_measured_errors_follow_the_closed_form_factor_per_direction():
    info = ravine.render(0.7, 10.0, 20.0).info
    e = info["errors"]
    lam = info["eigenvalues"]
    np.testing.assert_allclose(lam, [0.1, 1.0])
    ratios = e[1:12] / e[:11]
    np.testing.assert_allclose(ratios, np.broadcast_to(1 - 0.7 * lam, ratios.shape), atol=1e-8)


@pytest.mark.parametrize("lr", [1.2, 1.8])
def test_oscillating_label_matches_sign_flips_of_the_fast_error(lr):
    info = ravine.render(lr, 10.0, 0.0).info
    fast = info["errors"][:20, 1]
    assert info["regimes"][1] == "oscillates"
    assert np.all(np.sign(fast[1:]) == -np.sign(fast[:-1]))
    assert np.all(np.diff(np.abs(fast)) < 0)


def test_condition_number_ten_thousand_leaves_the_slow_direction_almost_untouched():
    info = ravine.render(1.9, KAPPA[1], 30.0).info
    slow = info["errors"][:, 0]
    # At most 2/κ of the slow error goes per step: after 50 steps at least (1 − 2e-4)^50 stays.
    assert abs(slow[-1] / slow[0]) >= (1 - 2 / KAPPA[1]) ** 50


def test_the_stability_boundary_and_best_lr_are_drawn_on_the_factor_panel():
    rendered = ravine.render(0.5, 20.0, 30.0)
    factor_ax = rendered.figure.axes[2]
    vertical = {round(float(line.get_xdata()[0]), 6) for line in factor_ax.lines
                if len(set(np.atleast_1d(line.get_xdata()))) == 1}
    assert 2.0 in vertical  # 2/λmax
    assert round(2 / (1 / 20 + 1), 6) in vertical  # 2/(λmin + λmax)


def test_rotation_turns_the_eigenvectors_by_the_angle():
    f = ravine.ravine(10.0, 30.0)
    slow = f.eigenvectors[:, 0]
    angle = np.degrees(np.arctan2(slow[1], slow[0])) % 180
    assert angle == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"lr": -1.0}, "lr"), ({"lr": float("nan")}, "lr"), ({"condition_number": 0.5}, "condition"),
     ({"rotation_degrees": float("inf")}, "rotation")],
)
def test_bad_slider_values_raise_value_error_naming_them(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        ravine.render(**kwargs)


def test_explorer_builds_log_sliders_over_the_declared_ranges():
    box = ravine.explorer()
    assert isinstance(box, ipywidgets.VBox)
    sliders = {c.description: c for c in box.children[0].children}
    lr = sliders["learning rate α"]
    assert isinstance(lr, ipywidgets.FloatLogSlider)
    assert (10 ** lr.min, 10 ** lr.max) == pytest.approx(LR)
    kappa = sliders["condition number κ"]
    assert (10 ** kappa.min, 10 ** kappa.max) == pytest.approx(KAPPA)
    assert (sliders["rotation (°)"].min, sliders["rotation (°)"].max) == ANGLE


def test_rates_within_a_thousandth_of_one_are_labelled_by_their_gap():
    assert ravine.format_rate(1 - 1e-7) == "1 − 1e-07"
    assert ravine.format_rate(0.8181818) == "0.8182"
    assert ravine.format_rate(1.2) == "1.2"
    title = ravine.render(LR[0], KAPPA[1], 0.0).figure.axes[2].get_title()
    assert title == "rate max|1 − αλ| = 1 − 1e-07"  # 1 − αλmin = 1 − 1e-3 · 1e-4

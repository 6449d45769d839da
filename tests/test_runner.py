"""coursekit.optim.run against closed forms: GD on a quadratic, clean stops on divergence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from coursekit.landscapes import Quadratic, Rosenbrock
from coursekit.optim import SGD, Adam, HeavyBall, Trajectory, run


def test_gradient_descent_on_a_diagonal_quadratic_follows_the_closed_form():
    lam, lr, x0 = np.array([0.5, 2.0]), 0.3, np.array([1.0, -1.0])
    traj = run(SGD(lr=lr), Quadratic(np.diag(lam)), x0, steps=25)
    k = np.arange(26)[:, None]
    expected = (1 - lr * lam) ** k * x0  # x_k = (1 − αλ)ᵏ x₀, coordinate by coordinate
    np.testing.assert_allclose(traj.points, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(traj.losses, 0.5 * (expected**2 * lam).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(traj.grad_norms, np.linalg.norm(expected * lam, axis=1), rtol=1e-12)
    assert traj.diverged is None and traj.steps == 25
    np.testing.assert_array_equal(traj.final, traj.points[-1])


def test_too_large_a_step_stops_at_the_divergence_without_warnings():
    f = Quadratic(np.diag([1.0, 10.0]))  # GD diverges for lr > 2/λmax = 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(SGD(lr=0.25), f, np.array([1.0, 1.0]), steps=1000)
    # closed form x_k = (1 − αλ)ᵏ x₀; the run stops at the first k with |x_k| > 1e6 or f > 1e12
    k = np.arange(100)[:, None]
    xs = (1 - 0.25 * np.array([1.0, 10.0])) ** k
    escaped = (np.abs(xs).max(axis=1) > 1e6) | (0.5 * (xs**2 * [1.0, 10.0]).sum(axis=1) > 1e12)
    assert traj.diverged == int(np.argmax(escaped)) == 33
    assert traj.steps == traj.diverged - 1
    assert np.all(np.isfinite(traj.points)) and np.all(np.isfinite(traj.losses))


def test_overflow_to_inf_is_reported_as_divergence():
    traj = run(SGD(lr=1.0), Rosenbrock(), np.array([50.0, -50.0]), steps=50, bound=np.inf)
    assert traj.diverged is not None
    assert np.all(np.isfinite(traj.points))


def test_run_resets_the_optimizer_so_repeated_runs_are_identical():
    opt, f, x0 = HeavyBall(lr=0.01, momentum=0.9), Rosenbrock(), np.array([-1.0, 1.5])
    first = run(opt, f, x0, steps=30)
    np.testing.assert_array_equal(run(opt, f, x0, steps=30).points, first.points)


def test_a_custom_gradient_replaces_f_grad():
    f = Quadratic(np.eye(2))
    traj = run(SGD(lr=0.1), f, np.zeros(2), steps=3, grad=lambda x: np.ones(2))
    np.testing.assert_allclose(traj.points[-1], [-0.3, -0.3])


def test_run_accepts_integer_start_points_and_returns_a_trajectory():
    traj = run(Adam(lr=0.1), Quadratic(np.eye(2)), [1, 2], steps=5)
    assert isinstance(traj, Trajectory) and traj.points.dtype == np.float64


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="steps"):
        run(SGD(), Quadratic(np.eye(2)), np.zeros(2), steps=-1)
    with pytest.raises(ValueError, match="x0"):
        run(SGD(), Quadratic(np.eye(2)), np.array([np.nan, 0.0]), steps=3)

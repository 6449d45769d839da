"""coursekit.critical: the critical points Levenberg–Marquardt finds on a linear network are
exactly those of Baldi & Hornik's closed form, and the gradient and Hessian eigenvalues it
reports agree with finite differences of the loss."""

import copy

import numpy as np
import pytest

from coursekit import critical, nn
from coursekit.optim import SGD
from coursekit.train import fit

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y = X @ RNG.normal(size=(3, 3)) * [3.0, 1.5, 0.5] + 0.1 * RNG.normal(size=(20, 3))


def loss_at(model, theta, X, y):
    probe = copy.deepcopy(model)
    nn.vector_to_parameters(theta, probe)
    return nn.MSELoss().forward(probe.forward(X), y)


def test_linear_network_critical_points_match_baldi_hornik_closed_form():
    model = nn.MLP([3, 2, 3], activation="identity", seed=0)
    levels = critical.linear_network_critical_losses(X, Y, hidden=2)
    found = []
    for seed in range(8):
        start = np.random.default_rng(seed).normal(size=nn.count_parameters(model)) * 0.5
        point = critical.find_critical_point(model, nn.MSELoss(), X, Y, start, steps=60)
        if point.grad_norm < 1e-9:
            found.append(point.loss)
    assert len(found) >= 4
    gaps = [np.min(np.abs(levels - value)) for value in found]
    assert max(gaps) < 1e-9 * levels.max()


def test_global_minimum_of_linear_network_is_the_lowest_closed_form_level():
    model = nn.MLP([3, 2, 3], activation="identity", seed=0)
    # the least-squares fit truncated to rank 2 is the global minimum (Eckart–Young)
    least_squares = np.linalg.lstsq(np.c_[X, np.ones(20)], Y, rcond=None)[0]
    fitted = np.c_[X, np.ones(20)] @ least_squares
    U, s, Vt = np.linalg.svd(fitted - Y.mean(0), full_matrices=False)
    best = np.mean((Y - Y.mean(0) - (U[:, :2] * s[:2]) @ Vt[:2]) ** 2)
    assert critical.linear_network_critical_losses(X, Y, hidden=2)[0] == pytest.approx(best)
    fit(model, nn.MSELoss(), SGD(lr=0.02), X, Y, epochs=300, batch_size=20, verbose=False)
    point = critical.find_critical_point(model, nn.MSELoss(), X, Y, steps=100)
    assert point.grad_norm < 1e-9 and point.index == 0.0
    assert point.loss == pytest.approx(best, rel=1e-9)


def test_reported_gradient_and_eigenvalues_agree_with_finite_differences():
    model = nn.MLP([2, 3, 1], activation="tanh", seed=1)
    Xs, ys = RNG.normal(size=(12, 2)), RNG.normal(size=(12, 1))
    point = critical.find_critical_point(model, nn.MSELoss(), Xs, ys, steps=3)
    theta, h, P = point.theta, 1e-4, point.theta.size
    f = lambda t: loss_at(model, t, Xs, ys)  # noqa: E731
    E = np.eye(P) * h
    grad = np.array([(f(theta + e) - f(theta - e)) / (2 * h) for e in E])
    hess = np.array([[(f(theta + a + b) - f(theta + a - b) - f(theta - a + b)
                       + f(theta - a - b)) / (4 * h * h) for b in E] for a in E])
    assert np.linalg.norm(grad) == pytest.approx(point.grad_norm, rel=1e-5, abs=1e-8)
    np.testing.assert_allclose(np.linalg.eigvalsh((hess + hess.T) / 2), point.eigenvalues,
                               atol=1e-5)
    assert point.index == np.mean(point.eigenvalues < -1e-8 * np.abs(point.eigenvalues).max())


def test_hessian_index_ignores_zero_modes_and_rejects_bad_input():
    assert critical.hessian_index(np.array([-2.0, -1e-12, 0.0, 1.0])) == 0.25
    assert critical.hessian_index(np.array([-1.0, -1.0])) == 1.0
    with pytest.raises(ValueError, match="non-empty 1-D"):
        critical.hessian_index(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="damping"):
        critical.find_critical_point(nn.MLP([1, 1]), nn.MSELoss(), X[:, :1], Y[:, :1],
                                     damping=0.0)

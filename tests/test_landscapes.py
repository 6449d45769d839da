"""Landscapes: exact gradients and Hessians agree with torch.autograd; listed critical points
are critical; bad shapes are refused."""

import numpy as np
import pytest
import torch
from torch.autograd.functional import hessian as torch_hessian

from coursekit import landscapes as L

RNG = np.random.default_rng(0)
Q = np.linalg.qr(RNG.normal(size=(4, 4)))[0]

# Each landscape next to the same formula written in torch, for autograd to differentiate.
CASES = [
    (L.Rosenbrock(), lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2),
    (L.Rosenbrock(a=2.0, b=5.0), lambda x: (2 - x[0]) ** 2 + 5 * (x[1] - x[0] ** 2) ** 2),
    (L.Himmelblau(), lambda x: (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2),
    (L.Beale(), lambda x: (1.5 - x[0] + x[0] * x[1]) ** 2 + (2.25 - x[0] + x[0] * x[1] ** 2) ** 2
     + (2.625 - x[0] + x[0] * x[1] ** 3) ** 2),
    (L.Saddle(), lambda x: x[0] ** 2 - x[1] ** 2),
    (L.MonkeySaddle(), lambda x: x[0] ** 3 - 3 * x[0] * x[1] ** 2),
    (L.Rastrigin(dim=3), lambda x: 30 + torch.sum(x**2 - 10 * torch.cos(2 * torch.pi * x))),
    (L.Quadratic.from_eigenvalues([0.5, 20.0], angle=0.7, b=np.array([1.0, -2.0])),
     None),
    (L.Quadratic.from_eigenvalues([1.0, 2.0, 3.0, 40.0], Q), None),
    (L.Parabola(c=3.0), lambda x: 1.5 * x[0] ** 2),
    (L.DoubleWell(tilt=0.3), lambda x: x[0] ** 4 / 4 - x[0] ** 2 / 2 + 0.3 * x[0]),
    (L.LogCosh(), lambda x: torch.log(torch.cosh(x[0]))),
    (L.SineBowl(), lambda x: x[0] ** 2 / 2 + torch.sin(3 * x[0])),
]


def torch_formula(f, formula):
    if formula is not None:
        return formula
    A, b = torch.tensor(f.A), torch.tensor(f.b)
    return lambda x: 0.5 * x @ A @ x + b @ x


@pytest.mark.parametrize("f, formula", CASES, ids=[repr(c[0]) for c in CASES])
def test_value_gradient_hessian_match_torch_autograd(f, formula):
    formula = torch_formula(f, formula)
    points = RNG.uniform(-2, 2, size=(7, f.dim))
    for p in points:
        x = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        value = formula(x)
        (g,) = torch.autograd.grad(value, x)
        H = torch_hessian(formula, x.detach())
        np.testing.assert_allclose(f(p), value.item(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(f.grad(p), g.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(f.hessian(p), H.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("f, formula", CASES, ids=[repr(c[0]) for c in CASES])
def test_grid_evaluation_equals_pointwise(f, formula):
    grid = RNG.uniform(-2, 2, size=(3, 5, f.dim))
    assert f(grid).shape == (3, 5)
    assert f.grad(grid).shape == (3, 5, f.dim)
    assert f.hessian(grid).shape == (3, 5, f.dim, f.dim)
    np.testing.assert_allclose(f.hessian(grid)[1, 2], f.hessian(grid[1, 2]), rtol=1e-14)
    np.testing.assert_allclose(f.grad(grid)[2, 4], f.grad(grid[2, 4]), rtol=1e-14)


@pytest.mark.parametrize("f", [c[0] for c in CASES], ids=[repr(c[0]) for c in CASES])
def test_listed_critical_points_have_zero_gradient_and_the_right_curvature(f):
    assert f.critical_points, "every landscape lists its critical points"
    for kind, points in f.critical_points.items():
        for p in points:
            g = f.grad(p)
            assert np.linalg.norm(g) < 1e-10 * max(1.0, np.abs(f.hessian(p)).max()), (kind, p, g)
            eig = np.linalg.eigvalsh(f.hessian(p))
            if kind == "minimum":
                assert np.all(eig > 0) or isinstance(f, L.Rastrigin) and np.all(eig >= 0)
            elif kind == "maximum":
                assert np.all(eig < 0)
            elif kind == "saddle" and np.any(eig != 0):
                assert eig.min() < 0 < eig.max()


def test_himmelblau_minima_have_value_zero():
    f = L.Himmelblau()
    np.testing.assert_allclose(f(f.minima), 0.0, atol=1e-24)
    assert len(f.critical_points["saddle"]) == 4 and len(f.minima) == 4


def test_quadratic_from_eigenvalues_has_those_eigenvalues_and_condition_number():
    f = L.Quadratic.with_condition_number(1e4, angle=0.3, lambda_max=2.0)
    np.testing.assert_allclose(f.eigenvalues, [2e-4, 2.0], rtol=1e-12)
    assert f.condition_number == pytest.approx(1e4, rel=1e-10)
    u = f.eigenvectors[:, 0]
    np.testing.assert_allclose(abs(u @ [np.cos(0.3), np.sin(0.3)]), 1.0, rtol=1e-12)


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((4, 1)), 1.0])
def test_wrong_last_axis_names_expected_and_received_shape(bad):
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\).*got an array of shape"):
        L.Rosenbrock().grad(bad)


def test_integer_points_are_accepted_as_float():
    assert L.Rosenbrock()(np.array([1, 1])) == 0.0

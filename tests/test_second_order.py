"""coursekit.second_order against closed forms: Newton's one step on a quadratic, the Newton
maps of log cosh and the double well, the saddle x² − y², and conjugate gradients against
numpy.linalg.solve."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.landscapes import DoubleWell, LogCosh, Parabola, Quadratic, Rosenbrock, Saddle
from coursekit.optim.runner import Trajectory
from coursekit.second_order import (
    conjugate_gradient,
    damped_newton,
    newton,
    saddle_free_newton,
)

pytestmark = pytest.mark.filterwarnings("error")


def random_orthogonal(d: int, rng: np.random.Generator) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return Q


def spd_matrix(d: int, condition_number: float, rng: np.random.Generator) -> np.ndarray:
    """Q diag(λ) Qᵀ with λ from 1 to κ, geometrically spaced."""
    Q = random_orthogonal(d, rng)
    return Q @ np.diag(np.geomspace(1.0, condition_number, d)) @ Q.T


@settings(deadline=None, max_examples=40)
@given(log_kappa=st.floats(0.0, 8.0), d=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_newton_solves_a_quadratic_bowl_in_one_step_at_any_condition_number(log_kappa, d, seed):
    rng = np.random.default_rng(seed)
    kappa = 10.0**log_kappa
    lam = np.geomspace(1.0, kappa, d)
    Q = random_orthogonal(d, rng)
    b = rng.normal(size=d)
    f = Quadratic.from_eigenvalues(lam, Q, b=b)
    # The closed-form minimizer −A⁻¹b = −Q diag(1/λ) Qᵀ b.
    x_star = -Q @ ((Q.T @ b) / lam)
    trajectory = newton(f, rng.normal(size=d) * 10, steps=1)
    assert isinstance(trajectory, Trajectory) and trajectory.steps == 1
    scale = np.linalg.norm(x_star) + 10 * np.sqrt(d)
    np.testing.assert_allclose(trajectory.final, x_star, atol=1e-13 * kappa * scale)


@pytest.mark.parametrize("c", [0.01, 1.0, 250.0])
def test_newton_on_a_parabola_lands_on_zero_in_one_step(c):
    trajectory = newton(Parabola(c), np.array([3.7]), steps=3)
    np.testing.assert_allclose(trajectory.points[1:], 0.0, atol=4 * np.finfo(float).eps * 3.7)
    assert trajectory.arrived_at == "minimum" and trajectory.warning is None


def test_newton_iterates_on_log_cosh_follow_theta_minus_sinh_2theta_over_2():
    # f' = tanh θ, f'' = sech² θ, so θ − f'/f'' = θ − sinh θ cosh θ = θ − sinh(2θ)/2.
    for theta0 in (0.5, 1.0, 1.05):
        trajectory = newton(LogCosh(), np.array([theta0]), steps=4)
        theta, expected = theta0, [theta0]
        for _ in range(4):
            theta = theta - np.sinh(2 * theta) / 2
            expected.append(theta)
        np.testing.assert_allclose(trajectory.points[:, 0], expected, rtol=1e-12, atol=1e-300)


def test_newton_converges_on_log_cosh_near_zero_and_escapes_far_out_without_warnings():
    near = newton(LogCosh(), np.array([1.0]), steps=10)
    assert abs(near.final[0]) < 1e-12 and near.arrived_at == "minimum"
    far = newton(LogCosh(), np.array([1.2]), steps=30)
    assert far.diverged is not None and far.arrived_at is None
    assert np.all(np.abs(np.diff(np.abs(far.points[:, 0]))) > 0)  # |θ| grows every step
    assert "diverged" in far.warning or "singular" in far.warning


def test_newton_on_the_double_well_walks_to_the_maximum_and_says_so():
    # Newton's map for f' = θ³ − θ: θ − (θ³ − θ)/(3θ² − 1) = 2θ³/(3θ² − 1).
    trajectory = newton(DoubleWell(), np.array([0.3]), steps=8)
    assert trajectory.points[1, 0] == pytest.approx(2 * 0.3**3 / (3 * 0.3**2 - 1), rel=1e-14)
    assert abs(trajectory.final[0]) < 1e-12
    assert trajectory.arrived_at == "maximum"
    assert trajectory.negative_curvature[:2] == [0, 1]
    assert "maximum" in trajectory.warning


def test_newton_reports_a_singular_hessian_and_stops_there():
    # f = x² + y: H = diag(2, 0) everywhere, so H⁻¹g does not exist.
    f = _LinearInY()
    trajectory = newton(f, np.array([1.0, 1.0]), steps=5)
    assert trajectory.singular == 1 and trajectory.diverged == 1 and trajectory.steps == 0
    assert "singular" in trajectory.warning


class _LinearInY(Saddle):
    """f(x, y) = x² + y: a singular Hessian diag(2, 0) everywhere."""

    def _value(self, p):
        return p[..., 0] ** 2 + p[..., 1]

    def _grad(self, p):
        return np.stack([2 * p[..., 0], np.ones_like(p[..., 1])], -1)

    def _hessian(self, p):
        return super()._hessian(p) * np.array([[1.0, 0.0], [0.0, 0.0]])


def test_on_the_saddle_newton_jumps_onto_it_and_saddle_free_newton_escapes():
    f, x0 = Saddle(), np.array([1.0, 0.1])
    plain = newton(f, x0, steps=3)
    np.testing.assert_array_equal(plain.points[1], [0.0, 0.0])
    assert plain.arrived_at == "saddle" and "saddle" in plain.warning
    # |H| = 2I: x ← x − (2x, −2y)/2 = (0, 2y): x solved at once, y doubles every step.
    free = saddle_free_newton(f, x0, steps=6)
    np.testing.assert_allclose(free.points[1:, 0], 0.0)
    np.testing.assert_allclose(free.points[:, 1], 0.1 * 2.0 ** np.arange(7))
    assert np.all(np.diff(free.losses) < 0) and free.arrived_at is None
    assert free.negative_curvature == [] and free.warning is None  # |H| is positive definite


def test_saddle_free_newton_equals_newton_where_the_hessian_is_positive_definite():
    f = Quadratic(spd_matrix(4, 30.0, np.random.default_rng(1)), b=np.ones(4))
    x0 = np.arange(4.0)
    np.testing.assert_allclose(saddle_free_newton(f, x0, 2).points, newton(f, x0, 2).points,
                               atol=1e-12)


def test_damped_newton_step_solves_the_regularized_system_and_tends_to_gd():
    f, x0 = Rosenbrock(), np.array([-1.2, 1.0])
    for damping in (0.1, 10.0):
        step = damped_newton(f, x0, 1, damping).points[1]
        expected = x0 - np.linalg.solve(f.hessian(x0) + damping * np.eye(2), f.grad(x0))
        np.testing.assert_allclose(step, expected, rtol=1e-12)
    # For μ ≫ |H| the step is ≈ ∇f/μ: gradient descent with learning rate 1/μ.
    big = 1e9
    step = damped_newton(f, x0, 1, big).points[1]
    np.testing.assert_allclose(step, x0 - f.grad(x0) / big, rtol=1e-9)


def test_newton_divergence_stops_silently_like_the_runner():
    # On log cosh from far out, Newton overshoots ever more: the run stops at the bound.
    trajectory = newton(LogCosh(), np.array([1.5]), steps=50, bound=1e3)
    assert trajectory.diverged is not None
    assert np.all(np.abs(trajectory.points) <= 1e3)
    assert np.all(np.isfinite(trajectory.losses))


def test_damping_must_be_a_nonnegative_number():
    with pytest.raises(ValueError, match="damping"):
        damped_newton(Saddle(), np.zeros(2), 1, damping=-1.0)


@settings(deadline=None, max_examples=40)
@given(d=st.integers(1, 12), log_kappa=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_conjugate_gradient_is_exact_in_d_steps(d, log_kappa, seed):
    rng = np.random.default_rng(seed)
    A, b = spd_matrix(d, 10.0**log_kappa, rng), rng.normal(size=d)
    result = conjugate_gradient(A, b, steps=d, tol=0.0)
    assert result.steps <= d
    x_ref = np.linalg.solve(A, b)
    np.testing.assert_allclose(result.solution, x_ref, atol=1e-10 * max(1, np.abs(x_ref).max()))


@settings(deadline=None, max_examples=30)
@given(d=st.integers(1, 12), log_kappa=st.floats(1.0, 3.0), seed=st.integers(0, 2**16))
def test_conjugate_gradient_at_large_condition_number_needs_at_most_twice_d_steps(
        d, log_kappa, seed):
    # Rounding erodes the conjugacy of the directions (κ = 1000, d = 12 leaves errors ~1e-2
    # after d steps), but the iteration keeps converging: 2d steps reach 1e-10.
    rng = np.random.default_rng(seed)
    A, b = spd_matrix(d, 10.0**log_kappa, rng), rng.normal(size=d)
    result = conjugate_gradient(A, b, steps=2 * d, tol=1e-14)
    x_ref = np.linalg.solve(A, b)
    np.testing.assert_allclose(result.solution, x_ref, atol=1e-10 * max(1, np.abs(x_ref).max()))


@settings(deadline=None, max_examples=20)
@given(d=st.integers(2, 10), seed=st.integers(0, 2**16))
def test_conjugate_gradient_with_a_hessian_vector_product_matches_the_matrix_form(d, seed):
    rng = np.random.default_rng(seed)
    A, b, x0 = spd_matrix(d, 50.0, rng), rng.normal(size=d), rng.normal(size=d)
    calls = []

    def hvp(v):
        calls.append(1)
        return A @ v

    with_matrix = conjugate_gradient(A, b, x0=x0)
    with_hvp = conjugate_gradient(hvp, b, x0=x0)
    np.testing.assert_allclose(with_hvp.points, with_matrix.points, rtol=1e-12, atol=1e-12)
    assert len(calls) <= d + 1  # one product per step, plus r_0 = b − Ax_0


def test_conjugate_gradient_residuals_losses_and_orthogonality():
    rng = np.random.default_rng(3)
    d = 8
    A, b = spd_matrix(d, 20.0, rng), rng.normal(size=d)
    result = conjugate_gradient(A, b, x0=np.ones(d))
    X = result.points
    np.testing.assert_allclose(result.residuals, b - X @ A, atol=1e-10)
    np.testing.assert_allclose(result.losses,
                               0.5 * np.einsum("ki,ij,kj->k", X, A, X) - X @ b, atol=1e-10)
    # The residuals r_0 … r_{d−1} are mutually orthogonal.
    R = result.residuals[:d]
    R = R / np.linalg.norm(R, axis=1, keepdims=True)
    np.testing.assert_allclose(R @ R.T, np.eye(d), atol=1e-6)
    assert result.converged


def test_conjugate_gradient_needs_one_step_per_distinct_eigenvalue():
    rng = np.random.default_rng(4)
    Q = random_orthogonal(10, rng)
    A = Q @ np.diag([1.0] * 5 + [9.0] * 5) @ Q.T
    b = rng.normal(size=10)
    result = conjugate_gradient(A, b, steps=10, tol=1e-12)
    assert result.steps == 2 and result.converged
    np.testing.assert_allclose(result.solution, np.linalg.solve(A, b), atol=1e-12)


def test_conjugate_gradient_minimizes_a_quadratic_landscape_and_finds_a_newton_step():
    f = Quadratic(spd_matrix(5, 100.0, np.random.default_rng(5)), b=np.arange(5.0))
    np.testing.assert_allclose(conjugate_gradient(f.A, -f.b, steps=20).solution,
                               f.minimizer, atol=1e-10)
    # Hessian-free Newton step on Rosenbrock: H p = −g with H v by differences of gradients,
    # at a point where H is positive definite (κ ≈ 700).
    g = Rosenbrock()
    x, eps = np.array([0.9, 0.8]), 1e-6
    hvp = lambda v: (g.grad(x + eps * v) - g.grad(x - eps * v)) / (2 * eps)
    step = conjugate_gradient(hvp, -g.grad(x), steps=2).solution
    np.testing.assert_allclose(step, -np.linalg.solve(g.hessian(x), g.grad(x)), rtol=1e-5)


def test_conjugate_gradient_stops_on_negative_curvature():
    result = conjugate_gradient(np.diag([1.0, -1.0]), np.array([0.0, 1.0]))
    assert result.negative_curvature == 1 and not result.converged and result.steps == 0
    # Rosenbrock's Hessian at (0.5, 0.5) has eigenvalues ≈ −55 and 357.
    f, x = Rosenbrock(), np.array([0.5, 0.5])
    result = conjugate_gradient(f.hessian(x), -f.grad(x))
    assert result.negative_curvature == 2 and result.steps == 1


def test_conjugate_gradient_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"A must have shape \(3, 3\)"):
        conjugate_gradient(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="b must be a vector"):
        conjugate_gradient(np.eye(2), np.ones((2, 1)))
    with pytest.raises(ValueError, match="x0"):
        conjugate_gradient(np.eye(2), np.ones(2), x0=np.ones(3))
    with pytest.raises(ValueError, match="must return shape"):
        conjugate_gradient(lambda v: np.ones(5), np.ones(2))

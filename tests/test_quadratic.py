"""coursekit.quadratic's closed forms against simulated runs of coursekit.optim.

Every rate is *measured* on iterates produced by an optimizer, never recomputed from the
formula under test. Three measurements are used, each exact for the case it is applied to:

- GD along an eigenvector: the ratio e_{k+1}/e_k of successive errors.
- A sequence obeying a two-term recurrence e_{k+2} = t e_{k+1} − c e_k (any linear readout of
  heavy ball or Nesterov along one eigenvector): its Casoratian D_k = e_{k+1}² − e_k e_{k+2}
  shrinks by exactly c per step; when the roots are complex (or double) their common modulus
  is √c, so √(D_{k+1}/D_k) is the rate.
- In general: t and c fitted by least squares to the simulated sequence, then the largest
  root modulus of z² − t z + c (numpy's polynomial root finder).
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import quadratic as q
from coursekit.landscapes import Quadratic, Rosenbrock
from coursekit.optim import SGD, HeavyBall, run


def random_quadratic(eigenvalues, seed: int = 0) -> Quadratic:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues), len(eigenvalues))))
    return Quadratic.from_eigenvalues(eigenvalues, Q, b=rng.normal(size=len(eigenvalues)))


def eigen_errors(f: Quadratic, opt, x0, steps: int) -> np.ndarray:
    """Run ``opt`` on ``f`` and return the error along each eigenvector: (steps + 1, d)."""
    traj = run(opt, f, x0, steps)
    assert traj.diverged is None
    return q.eigen_coordinates(f, traj.points)


def casoratian_rate(e: np.ndarray) -> np.ndarray:
    """√(D_{k+1}/D_k) with D_k = e_{k+1}² − e_k e_{k+2} (exact rate for complex/double roots)."""
    D = e[1:-1] ** 2 - e[:-2] * e[2:]
    return np.sqrt(D[1:] / D[:-1])


def fitted_rate(e: np.ndarray) -> float:
    """Fit e_{k+2} = t e_{k+1} − c e_k by least squares (rows normalized), return max |root|."""
    rows = np.stack([e[1:-1], -e[:-2]], -1)
    scale = np.abs(rows).max(axis=1)
    keep = scale > 1e-250
    (t, c), *_ = np.linalg.lstsq(rows[keep] / scale[keep, None], e[2:][keep] / scale[keep],
                                 rcond=None)
    return float(np.max(np.abs(np.roots([1.0, -t, c]))))


# ---------------------------------------------------------------- gradient descent


@settings(max_examples=20, deadline=None)
@given(
    eigenvalues=st.lists(st.floats(0.05, 10.0), min_size=2, max_size=4),
    fraction=st.floats(0.05, 0.95),
    seed=st.integers(0, 10_000),
)
def test_gd_iterates_closed_form_matches_sgd_run(eigenvalues, fraction, seed):
    f = random_quadratic(eigenvalues, seed)
    lr = fraction * q.stable_lr_bound(f)
    x0 = np.random.default_rng(seed + 1).normal(size=f.dim)
    traj = run(SGD(lr=lr), f, x0, 30)
    np.testing.assert_allclose(traj.points, q.gd_iterates(f, x0, lr, 30), rtol=1e-9, atol=1e-12)


def test_gd_error_along_each_eigenvector_shrinks_by_one_minus_lr_lambda():
    f = random_quadratic([0.3, 1.0, 2.5, 4.0], seed=3)
    lr = 0.45  # αλ = 0.135, 0.45, 1.125, 1.8: two decaying and two oscillating directions
    e = eigen_errors(f, SGD(lr=lr), np.ones(4), 25)
    measured = e[1:] / e[:-1]
    above_roundoff = np.abs(e[:-1]) > 1e-6  # the fast directions reach round-off early
    expected = np.broadcast_to(q.gd_factors(f, lr), measured.shape)
    np.testing.assert_allclose(measured[above_roundoff], expected[above_roundoff], atol=1e-6)
    assert above_roundoff[:, 2].sum() >= 5
    assert q.gd_regimes(f, lr) == ("decays", "decays", "oscillates", "oscillates")


@pytest.mark.parametrize(
    ("lr", "expected"),
    [(0.1, "decays"), (1.0, "decays"), (1.5, "oscillates"), (2.0, "oscillates"),
     (2.1, "diverges")],
)
def test_gd_regime_label_matches_the_simulated_sequence(lr, expected):
    f = Quadratic([[1.0]])
    e = run(SGD(lr=lr), f, [1.0], 20).points[:, 0]
    flips = np.any(np.sign(e[1:]) * np.sign(e[:-1]) < 0)
    grows = abs(e[-1]) > abs(e[0])
    observed = "diverges" if grows else "oscillates" if flips else "decays"
    assert q.gd_regimes(f, lr) == (observed,) == (expected,)


def test_gd_regimes_name_stalls_and_negative_curvature():
    assert q.gd_regimes([0.0, -1.0, 1.0], 0.5) == ("stalls", "diverges", "decays")


def test_gd_converges_just_below_two_over_lambda_max_and_diverges_just_above():
    f = random_quadratic([0.5, 4.0], seed=1)
    bound = q.stable_lr_bound(f)
    assert bound == pytest.approx(0.5)
    below = run(SGD(lr=0.99 * bound), f, np.ones(2), 600)
    above = run(SGD(lr=1.01 * bound), f, np.ones(2), 600, bound=1e3)
    assert below.diverged is None
    assert np.linalg.norm(below.final - f.minimizer) < 1e-4
    assert above.diverged is not None


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1e4])
def test_best_fixed_lr_measured_rate_is_kappa_minus_one_over_kappa_plus_one(kappa):
    f = Quadratic.with_condition_number(kappa, angle=0.3, lambda_max=2.0)
    lr = q.optimal_lr(f)
    assert lr == pytest.approx(2 / (2 / kappa + 2))
    # Both eigendirections shrink by the same |1 − αλ|, so the error norm does too, each step.
    err = np.linalg.norm(q.eigen_coordinates(f, run(SGD(lr=lr), f, [1.0, -0.7], 40).points),
                         axis=1)
    measured = err[1:] / err[:-1]
    np.testing.assert_allclose(measured, q.optimal_gd_rate(kappa), atol=1e-6)
    assert q.gd_rate(f, lr) == pytest.approx(q.optimal_gd_rate(kappa), abs=1e-12)


def test_any_other_fixed_lr_is_slower_than_the_best_one():
    lam = np.array([0.2, 1.0, 3.0])
    best = q.optimal_lr(lam)
    others = best * np.array([0.5, 0.9, 0.99, 1.01, 1.1, 1.3])
    assert np.all(q.gd_rate(lam, others) > q.gd_rate(lam, best))


def test_progress_along_lambda_min_is_bounded_by_two_over_kappa_when_stable():
    f = Quadratic.with_condition_number(50.0)
    for fraction in [0.2, 0.6, 0.999]:
        lr = fraction * q.stable_lr_bound(f)
        e = eigen_errors(f, SGD(lr=lr), [1.0, 1.0], 5)[:, 0]  # column 0: λmin
        removed = 1 - e[1:] / e[:-1]
        assert np.all(removed < 2 / f.condition_number + 1e-12)


# ---------------------------------------------------------------- heavy ball and Nesterov


@pytest.mark.parametrize("kappa", [4.0, 100.0, 1e4])
def test_optimal_heavy_ball_measured_rate_is_sqrt_kappa_formula(kappa):
    lam = np.geomspace(1.0, kappa, 5) * 0.3  # λmin, λmax and three in between
    f = random_quadratic(lam, seed=int(kappa))
    lr, beta = q.optimal_momentum(f)
    root = np.sqrt(kappa)
    assert lr == pytest.approx((2 / (np.sqrt(lam[-1]) + np.sqrt(lam[0]))) ** 2)
    assert beta == pytest.approx(((root - 1) / (root + 1)) ** 2)
    rate = q.optimal_momentum_rate(kappa)
    steps = min(30, int(np.log(1e-4) / np.log(rate)))  # errors stay far above round-off
    e = eigen_errors(f, HeavyBall(lr=lr, momentum=beta), np.ones(5), steps)
    for i in range(5):
        np.testing.assert_allclose(casoratian_rate(e[:, i]), rate, atol=1e-6)
    # Interior directions oscillate (complex roots), so √c is their rate, not a lucky identity.
    assert np.any(np.sign(e[1:, 2]) != np.sign(e[:-1, 2]))
    assert q.momentum_rate(f, lr, beta) == pytest.approx(q.optimal_momentum_rate(kappa), abs=1e-6)


def test_optimal_momentum_beats_every_nearby_alpha_beta():
    lam = [0.01, 1.0]
    lr, beta = q.optimal_momentum(lam)
    A, B = np.meshgrid(lr * np.linspace(0.8, 1.2, 21), beta + np.linspace(-0.05, 0.05, 21))
    assert q.momentum_rate(lam, A, B).min() >= q.momentum_rate(lam, lr, beta) - 1e-6


GRID = [(lr, beta) for lr in (0.05, 0.5, 1.2, 2.5, 3.5) for beta in (0.1, 0.5, 0.9, 0.99)]


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize(("lr", "beta"), GRID)
def test_momentum_rate_map_matches_rate_fitted_to_simulated_run(lr, beta, nesterov):
    lam = np.array([0.2, 1.0])
    # One run per eigenvalue: in a rotated run a diverging direction's round-off would swamp
    # the other's tiny error. Along an eigenvector the iterates are exactly these 1D runs.
    opt = SGD(lr=lr, momentum=beta, nesterov=nesterov)
    e = [run(opt, Quadratic([[value]]), [1.0], 40, bound=1e12).points[:, 0] for value in lam]
    measured = max(fitted_rate(sequence) for sequence in e)
    assert measured == pytest.approx(float(q.momentum_rate(lam, lr, beta, nesterov)), abs=1e-6)


def test_momentum_rate_is_the_asymptotic_ratio_of_an_overdamped_run():
    lam, lr, beta = 1.0, 0.05, 0.3  # real roots ≈ 0.941 and 0.309: e_{k+1}/e_k → larger one
    e = run(HeavyBall(lr=lr, momentum=beta), Quadratic([[lam]]), [1.0], 60).points[:, 0]
    roots = q.momentum_roots(lam, lr, beta)
    assert np.all(roots.imag == 0)
    assert e[-1] / e[-2] == pytest.approx(float(q.momentum_rate([lam], lr, beta)), abs=1e-6)


def test_momentum_rate_map_is_vectorized_over_an_alpha_beta_grid():
    A, B = np.meshgrid(np.geomspace(1e-3, 5, 7), np.linspace(0, 0.999, 3))
    rates = q.momentum_rate([0.1, 1.0], A, B)
    assert rates.shape == (3, 7)
    assert rates[1, 4] == q.momentum_rate([0.1, 1.0], A[1, 4], B[1, 4])


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matrix_eigenvalues_are_its_roots(nesterov):
    lam, lr, beta = np.meshgrid([0.1, 1.0, 3.0], [0.01, 0.7, 2.0], [0.0, 0.5, 0.99])
    roots = q.momentum_roots(lam, lr, beta, nesterov)
    eig = np.linalg.eigvals(q.momentum_matrix(lam, lr, beta, nesterov))
    np.testing.assert_allclose(np.sort_complex(roots.reshape(-1, 2)),
                               np.sort_complex(eig.reshape(-1, 2)), atol=1e-7)


def test_momentum_matrix_advances_the_simulated_heavy_ball_state():
    lam, lr, beta = 0.7, 0.4, 0.8
    theta = run(HeavyBall(lr=lr, momentum=beta), Quadratic([[lam]]), [1.0], 20).points[:, 0]
    state = np.stack([theta[1:], np.diff(theta)], -1)  # (θ_k, v_k) with v_k = θ_k − θ_{k−1}
    M = q.momentum_matrix(lam, lr, beta)
    np.testing.assert_allclose(state[1:], state[:-1] @ M.T, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_momentum_stable_lr_bound_separates_convergence_from_divergence(beta, nesterov):
    lam = [0.3, 2.0]
    bound = q.momentum_stable_lr_bound(lam, beta, nesterov)
    f = Quadratic.from_eigenvalues(lam, 0.2)
    runs = {}
    for side, lr in (("below", 0.97 * bound), ("above", 1.03 * bound)):
        opt = SGD(lr=lr, momentum=beta, nesterov=nesterov) if beta else SGD(lr=lr)
        runs[side] = run(opt, f, [1.0, 1.0], 600, bound=1e4)
    assert runs["below"].diverged is None and runs["above"].diverged is not None
    assert np.linalg.norm(runs["below"].final) < 1e-2


@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_heavy_ball_velocity_on_a_plane_reaches_terminal_velocity(beta):
    g = np.array([0.3, -1.2])
    plane = Quadratic(np.zeros((2, 2)), b=g)  # f(θ) = gᵀθ, gradient g everywhere
    lr = 0.01
    for opt in (HeavyBall(lr=lr, momentum=beta), SGD(lr=lr, momentum=beta)):
        theta = run(opt, plane, np.zeros(2), 400, bound=1e9).points  # β^400 < 1e-18
        np.testing.assert_allclose(theta[-1] - theta[-2], -q.terminal_velocity(lr, beta, g),
                                   rtol=0, atol=1e-12)


# ---------------------------------------------------------------- the descent test


def test_predicted_decrease_is_exact_on_a_quadratic_and_the_test_matches_the_loss():
    f = random_quadratic([0.5, 2.0, 7.0], seed=5)
    x = np.array([0.4, -1.0, 2.0])
    g, H = f.grad(x), f.hessian(x)
    flip = q.largest_descent_step(g, H)
    for eps in flip * np.array([0.01, 0.3, 0.5, 0.9, 1.1, 2.0]):
        actual = f(x) - f(x - eps * g)
        assert q.predicted_decrease(g, H, eps) == pytest.approx(actual, rel=1e-9, abs=1e-12)
        assert q.lowers_loss(g, H, eps) == (actual > 0) == (eps < flip)
    assert f(x - flip * g) == pytest.approx(f(x), rel=1e-12)


def test_predicted_decrease_is_second_order_accurate_on_rosenbrock():
    f, x = Rosenbrock(), np.array([-0.5, 0.8])
    g, H = f.grad(x), f.hessian(x)
    errors = [abs(f(x) - f(x - eps * g) - q.predicted_decrease(g, H, eps))
              for eps in (1e-3, 5e-4)]
    assert errors[0] / errors[1] == pytest.approx(8.0, rel=0.05)  # O(ε³)


def test_negative_curvature_means_every_step_descends():
    g, H = np.array([1.0, 0.0]), np.diag([-2.0, 1.0])
    assert q.largest_descent_step(g, H) == float("inf")
    assert q.lowers_loss(g, H, 100.0)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: q.optimal_lr([-1.0, 2.0]), "eigenvalues must be positive"),
        (lambda: q.stable_lr_bound(np.ones((2, 2))), "1D array"),
        (lambda: q.gd_factors([1.0], -0.1), "lr must be"),
        (lambda: q.momentum_rate([1.0], 0.1, 1.0), "beta must lie in"),
        (lambda: q.optimal_gd_rate(0.5), "condition_number"),
        (lambda: q.terminal_velocity(0.1, 1.2, [1.0]), "beta"),
        (lambda: q.predicted_decrease([1.0, 2.0], np.eye(3), 0.1), "(2,) and (3, 3)"),
        (lambda: q.gd_iterates(Quadratic(np.eye(2)), [1.0, 2.0, 3.0], 0.1, 3), "x0 must"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        call()

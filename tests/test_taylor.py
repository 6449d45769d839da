"""coursekit.taylor against closed forms: exact polynomial remainders, hand-derived Taylor
coefficients, and the textbook critical points."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.landscapes import (
    DoubleWell,
    Himmelblau,
    LogCosh,
    MonkeySaddle,
    Parabola,
    Quadratic,
    Rosenbrock,
    Saddle,
    SineBowl,
)
from coursekit.taylor import classify_critical_point, second_order_model, taylor_polynomial

reals = st.floats(-2.0, 2.0)


@settings(deadline=None, max_examples=40)
@given(t0=reals, t=reals, tilt=st.floats(-0.5, 0.5))
def test_cubic_taylor_of_the_quartic_double_well_misses_exactly_the_quartic_term(t0, t, tilt):
    # f(θ) = θ⁴/4 − θ²/2 + tilt·θ has f'''' = 6, so f − p₃ = 6/4! (t − t0)⁴ exactly.
    f = DoubleWell(tilt)
    p3 = taylor_polynomial(f, t0, 3)
    assert p3.order == 3
    assert f.derivative(t) - p3(t) == pytest.approx((t - t0) ** 4 / 4, abs=1e-12)


@settings(deadline=None, max_examples=30)
@given(t0=reals, tilt=st.floats(-0.5, 0.5))
def test_taylor_coefficients_of_the_double_well_match_numpys_polynomial_shift(t0, tilt):
    # Re-expanding the polynomial about t0 by composition gives the Taylor coefficients.
    poly = np.polynomial.Polynomial([0.0, tilt, -0.5, 0.0, 0.25])
    shifted = poly(np.polynomial.Polynomial([t0, 1.0]))
    p3 = taylor_polynomial(DoubleWell(tilt), t0, 3)
    np.testing.assert_allclose(p3.coefficients, shifted.coef[:4], atol=1e-12)


@pytest.mark.parametrize("t0", [-1.3, 0.0, 0.4, 2.1])
def test_taylor_polynomials_of_the_sine_bowl_match_hand_derived_coefficients(t0):
    # f = t²/2 + sin 3t: f' = t + 3cos 3t, f'' = 1 − 9 sin 3t, f''' = −27 cos 3t.
    s, c = np.sin(3 * t0), np.cos(3 * t0)
    expected = [t0**2 / 2 + s, t0 + 3 * c, (1 - 9 * s) / 2, -27 * c / 6]
    t = np.linspace(t0 - 1, t0 + 1, 7)
    for order in (1, 2, 3):
        p = taylor_polynomial(SineBowl(), t0, order)
        by_hand = sum(expected[k] * (t - t0) ** k for k in range(order + 1))
        np.testing.assert_allclose(p(t), by_hand, rtol=1e-13, atol=1e-13)


def test_taylor_error_shrinks_like_the_next_power_of_the_distance():
    # Remainder of order n is O(h^(n+1)): halving h divides it by about 2^(n+1).
    f, t0 = SineBowl(), 0.3
    for order in (1, 2, 3):
        p = taylor_polynomial(f, t0, order)
        errors = [abs(f.derivative(t0 + h) - p(t0 + h)) for h in (1e-2, 5e-3)]
        assert errors[0] / errors[1] == pytest.approx(2 ** (order + 1), rel=0.05)


def test_second_order_taylor_of_a_parabola_is_the_parabola_and_log_cosh_starts_as_half_t2():
    t = np.linspace(-3, 3, 11)
    np.testing.assert_allclose(taylor_polynomial(Parabola(3.0), 1.7, 2)(t), 1.5 * t**2,
                               atol=1e-12)
    # log cosh t = t²/2 − t⁴/12 + …: the cubic Taylor polynomial at 0 is t²/2.
    np.testing.assert_allclose(taylor_polynomial(LogCosh(), 0.0, 3).coefficients,
                               [0.0, 0.0, 0.5, 0.0], atol=1e-15)


def test_taylor_polynomial_rejects_bad_order_and_functions_without_derivatives():
    with pytest.raises(ValueError, match="order"):
        taylor_polynomial(SineBowl(), 0.0, 4)
    with pytest.raises(ValueError, match="derivative"):
        taylor_polynomial(Saddle(), 0.0, 2)


@settings(deadline=None, max_examples=30)
# Eigenvalues kept away from 0: Quadratic's constructor solves Ax = −b for its critical point.
@given(eigs=st.lists(st.floats(0.1, 5) | st.floats(-5, -0.1), min_size=2, max_size=2),
       angle=st.floats(0, 3.2),
       b=st.lists(st.floats(-2, 2), min_size=2, max_size=2),
       center=st.lists(st.floats(-2, 2), min_size=2, max_size=2))
def test_second_order_model_of_a_quadratic_is_the_quadratic_itself(eigs, angle, b, center):
    f = Quadratic.from_eigenvalues(eigs, angle, b=np.array(b))
    model = second_order_model(f, center)
    x = np.random.default_rng(0).uniform(-3, 3, size=(5, 4, 2))
    np.testing.assert_allclose(model(x), f(x), atol=1e-10)


@settings(deadline=None, max_examples=30)
@given(center=st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=2),
       h=st.lists(st.floats(-0.5, 0.5), min_size=2, max_size=2))
def test_rosenbrock_minus_its_model_is_the_hand_expanded_cubic_and_quartic_terms(center, h):
    # f = (a − x)² + b(y − x²)²; with x = x0 + u, y = y0 + v, y − x² = r0 + (v − 2x0u) − u²,
    # so f − m = −2b u²(v − 2x0 u) + b u⁴ exactly.
    f, (x0, _), (u, v) = Rosenbrock(), center, h
    model = second_order_model(f, center)
    point = np.array(center) + np.array(h)
    expected = -2 * f.b * u**2 * (v - 2 * x0 * u) + f.b * u**4
    assert float(f(point) - model(point)) == pytest.approx(expected, abs=1e-9)


def test_model_stationary_point_of_a_bowl_is_its_minimizer_and_singular_models_say_so():
    f = Quadratic([[3.0, 1.0], [1.0, 2.0]], b=[1.0, -1.0])
    np.testing.assert_allclose(second_order_model(f, [5.0, -7.0]).stationary_point,
                               -np.linalg.solve(f.A, f.b), atol=1e-12)
    flat = Quadratic(np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="singular"):
        _ = second_order_model(flat, [1.0, 1.0]).stationary_point
    with pytest.raises(ValueError, match="shape"):
        second_order_model(f, [[1.0, 2.0]])


def test_the_textbook_saddle_has_eigenvalues_plus_minus_two_and_index_one_half():
    point = classify_critical_point(Saddle().hessian(np.zeros(2)))
    assert point.kind == "saddle"
    np.testing.assert_allclose(point.eigenvalues, [-2.0, 2.0])
    assert point.index == 0.5


@pytest.mark.parametrize("kind", ["minimum", "maximum", "saddle"])
def test_himmelblaus_known_critical_points_are_classified_as_listed(kind):
    f = Himmelblau()
    for x in f.critical_points[kind]:
        assert np.linalg.norm(f.grad(x)) < 1e-9
        assert classify_critical_point(f.hessian(x)).kind == kind


@settings(deadline=None, max_examples=40)
@given(signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=1, max_size=8),
       seed=st.integers(0, 2**16))
def test_index_is_the_fraction_of_negative_eigenvalues_of_a_rotated_diagonal(signs, seed):
    rng = np.random.default_rng(seed)
    lam = np.array(signs) * rng.uniform(0.5, 3.0, len(signs))
    Q, _ = np.linalg.qr(rng.normal(size=(len(lam), len(lam))))
    point = classify_critical_point(Q @ np.diag(lam) @ Q.T)
    negative = int(np.sum(lam < 0))
    assert point.index == pytest.approx(negative / len(lam))
    expected = ("minimum" if negative == 0 else "maximum" if negative == len(lam)
                else "saddle")
    assert point.kind == expected


def test_zero_eigenvalues_make_a_point_degenerate_unless_signs_are_mixed():
    assert classify_critical_point(MonkeySaddle().hessian(np.zeros(2))).kind == "degenerate"
    assert classify_critical_point(np.diag([1.0, 0.0])).kind == "degenerate"
    assert classify_critical_point(np.diag([2.0, -2.0, 0.0])).kind == "saddle"


def test_one_dimensional_second_derivative_decides_min_and_max():
    f = DoubleWell()
    assert classify_critical_point(f.derivative(1.0, 2)).kind == "minimum"
    assert classify_critical_point(f.derivative(0.0, 2)).kind == "maximum"


def test_classify_accepts_a_finite_difference_hessian_of_himmelblaus_saddle():
    f, h = Himmelblau(), 1e-5
    x = f.critical_points["saddle"][0]
    H = np.array([(f.grad(x + h * e) - f.grad(x - h * e)) / (2 * h) for e in np.eye(2)])
    assert not np.array_equal(H, H.T)
    point = classify_critical_point(H)
    assert point.kind == "saddle" and point.index == 0.5
    np.testing.assert_allclose(point.eigenvalues, np.linalg.eigvalsh(f.hessian(x)), rtol=1e-6)


def test_classify_rejects_non_square_and_non_symmetric_matrices():
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        classify_critical_point(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        classify_critical_point(np.array([[1.0, 2.0], [0.0, 1.0]]))

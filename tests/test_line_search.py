import math

import numpy as np
import pytest

from coursekit.optim.line_search import armijo_backtracking


@pytest.mark.parametrize("c1", [1e-4, 0.3, 0.7])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_armijo_on_a_quadratic_accepts_the_closed_form_step(c1, seed):
    # f(x + t d) = f + t gᵀd + ½ t² dᵀAd, so Armijo holds iff t ≤ t* = 2(1 − c₁)(−gᵀd)/dᵀAd:
    # backtracking from t₀ accepts t₀ρᵏ with k = max(0, ⌈log(t₀/t*)/log(1/ρ)⌉).
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((5, 5))
    A = M @ M.T + 0.1 * np.eye(5)
    f = lambda x: 0.5 * x @ A @ x  # noqa: E731
    x = rng.standard_normal(5)
    d = -(A @ x) + 0.3 * rng.standard_normal(5)
    slope = (A @ x) @ d
    if slope >= 0:
        d = -d
        slope = -slope
    t0, rho = 50.0, 0.5
    t_star = 2 * (1 - c1) * (-slope) / (d @ A @ d)
    k = max(0, math.ceil(math.log(t0 / t_star) / math.log(1 / rho)))
    result = armijo_backtracking(f, x, d, f(x), slope, t0=t0, rho=rho, c1=c1)
    assert result.t == pytest.approx(t0 * rho**k, rel=1e-12)
    assert result.evaluations == k + 1
    assert result.value == pytest.approx(f(x + result.t * d), rel=1e-12)


def test_armijo_rejects_an_ascent_direction():
    with pytest.raises(ValueError, match="descent direction"):
        armijo_backtracking(lambda x: float(x @ x), np.ones(2), np.ones(2), 2.0, slope=4.0)


def test_armijo_names_a_failed_search():
    with pytest.raises(ValueError, match="no step satisfied"):
        armijo_backtracking(lambda x: 0.0 if x[0] == 1.0 else 1.0, np.ones(1), -np.ones(1),
                            0.0, slope=-1.0, max_evals=5)

"""Closed forms for gradient descent and momentum on the quadratic E(θ) = ½ θᵀAθ.

Everything here is exact algebra on the eigenvalues λ of A (A = Q diag(λ) Qᵀ), so lessons
can state a number and then measure it on a run of :mod:`coursekit.optim`.

Gradient descent θ ← θ − α A θ
    θ_k = Q (I − αΛ)^k Qᵀ θ_0: along eigenvector q_i the error is multiplied by the factor
    1 − αλ_i each step. It decays (0 < αλ ≤ 1), oscillates (1 < αλ ≤ 2; at αλ = 2 without
    shrinking) or diverges (αλ > 2). Stable iff α < 2/λmax. The best fixed step is
    α* = 2/(λmin + λmax), with rate max_i |1 − α*λ_i| = (κ − 1)/(κ + 1), κ = λmax/λmin.

Heavy-ball momentum (lecture form v ← βv − α∇E, θ ← θ + v; torch's SGD with
``momentum=β, dampening=0`` gives the same iterates)
    Along q_i the pair (θ_k, v_k) evolves by the 2×2 iteration matrix
    M = [[1 − αλ, β], [−αλ, β]], whose characteristic polynomial is z² − (1 + β − αλ) z + β.
    The rate is the spectral radius max |z|. Optimal for λ ∈ [λmin, λmax]:
    α = (2/(√λmax + √λmin))², β = ((√κ − 1)/(√κ + 1))², rate (√κ − 1)/(√κ + 1).

Nesterov (look-ahead gradient v ← βv − α∇E(θ + βv), θ ← θ + v)
    M = [[1 − αλ, β(1 − αλ)], [−αλ, β(1 − αλ)]], polynomial z² − (1 + β)(1 − αλ) z + β(1 − αλ).
    torch's ``nesterov=True`` tracks the look-ahead point, a linear change of variables with
    the same polynomial, hence the same rate.

Every scalar argument may also be an array; they broadcast against each other, so a whole
(α, β) grid is one call.
"""

from __future__ import annotations

import numpy as np

from .landscapes import Quadratic

REGIMES = ("decays", "oscillates", "diverges", "stalls")
_TOL = 1e-12  # relative slack so α = 2/λ lands on the boundary despite round-off


def _eigenvalues(eigenvalues) -> np.ndarray:
    """Accept a Quadratic or an array of eigenvalues; return a 1D float array."""
    lam = eigenvalues.eigenvalues if isinstance(eigenvalues, Quadratic) else eigenvalues
    lam = np.atleast_1d(np.asarray(lam, dtype=np.float64))
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1D array; got shape {lam.shape}")
    return lam


def _positive_spectrum(eigenvalues) -> tuple[float, float]:
    lam = _eigenvalues(eigenvalues)
    lo, hi = float(lam.min()), float(lam.max())
    if not lo > 0 or not np.isfinite(hi):
        raise ValueError(
            f"eigenvalues must be positive and finite (A positive definite); got min {lo}, "
            f"max {hi}"
        )
    return lo, hi


def _lr(lr) -> np.ndarray:
    lr = np.asarray(lr, dtype=np.float64)
    if not np.all(np.isfinite(lr)) or np.any(lr < 0):
        raise ValueError(f"lr must be finite and >= 0; got {lr}")
    return lr


def _beta(beta) -> np.ndarray:
    beta = np.asarray(beta, dtype=np.float64)
    if not np.all((beta >= 0) & (beta < 1)):
        raise ValueError(f"beta must lie in [0, 1); got {beta}")
    return beta


# ---------------------------------------------------------------- gradient descent


def gd_factors(eigenvalues, lr: float) -> np.ndarray:
    """The per-eigendirection factors 1 − αλ_i: shape (d,) (or broadcast with ``lr``)."""
    return 1.0 - _lr(lr)[..., None] * _eigenvalues(eigenvalues)


def gd_regimes(eigenvalues, lr: float) -> tuple[str, ...]:
    """The regime of each eigendirection under GD with step ``lr``.

    ``"decays"`` for 0 < αλ ≤ 1 (monotone shrink), ``"oscillates"`` for 1 < αλ ≤ 2 (sign flips;
    at αλ = 2 exactly the amplitude stays constant), ``"diverges"`` for αλ > 2 or αλ < 0
    (negative curvature), ``"stalls"`` for αλ = 0.
    """
    alpha = float(_lr(lr))
    regimes = []
    for x in alpha * _eigenvalues(eigenvalues):
        if x > 2 * (1 + _TOL) or x < 0:
            regimes.append("diverges")
        elif x > 1 * (1 + _TOL):
            regimes.append("oscillates")
        elif x > 0:
            regimes.append("decays")
        else:
            regimes.append("stalls")
    return tuple(regimes)


def gd_rate(eigenvalues, lr) -> np.ndarray:
    """The worst contraction factor max_i |1 − αλ_i| (the error's asymptotic rate per step)."""
    return np.max(np.abs(gd_factors(eigenvalues, lr)), axis=-1)


def stable_lr_bound(eigenvalues) -> float:
    """2/λmax: GD on ½θᵀAθ converges from every start iff 0 < α < 2/λmax."""
    _, hi = _positive_spectrum(eigenvalues)
    return 2.0 / hi


def optimal_lr(eigenvalues) -> float:
    """The best fixed step α* = 2/(λmin + λmax), which equalizes |1 − αλmin| = |1 − αλmax|."""
    lo, hi = _positive_spectrum(eigenvalues)
    return 2.0 / (lo + hi)


def condition_number(eigenvalues) -> float:
    """κ = λmax/λmin of a positive definite spectrum."""
    lo, hi = _positive_spectrum(eigenvalues)
    return hi / lo


def optimal_gd_rate(condition_number: float) -> float:
    """GD's rate at α*: (κ − 1)/(κ + 1) per step."""
    kappa = _kappa(condition_number)
    return (kappa - 1.0) / (kappa + 1.0)


def _kappa(condition_number) -> float:
    kappa = float(condition_number)
    if not kappa >= 1 or not np.isfinite(kappa):
        raise ValueError(f"condition_number must be finite and >= 1; got {condition_number}")
    return kappa


def gd_iterates(f: Quadratic, x0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """The closed form θ_k = θ* + Q(I − αΛ)^k Qᵀ(θ_0 − θ*) for k = 0 … steps: (steps + 1, d)."""
    errors = gd_eigen_errors(f, x0, lr, steps)
    return f.minimizer + errors @ f.eigenvectors.T


def gd_eigen_errors(f: Quadratic, x0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """The error's coordinates along each eigenvector, (1 − αλ_i)^k q_iᵀ(θ_0 − θ*): (steps+1, d)."""
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.shape != (f.dim,):
        raise ValueError(f"x0 must have shape ({f.dim},); got {x0.shape}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    k = np.arange(steps + 1)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        return gd_factors(f, lr) ** k * (eigen_coordinates(f, x0))


def eigen_coordinates(f: Quadratic, points: np.ndarray) -> np.ndarray:
    """Qᵀ(θ − θ*) for points of shape (..., d): the error along each eigenvector of A."""
    return (np.asarray(points, dtype=np.float64) - f.minimizer) @ f.eigenvectors


# ---------------------------------------------------------------- heavy ball and Nesterov


def momentum_matrix(eigenvalue, lr, beta, nesterov: bool = False) -> np.ndarray:
    """The 2×2 matrix M with (θ_{k+1}, v_{k+1}) = M (θ_k, v_k) along an eigenvector: (..., 2, 2).

    Heavy ball: [[1 − αλ, β], [−αλ, β]]. Nesterov: [[1 − αλ, β(1 − αλ)], [−αλ, β(1 − αλ)]].
    """
    lam, alpha, beta = np.broadcast_arrays(
        np.asarray(eigenvalue, dtype=np.float64), _lr(lr), _beta(beta))
    a = alpha * lam
    kick = beta * (1 - a) if nesterov else beta
    return np.stack([np.stack([1 - a, kick], -1), np.stack([-a, kick], -1)], -2)


def momentum_roots(eigenvalue, lr, beta, nesterov: bool = False) -> np.ndarray:
    """The two eigenvalues of :func:`momentum_matrix`, complex, shape (..., 2).

    Roots of z² − t z + c with t = 1 + β − αλ, c = β (heavy ball) or t = (1 + β)(1 − αλ),
    c = β(1 − αλ) (Nesterov): z = (t ± √(t² − 4c))/2.
    """
    lam = np.asarray(eigenvalue, dtype=np.float64)
    alpha, beta = _lr(lr), _beta(beta)
    a = alpha * lam
    if nesterov:
        t, c = (1 + beta) * (1 - a), beta * (1 - a)
    else:
        t, c = 1 + beta - a, beta + 0 * a
    disc = np.sqrt(np.asarray(t * t - 4 * c, dtype=np.complex128))
    return np.stack([(t + disc) / 2, (t - disc) / 2], -1)


def momentum_rate(eigenvalues, lr, beta, nesterov: bool = False) -> np.ndarray:
    """The convergence-rate map: max over eigenvalues of the spectral radius of M.

    ``lr`` and ``beta`` broadcast (e.g. a meshgrid); the result has their broadcast shape.
    Below 1 the iterates converge geometrically at this rate; above 1 they diverge. At a
    double root (e.g. Polyak's optimum) the square root of a near-zero discriminant limits
    the accuracy to about 1e-8.
    """
    lam = _eigenvalues(eigenvalues)
    alpha, beta = np.broadcast_arrays(_lr(lr), _beta(beta))
    roots = momentum_roots(lam, alpha[..., None], beta[..., None], nesterov)
    return np.max(np.abs(roots), axis=(-1, -2))


def optimal_momentum(eigenvalues) -> tuple[float, float]:
    """Heavy ball's optimal (α, β) for a spectrum in [λmin, λmax] (Polyak):
    α = (2/(√λmax + √λmin))², β = ((√κ − 1)/(√κ + 1))²."""
    lo, hi = _positive_spectrum(eigenvalues)
    lr = (2.0 / (np.sqrt(hi) + np.sqrt(lo))) ** 2
    return float(lr), optimal_momentum_rate(hi / lo) ** 2


def optimal_momentum_rate(condition_number: float) -> float:
    """Heavy ball's rate at its optimal (α, β): (√κ − 1)/(√κ + 1) per step."""
    root = np.sqrt(_kappa(condition_number))
    return float((root - 1.0) / (root + 1.0))


def terminal_velocity(lr: float, beta: float, grad: np.ndarray) -> np.ndarray:
    """The step size heavy ball settles to under a constant gradient g: α/(1 − β)·g.

    From v ← βv − αg with v_0 = 0: v_k = −α g (1 − β^k)/(1 − β) → −α/(1 − β)·g, so θ moves
    by α/(1 − β)·g downhill per step: momentum multiplies the step by 1/(1 − β).
    """
    return float(_lr(lr)) / (1.0 - float(_beta(beta))) * np.asarray(grad, dtype=np.float64)


# ---------------------------------------------------------------- the descent test


def predicted_decrease(grad: np.ndarray, hessian: np.ndarray, step: float) -> float:
    """f(θ) − f(θ − εg) by the second-order model: ε gᵀg − ½ ε² gᵀHg (exact on a quadratic)."""
    g, H = _grad_hessian(grad, hessian)
    return float(step * (g @ g) - 0.5 * step**2 * (g @ H @ g))


def lowers_loss(grad: np.ndarray, hessian: np.ndarray, step: float) -> bool:
    """The descent test: a step −εg lowers the model iff ε gᵀg > ½ ε² gᵀHg."""
    return predicted_decrease(grad, hessian, step) > 0


def largest_descent_step(grad: np.ndarray, hessian: np.ndarray) -> float:
    """The ε where the test flips: 2 gᵀg / gᵀHg (inf when gᵀHg ≤ 0: every step descends)."""
    g, H = _grad_hessian(grad, hessian)
    curvature = float(g @ H @ g)
    return 2.0 * float(g @ g) / curvature if curvature > 0 else float("inf")


def _grad_hessian(grad, hessian) -> tuple[np.ndarray, np.ndarray]:
    g = np.asarray(grad, dtype=np.float64)
    H = np.asarray(hessian, dtype=np.float64)
    if g.ndim != 1 or H.shape != (g.size, g.size):
        raise ValueError(
            f"grad must have shape (d,) and hessian (d, d); got {g.shape} and {H.shape}")
    return g, H


def momentum_stable_lr_bound(eigenvalues, beta: float, nesterov: bool = False) -> float:
    """The largest stable step for a given β: heavy ball 2(1 + β)/λmax, Nesterov
    (2 + 2β)/((1 + 2β) λmax) (Jury's conditions on the characteristic polynomial)."""
    _, hi = _positive_spectrum(eigenvalues)
    beta = float(_beta(beta))
    factor = (2 + 2 * beta) / (1 + 2 * beta) if nesterov else 2 * (1 + beta)
    return factor / hi

r"""Critical points of a small network's loss, and their index.

A *critical point* of L(θ) is a θ with ∇L(θ) = 0; its *index* is the fraction of the Hessian's
eigenvalues that are negative (0 at a minimum, 1 at a maximum, in between at a saddle).

Gradient descent is repelled by saddles, so it cannot be used to find them. Instead
``find_critical_point`` solves g(θ) = ∇L(θ) = 0 by Levenberg–Marquardt on ½‖g‖², whose
Jacobian is the Hessian H:

    δ = −(H² + μ I)⁻¹ H g,   θ ← θ + δ if ‖g(θ + δ)‖ < ‖g(θ)‖ (then μ ← μ/3), else μ ← 3μ.

For μ → 0 this is Newton's method on g, which converges to the nearest critical point of any
index (Dauphin et al., 2014, used it for exactly that reason); μ > 0 keeps the steps short
where H is singular. The dense Hessian (``coursekit.curvature.HessianOperator.dense``) makes
this practical only for networks with at most a few hundred parameters.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .curvature import HessianOperator
from .nn.base import Layer
from .nn.losses import Loss
from .nn.vector import parameters_to_vector, vector_to_parameters


@dataclass
class CriticalPoint:
    """Where ``find_critical_point`` stopped: θ (P,), L(θ), ‖∇L(θ)‖, the Hessian's
    eigenvalues (ascending) and the index (fraction of eigenvalues below −tol·max|λ|)."""

    theta: np.ndarray
    loss: float
    grad_norm: float
    eigenvalues: np.ndarray
    index: float
    steps: int


def hessian_index(eigenvalues: np.ndarray, tol: float = 1e-8) -> float:
    """Fraction of eigenvalues that are negative, ignoring |λ| ≤ tol · max|λ| (zero modes)."""
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    if eigenvalues.ndim != 1 or eigenvalues.size == 0:
        raise ValueError(f"hessian_index: eigenvalues must be a non-empty 1-D array; got "
                         f"shape {eigenvalues.shape}")
    scale = np.max(np.abs(eigenvalues))
    return float(np.mean(eigenvalues < -tol * scale))


def find_critical_point(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray,
                        theta0: np.ndarray | None = None, steps: int = 100,
                        damping: float = 1e-3, grad_tol: float = 1e-10) -> CriticalPoint:
    """Levenberg–Marquardt on ½‖∇L(θ)‖² from θ₀ (default: the model's θ); see the module.

    Stops when ‖∇L‖ ≤ grad_tol or after ``steps`` accepted or rejected steps. The model is
    not modified. A result with a large ``grad_norm`` is not a critical point (the iteration
    can also stall where H g = 0 with g ≠ 0): check it before using the result.
    """
    if int(steps) < 0 or not damping > 0:
        raise ValueError(f"find_critical_point: steps must be >= 0 and damping > 0; got "
                         f"steps={steps}, damping={damping}")
    work = copy.deepcopy(model)
    theta = parameters_to_vector(model).astype(np.float64) if theta0 is None else \
        np.array(theta0, dtype=np.float64)
    if theta.shape != parameters_to_vector(model).shape:
        raise ValueError(f"find_critical_point: theta0 must have shape "
                         f"{parameters_to_vector(model).shape}; got {theta.shape}")

    def measure(point: np.ndarray):
        vector_to_parameters(point, work)
        H = HessianOperator(work, loss, X, y)
        value, grad = H.gradient()
        return value, grad, H

    value, grad, H = measure(theta)
    hess = H.dense()
    mu, taken = float(damping), 0
    while taken < int(steps) and np.linalg.norm(grad) > grad_tol:
        taken += 1
        delta = -np.linalg.solve(hess @ hess + mu * np.eye(len(theta)), hess @ grad)
        new_value, new_grad, new_H = measure(theta + delta)
        if np.linalg.norm(new_grad) < np.linalg.norm(grad):
            theta, value, grad = theta + delta, new_value, new_grad
            hess, mu = new_H.dense(), max(mu / 3, 1e-12)
        else:
            mu *= 3
    eigenvalues = np.linalg.eigvalsh(hess)
    return CriticalPoint(theta, float(value), float(np.linalg.norm(grad)), eigenvalues,
                         hessian_index(eigenvalues), taken)


def linear_network_critical_losses(X: np.ndarray, Y: np.ndarray, hidden: int) -> np.ndarray:
    r"""The loss values at all critical points of a linear network, in closed form.

    For ``MLP([d, hidden, D], activation="identity")`` with the mean squared error
    L = ‖Y − (X W₁ᵀ + b₁) W₂ᵀ − b₂‖² / (N·D), the biases absorb the means; on centred X̃, Ỹ
    let λ₁ ≥ … ≥ λ_D be the eigenvalues of Σ = Ỹᵀ X̃ (X̃ᵀ X̃)⁻¹ X̃ᵀ Ỹ. Every critical point
    projects the least-squares fit onto the span of a subset I of Σ's eigenvectors with
    |I| ≤ hidden, and has loss (‖Ỹ‖² − Σ_{i∈I} λᵢ) / (N·D) (Baldi & Hornik, 1989). Only the
    top ``hidden`` eigenvectors give a minimum (the global one); all others are saddles.
    Returns the distinct values, ascending (assumes X̃ᵀX̃ invertible, distinct λᵢ).
    """
    from itertools import combinations

    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"linear_network_critical_losses: X (N, d) and Y (N, D) must be 2-D "
                         f"with the same N; got shapes {X.shape} and {Y.shape}")
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    cross = Yc.T @ Xc
    lam = np.linalg.eigvalsh(cross @ np.linalg.solve(Xc.T @ Xc, cross.T))[::-1]
    total, scale = float(np.sum(Yc**2)), Y.size
    values = {total - sum(lam[list(subset)])
              for size in range(min(hidden, len(lam)) + 1)
              for subset in combinations(range(len(lam)), size)}
    return np.array(sorted(values)) / scale

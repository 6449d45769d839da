"""The quadratic bowl f(x) = ½ xᵀAx + bᵀx, the model problem of the course.

Built from eigenvalues and a rotation so a lesson can dial curvature and conditioning:
A = Q diag(λ) Qᵀ, with Q the rotation by ``angle`` (2D) or any orthogonal matrix.
"""

from __future__ import annotations

import numpy as np

from .base import Landscape


def rotation(angle: float) -> np.ndarray:
    """The 2×2 rotation matrix by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


class Quadratic(Landscape):
    """f(x) = ½ xᵀAx + bᵀx with ∇f = Ax + b and ∇²f = A.

    Parameters
    ----------
    A : array (d, d), symmetrized as (A + Aᵀ)/2.
    b : array (d,), default zero.
    """

    def __init__(self, A: np.ndarray, b: np.ndarray | None = None) -> None:
        super().__init__()
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"Quadratic needs a square matrix A; got shape {A.shape}")
        self.A = (A + A.T) / 2
        self.dim = A.shape[0]
        self.b = np.zeros(self.dim) if b is None else np.asarray(b, dtype=np.float64)
        if self.b.shape != (self.dim,):
            raise ValueError(f"Quadratic needs b of shape ({self.dim},); got {self.b.shape}")
        self.eigenvalues, self.eigenvectors = np.linalg.eigh(self.A)
        self.name = "quadratic"
        scale = max(float(np.abs(self.eigenvalues).max(initial=0.0)), 1.0)
        self.singular = bool(np.any(np.abs(self.eigenvalues) <= 1e-12 * scale))
        if not self.singular:
            kind = ("minimum" if np.all(self.eigenvalues > 0) else
                    "maximum" if np.all(self.eigenvalues < 0) else "saddle")
            self.critical_points[kind] = self.minimizer[None, :]
            if self.dim == 2:
                radius = 2.0 + float(np.max(np.abs(self.minimizer)))
                self.bounds = ((-radius, radius), (-radius, radius))

    @classmethod
    def from_eigenvalues(
        cls,
        eigenvalues: np.ndarray,
        angle: float | np.ndarray = 0.0,
        b: np.ndarray | None = None,
    ) -> Quadratic:
        """A = Q diag(eigenvalues) Qᵀ; ``angle``: a rotation in radians (2D) or an orthogonal Q."""
        lam = np.asarray(eigenvalues, dtype=np.float64)
        Q = np.asarray(angle, dtype=np.float64)
        if Q.ndim == 0:
            if lam.shape != (2,):
                raise ValueError("a rotation angle needs exactly two eigenvalues; pass Q instead")
            Q = rotation(float(Q))
        return cls(Q @ np.diag(lam) @ Q.T, b)

    @classmethod
    def with_condition_number(
        cls, condition_number: float, angle: float = 0.0, lambda_max: float = 1.0
    ) -> Quadratic:
        """A 2D bowl with eigenvalues (λmax/κ, λmax), rotated by ``angle``."""
        if not condition_number >= 1:
            raise ValueError(f"condition_number must be >= 1; got {condition_number}")
        return cls.from_eigenvalues([lambda_max / condition_number, lambda_max], angle)

    @property
    def condition_number(self) -> float:
        """κ = λmax / λmin (inf when A is singular or indefinite)."""
        lo, hi = self.eigenvalues[0], self.eigenvalues[-1]
        return float(hi / lo) if lo > 0 else float("inf")

    @property
    def minimizer(self) -> np.ndarray:
        """The stationary point x* = −A⁻¹b (a minimum when A is positive definite)."""
        if self.singular:
            raise ValueError(f"A is singular (eigenvalues {self.eigenvalues}): "
                             "no unique stationary point")
        return -np.linalg.solve(self.A, self.b)

    def _value(self, x):
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.A, x) + x @ self.b

    def _grad(self, x):
        return x @ self.A + self.b

    def _hessian(self, x):
        return np.broadcast_to(self.A, x.shape[:-1] + self.A.shape).copy()

    def __repr__(self) -> str:
        lam = np.array2string(self.eigenvalues, precision=4)
        return f"Quadratic(eigenvalues={lam})"

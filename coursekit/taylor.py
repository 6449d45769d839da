"""Local models of a function: Taylor polynomials, the second-order model, and what the
Hessian's eigenvalues say about a critical point.

In one variable, the Taylor polynomial of order n around t0 is

    p_n(t) = Σ_{k=0}^{n} f^(k)(t0) (t − t0)^k / k!,

built from the exact derivatives of a :class:`coursekit.landscapes.Function1D`.
In d variables, the second-order model around x0 is

    m(x) = f(x0) + ∇f(x0)ᵀ(x − x0) + ½ (x − x0)ᵀ ∇²f(x0) (x − x0).

At a critical point (∇f = 0) the Hessian's eigenvalues decide: all > 0 a minimum, all < 0 a
maximum, both signs a saddle, and a zero eigenvalue with no sign change leaves it undecided
(degenerate). The index is the fraction of negative eigenvalues.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np


@dataclass(frozen=True)
class TaylorPolynomial:
    """p(t) = Σ_k coefficients[k] (t − center)^k, with coefficients[k] = f^(k)(center) / k!."""

    center: float
    coefficients: tuple[float, ...]

    @property
    def order(self) -> int:
        return len(self.coefficients) - 1

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """p(t) elementwise, for ``t`` of any shape."""
        h = np.asarray(t, dtype=np.float64) - self.center
        value = np.zeros_like(h)
        for c in reversed(self.coefficients):  # Horner's rule
            value = value * h + c
        return value


def taylor_polynomial(f, center: float, order: int) -> TaylorPolynomial:
    """The Taylor polynomial of ``f`` of order 0–3 around ``center``.

    ``f`` is anything with ``derivative(t, order)`` (a :class:`Function1D`), so the
    coefficients f^(k)(t0)/k! come from exact derivatives, not finite differences.
    """
    if order not in (0, 1, 2, 3):
        raise ValueError(f"order must be 0, 1, 2 or 3; got {order!r}")
    if not hasattr(f, "derivative"):
        raise ValueError(f"f must offer derivative(t, order) like Function1D; got {f!r}")
    center = float(center)
    coefficients = tuple(float(f.derivative(center, k)) / factorial(k) for k in range(order + 1))
    return TaylorPolynomial(center, coefficients)


@dataclass(frozen=True)
class QuadraticModel:
    """m(x) = value + gradientᵀ(x − center) + ½ (x − center)ᵀ hessian (x − center).

    center, gradient : (d,);  hessian : (d, d);  value : float.
    """

    center: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """m(x) for x of shape (..., d), returning shape (...)."""
        h = np.asarray(x, dtype=np.float64) - self.center
        if h.shape[-1:] != self.center.shape:
            raise ValueError(
                f"x must have shape (..., {self.center.size}); got {np.shape(x)}")
        quadratic = np.einsum("...i,ij,...j->...", h, self.hessian, h)
        return self.value + h @ self.gradient + 0.5 * quadratic

    @property
    def stationary_point(self) -> np.ndarray:
        """The x with ∇m(x) = 0: center − H⁻¹g, the point a Newton step jumps to."""
        try:
            return self.center - np.linalg.solve(self.hessian, self.gradient)
        except np.linalg.LinAlgError:
            raise ValueError(
                "the model's Hessian is singular: it has no unique stationary point") from None


def second_order_model(f, center: np.ndarray) -> QuadraticModel:
    """The second-order Taylor model of a landscape ``f`` around ``center`` (shape (d,)),
    from its exact value, gradient and Hessian."""
    center = np.asarray(center, dtype=np.float64)
    if center.ndim != 1:
        raise ValueError(f"center must be one point of shape (d,); got shape {center.shape}")
    return QuadraticModel(center.copy(), float(f(center)), np.asarray(f.grad(center)),
                          np.asarray(f.hessian(center)))


@dataclass(frozen=True)
class CriticalPoint:
    """What the Hessian at a critical point says.

    kind : "minimum", "maximum", "saddle" or "degenerate"
    eigenvalues : (d,) ascending
    index : fraction of eigenvalues < 0 (0 at a minimum, 1 at a maximum)
    """

    kind: str
    eigenvalues: np.ndarray
    index: float


def classify_critical_point(hessian: np.ndarray | float, tol: float = 1e-8) -> CriticalPoint:
    """Classify a critical point by the eigenvalues λ of its Hessian (d, d) (or f'' in 1D).

    A Hessian from finite differences may be asymmetric by rounding: H is symmetrized, and
    refused only if max |H − Hᵀ| exceeds 1e-6·max(1, max|H|). An eigenvalue counts as zero
    when |λ| <= tol·max(1, max|λ|). Both signs present: saddle
    (whatever the zeros); otherwise any zero: degenerate (higher derivatives decide);
    otherwise all > 0 minimum, all < 0 maximum.
    """
    H = np.asarray(hessian, dtype=np.float64)
    if H.ndim == 0:
        H = H.reshape(1, 1)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"hessian must be a square matrix (d, d); got shape {H.shape}")
    asymmetry = float(np.abs(H - H.T).max())
    if asymmetry > 1e-6 * max(1.0, float(np.abs(H).max())):
        raise ValueError(f"hessian must be symmetric; got max |H − Hᵀ| = {asymmetry:.3g}")
    eigenvalues = np.linalg.eigvalsh((H + H.T) / 2)
    zero = tol * max(1.0, float(np.abs(eigenvalues).max()))
    negative, positive = eigenvalues < -zero, eigenvalues > zero
    if negative.any() and positive.any():
        kind = "saddle"
    elif not (negative | positive).all():
        kind = "degenerate"
    else:
        kind = "minimum" if positive.all() else "maximum"
    return CriticalPoint(kind, eigenvalues, float(negative.mean()))

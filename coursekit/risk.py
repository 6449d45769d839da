r"""True risk and empirical risk, and the surrogate losses that replace the 0-1 loss.

**A problem with a known true risk.** Inputs x ~ N(0, I_d), targets y = w*·x + ε with
ε ~ N(0, σ²) independent of x. For the squared loss ℓ(w; x, y) = (y − w·x)² the true risk
(the expected loss on a fresh example, the *generalization error*) is

    R(w) = E (y − w·x)² = ‖w − w*‖² + σ²,     ∇R(w) = 2 (w − w*),

minimal at w* with R* = σ²; the *excess risk* is R(w) − R* = ‖w − w*‖². The empirical risk
on a sample of n examples is R̂(w) = (1/n) Σᵢ (yᵢ − w·xᵢ)², with gradient
(2/n) Σᵢ (w·xᵢ − yᵢ) xᵢ. The least-squares estimator from n > d + 1 examples has expected
excess risk σ² d / (n − d − 1) (the mean of an inverse Wishart matrix).

**Surrogates.** For a label t ∈ {−1, +1} and a score f, the margin is m = t·f. The 0-1 loss
1[m ≤ 0] has zero derivative wherever it has one, so it gives gradient descent nothing to
follow; the surrogates below are convex in m and, as written, upper bounds of it:
hinge max(0, 1 − m), logistic log₂(1 + e^{−m}), squared (1 − m)², exponential e^{−m}.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class GaussianLinearModel:
    """y = w*·x + ε, x ~ N(0, I_d), ε ~ N(0, σ²): the true risk in closed form (module doc)."""

    w_star: np.ndarray
    noise: float

    @classmethod
    def random(cls, dim: int, noise: float, seed: int = 0) -> GaussianLinearModel:
        """w* ~ N(0, I_d / d) (so Var(w*·x) ≈ 1), drawn from ``seed``."""
        if int(dim) < 1 or not noise >= 0:
            raise ValueError(f"GaussianLinearModel: dim must be >= 1 and noise >= 0; got "
                             f"dim={dim}, noise={noise}")
        w = np.random.default_rng(seed).normal(size=int(dim)) / np.sqrt(dim)
        return cls(w, float(noise))

    @property
    def dim(self) -> int:
        return self.w_star.size

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """n fresh examples: X (n, d), y (n,)."""
        X = rng.normal(size=(int(n), self.dim))
        return X, X @ self.w_star + self.noise * rng.normal(size=int(n))

    def risk(self, w: np.ndarray) -> np.ndarray:
        """R(w) = ‖w − w*‖² + σ² for w of shape (..., d)."""
        return self.excess_risk(w) + self.noise**2

    def excess_risk(self, w: np.ndarray) -> np.ndarray:
        """R(w) − R* = ‖w − w*‖²."""
        w = self._check(w)
        return np.sum((w - self.w_star) ** 2, axis=-1)

    def risk_gradient(self, w: np.ndarray) -> np.ndarray:
        """∇R(w) = 2 (w − w*)."""
        return 2 * (self._check(w) - self.w_star)

    def least_squares_excess_risk(self, n: int) -> float:
        """E[R(ŵ_n)] − R* = σ² d / (n − d − 1) for least squares on n fresh examples."""
        if n <= self.dim + 1:
            raise ValueError(f"least_squares_excess_risk needs n > d + 1 = {self.dim + 1}; "
                             f"got n = {n}")
        return self.noise**2 * self.dim / (n - self.dim - 1)

    def _check(self, w) -> np.ndarray:
        w = np.asarray(w, dtype=np.float64)
        if w.shape[-1:] != (self.dim,):
            raise ValueError(f"w must have shape (..., {self.dim}); got {w.shape}")
        return w


def empirical_risk(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """R̂(w) = (1/n) Σᵢ (yᵢ − w·xᵢ)²."""
    return float(np.mean((y - X @ w) ** 2))


def empirical_risk_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇R̂(w) = (2/n) Σᵢ (w·xᵢ − yᵢ) xᵢ."""
    return 2 * X.T @ (X @ w - y) / len(y)


SURROGATES = {
    "0-1": lambda m: (np.asarray(m) <= 0).astype(np.float64),
    "hinge": lambda m: np.maximum(0.0, 1 - np.asarray(m)),
    "logistic (base 2)": lambda m: np.logaddexp(0.0, -np.asarray(m)) / np.log(2),
    "squared": lambda m: (1 - np.asarray(m)) ** 2,
    "exponential": lambda m: np.exp(-np.asarray(m)),
}

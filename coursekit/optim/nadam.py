"""NAdam: Adam with a Nesterov look-ahead on the first moment and a momentum warm-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from coursekit.optim.base import (
    Optimizer,
    check_betas,
    check_nonnegative,
    moving_average,
    moving_average_of_squares,
)


class NAdam(Optimizer):
    r"""NAdam, exactly as ``torch.optim.NAdam`` (Dozat 2016 with torch's momentum schedule).

    With d = ±g + λx (decoupled_weight_decay: x ← (1 − αλ)x first and d = ±g), step k, ψ =
    momentum_decay:

        μ_k = β₁ (1 − ½ · 0.96^(kψ)),   Π_k = μ₁ μ₂ … μ_k
        m ← β₁ m + (1 − β₁) d,          v ← β₂ v + (1 − β₂) d²,    σ = √(v / (1 − β₂ᵏ)) + ε
        x ← x − α (1 − μ_k)/(1 − Π_k) · d/σ − α μ_{k+1}/(1 − Π_k μ_{k+1}) · m/σ

    torch keeps Π_k (state ``mu_product``) in its default dtype: compare in float64 with
    ``torch.set_default_dtype(torch.float64)``.
    """

    hyperparameters = (
        "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize",
    )  # fmt: skip
    scratch_arrays = 3

    def __init__(
        self,
        lr: float = 2e-3,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.betas = check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum_decay = check_nonnegative("momentum_decay", momentum_decay)
        self.decoupled_weight_decay, self.maximize = bool(decoupled_weight_decay), bool(maximize)

    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        zeros = np.zeros(p.shape, p.dtype)
        return {"mu_product": 1.0, "exp_avg": zeros, "exp_avg_sq": zeros.copy()}

    def mu(self, k: int) -> float:
        """The momentum schedule μ_k = β₁ (1 − ½ · 0.96^(k ψ))."""
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (k * self.momentum_decay))

    def begin_step(self, state: dict[str, Any]) -> None:
        state["mu_product"] *= self.mu(state["step"])  # Π_k = Π_{k−1} μ_k

    def update(self, p, g, s, scratch) -> None:
        (beta1, beta2), k, m, v = self.betas, s["step"], s["exp_avg"], s["exp_avg_sq"]
        t, u = scratch[1], scratch[2]
        mu, mu_next, product = self.mu(k), self.mu(k + 1), s["mu_product"]
        if self.decoupled_weight_decay and self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay  # x = (1 − αλ)x
        d = self.direction(p, g, out=scratch[0])  # d = ±g (+ λx)
        moving_average(m, d, beta1, t)  # m = β₁m + (1 − β₁)d
        moving_average_of_squares(v, d, beta2, t)  # v = β₂v + (1 − β₂)d²
        np.divide(v, 1.0 - beta2**k, out=t)  # σ = √(v/(1 − β₂ᵏ)) + ε
        np.sqrt(t, out=t)
        t += self.eps
        np.divide(d, t, out=u)  # x = x − α(1 − μ_k)/(1 − Π_k) · d/σ
        u *= -self.lr * (1.0 - mu) / (1.0 - product)
        p += u
        np.divide(m, t, out=u)  # x = x − α μ_{k+1}/(1 − Π_k μ_{k+1}) · m/σ
        u *= -self.lr * mu_next / (1.0 - product * mu_next)
        p += u

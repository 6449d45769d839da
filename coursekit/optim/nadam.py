"""NAdam: Adam with a Nesterov look-ahead on the first moment and a momentum warm-up."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Betas, Flag, NonNegative, Optimizer, moving_average


@dataclass(eq=False)
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

    lr: NonNegative = 2e-3
    betas: Betas = (0.9, 0.999)
    eps: NonNegative = 1e-8
    weight_decay: NonNegative = 0.0
    momentum_decay: NonNegative = 4e-3
    decoupled_weight_decay: Flag = False
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"mu_product": 1.0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def mu(self, k: int) -> float:
        """The momentum schedule μ_k = β₁ (1 − ½ · 0.96^(k ψ))."""
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (k * self.momentum_decay))

    def update(self, x, g, s) -> None:
        (beta1, beta2), k, m, v = self.betas, s["step"], s["exp_avg"], s["exp_avg_sq"]
        mu, mu_next = self.mu(k), self.mu(k + 1)
        s["mu_product"] = product = s["mu_product"] * mu
        d = self.decayed_direction(x, g)
        moving_average(m, d, beta1)
        moving_average(v, d * d, beta2)
        sigma = np.sqrt(v / (1.0 - beta2**k)) + self.eps
        x -= self.lr * (1.0 - mu) / (1.0 - product) * (d / sigma)
        x -= self.lr * mu_next / (1.0 - product * mu_next) * (m / sigma)

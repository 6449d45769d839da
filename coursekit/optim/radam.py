"""RAdam: Adam whose adaptive step is switched on gradually, as its variance estimate firms up."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Betas, Flag, NonNegative, Optimizer, moving_average


@dataclass(eq=False)
class RAdam(Optimizer):
    r"""RAdam (Liu et al. 2020), exactly as ``torch.optim.RAdam``.

    With d = ±g + λx (decoupled_weight_decay: x ← (1 − αλ)x first and d = ±g), step k:

        m ← β₁ m + (1 − β₁) d,      v ← β₂ v + (1 − β₂) d²
        ρ_∞ = 2/(1 − β₂) − 1,       ρ_k = ρ_∞ − 2k β₂ᵏ/(1 − β₂ᵏ)   (length of the average)
        ρ_k > 5:  r_k = √((ρ_k − 4)(ρ_k − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_k))
                  x ← x − α r_k · m/(1 − β₁ᵏ) · √(1 − β₂ᵏ)/(√v + ε)
        else:     x ← x − α m/(1 − β₁ᵏ)          (momentum SGD while v is unreliable)
    """

    lr: NonNegative = 1e-3
    betas: Betas = (0.9, 0.999)
    eps: NonNegative = 1e-8
    weight_decay: NonNegative = 0.0
    decoupled_weight_decay: Flag = False
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def update(self, x, g, s) -> None:
        (beta1, beta2), k, m, v = self.betas, s["step"], s["exp_avg"], s["exp_avg_sq"]
        d = self.decayed_direction(x, g)
        moving_average(m, d, beta1)
        moving_average(v, d * d, beta2)
        bias1, bias2 = 1 - beta1**k, 1 - beta2**k
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * k * beta2**k / bias2
        if rho > 5.0:
            r = ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5
            x -= m / bias1 * self.lr * (bias2**0.5 / (np.sqrt(v) + self.eps)) * r
        else:
            x -= m / bias1 * self.lr

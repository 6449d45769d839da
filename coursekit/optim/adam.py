"""Adam and AdamW (Adam with decoupled weight decay), plus the lecture's simplified Adam."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Betas, Flag, NonNegative, Optimizer, moving_average


@dataclass(eq=False)
class Adam(Optimizer):
    r"""Adam, exactly as ``torch.optim.Adam`` (``AdamW`` when decoupled_weight_decay=True).

    With d = ±g + λx (coupled decay; decoupled: x ← (1 − αλ)x first and d = ±g), step k:

        m ← β₁ m + (1 − β₁) d            v ← β₂ v + (1 − β₂) d²     (v ← max(v̂_max, v): amsgrad)
        x ← x − α/(1 − β₁ᵏ) · m / (√v / √(1 − β₂ᵏ) + ε)

    ``bias_correction=False`` gives the lecture's simplified Adam x ← x − α m / (√v + ε).
    torch's Adam is that simplified form run with α_k = α √(1 − β₂ᵏ)/(1 − β₁ᵏ) and
    ε_k = ε √(1 − β₂ᵏ): bias correction is a warm-up schedule. With β₁ = β₂ = 0 they coincide.
    """

    lr: NonNegative = 1e-3
    betas: Betas = (0.9, 0.999)
    eps: NonNegative = 1e-8
    weight_decay: NonNegative = 0.0
    amsgrad: Flag = False
    _: KW_ONLY
    maximize: Flag = False
    decoupled_weight_decay: Flag = False
    bias_correction: Flag = True

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        names = ["exp_avg", "exp_avg_sq"] + ["max_exp_avg_sq"] * self.amsgrad
        return {name: np.zeros_like(x) for name in names}

    def update(self, x, g, s) -> None:
        (beta1, beta2), k = self.betas, s["step"]
        m, v = s["exp_avg"], s["exp_avg_sq"]
        d = self.decayed_direction(x, g)
        moving_average(m, d, beta1)
        moving_average(v, d * d, beta2)
        if self.amsgrad:
            v = np.maximum(s["max_exp_avg_sq"], v, out=s["max_exp_avg_sq"])
        bias1, bias2 = (1 - beta1**k, 1 - beta2**k) if self.bias_correction else (1.0, 1.0)
        x -= self.lr / bias1 * (m / (np.sqrt(v) / bias2**0.5 + self.eps))


@dataclass(eq=False)
class AdamW(Adam):
    r"""AdamW, exactly as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    x ← (1 − αλ) x,  then the Adam step on ±g (λ = weight_decay, default 1e-2).
    """

    weight_decay: NonNegative = 1e-2
    _: KW_ONLY
    decoupled_weight_decay: Flag = True

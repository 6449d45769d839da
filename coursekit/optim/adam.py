"""Adam and AdamW (Adam with decoupled weight decay), plus the lecture's simplified Adam."""

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


class Adam(Optimizer):
    r"""Adam, exactly as ``torch.optim.Adam`` (``AdamW`` when decoupled_weight_decay=True).

    With d = ±g + λx (coupled decay; decoupled: x ← (1 − αλ)x first and d = ±g), step k:

        m ← β₁ m + (1 − β₁) d            v ← β₂ v + (1 − β₂) d²     (v ← max(v̂_max, v): amsgrad)
        x ← x − α/(1 − β₁ᵏ) · m / (√v / √(1 − β₂ᵏ) + ε)

    ``bias_correction=False`` gives the lecture's simplified Adam x ← x − α m / (√v + ε).
    torch's Adam is that simplified form run with α_k = α √(1 − β₂ᵏ)/(1 − β₁ᵏ) and
    ε_k = ε √(1 − β₂ᵏ): bias correction is a warm-up schedule. With β₁ = β₂ = 0 they coincide.
    """

    hyperparameters = (
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "decoupled_weight_decay",
        "bias_correction",
    )

    def __init__(
        self,
        lr: float = 1e-3,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        bias_correction: bool = True,
    ) -> None:
        super().__init__(lr)
        self.betas = check_betas(betas)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.amsgrad, self.maximize = bool(amsgrad), bool(maximize)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)
        self.bias_correction = bool(bias_correction)

    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if self.amsgrad else ())
        return {name: np.zeros(p.shape, p.dtype) for name in names}

    def update(self, p, g, s, scratch) -> None:
        (beta1, beta2), k, t = self.betas, s["step"], scratch[1]
        m, v = s["exp_avg"], s["exp_avg_sq"]
        if self.decoupled_weight_decay and self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay  # x = (1 − αλ)x
        d = self.direction(p, g, out=scratch[0])  # d = ±g (+ λx)
        moving_average(m, d, beta1, t)  # m = β₁m + (1 − β₁)d
        moving_average_of_squares(v, d, beta2, t)  # v = β₂v + (1 − β₂)d²
        if self.amsgrad:
            v = np.maximum(s["max_exp_avg_sq"], v, out=s["max_exp_avg_sq"])
        bias1, bias2 = (1.0 - beta1**k, 1.0 - beta2**k) if self.bias_correction else (1.0, 1.0)
        np.sqrt(v, out=t)  # x = x − α/(1 − β₁ᵏ) · m / (√v/√(1 − β₂ᵏ) + ε)
        t /= bias2**0.5
        t += self.eps
        np.divide(m, t, out=t)
        t *= -self.lr / bias1
        p += t


class AdamW(Adam):
    r"""AdamW, exactly as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    x ← (1 − αλ) x,  then the Adam step on ±g (λ = weight_decay, default 1e-2).
    """

    hyperparameters = ("betas", "eps", "weight_decay", "amsgrad", "maximize")

    def __init__(
        self,
        lr: float = 1e-3,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True
        )

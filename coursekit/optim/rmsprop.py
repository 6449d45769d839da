"""RMSprop: divide the step by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from coursekit.optim.base import (
    Optimizer,
    check_nonnegative,
    check_unit_interval,
    moving_average,
    moving_average_of_squares,
)


class RMSprop(Optimizer):
    r"""RMSprop, exactly as ``torch.optim.RMSprop`` (alpha is the decay ρ of the lectures).

    With d = ±g + λx:

        v ← ρ v + (1 − ρ) d²
        σ = √v + ε,  or centered: ḡ ← ρ ḡ + (1 − ρ) d,  σ = √(v − ḡ²) + ε
        x ← x − α d/σ,  or with momentum μ: b ← μ b + d/σ,  x ← x − α b
    """

    hyperparameters = ("alpha", "eps", "weight_decay", "momentum", "centered", "maximize")

    def __init__(
        self,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.alpha = check_unit_interval("alpha", alpha)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.momentum = check_nonnegative("momentum", momentum)
        self.centered, self.maximize = bool(centered), bool(maximize)

    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        names = ("square_avg",) + (("momentum_buffer",) if self.momentum else ())
        names += ("grad_avg",) if self.centered else ()
        return {name: np.zeros(p.shape, p.dtype) for name in names}

    def update(self, p, g, s, scratch) -> None:
        rho, v, t = self.alpha, s["square_avg"], scratch[1]
        d = self.direction(p, g, out=scratch[0])  # d = ±g + λx
        moving_average_of_squares(v, d, rho, t)  # v = ρv + (1 − ρ)d²
        if self.centered:
            mean = s["grad_avg"]
            moving_average(mean, d, rho, t)  # ḡ = ρḡ + (1 − ρ)d
            np.multiply(mean, mean, out=t)  # σ = √(v − ḡ²) + ε
            np.subtract(v, t, out=t)
            np.sqrt(t, out=t)
        else:
            np.sqrt(v, out=t)  # σ = √v + ε
        t += self.eps
        np.divide(d, t, out=t)  # t = d/σ
        if self.momentum:
            b = s["momentum_buffer"]
            b *= self.momentum  # b = μb + d/σ
            t = np.add(b, t, out=b)
        step = np.multiply(t, -self.lr, out=scratch[0])  # x = x − α·(d/σ or b); d is spent
        p += step

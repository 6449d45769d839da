"""RMSprop: divide the step by a running root-mean-square of recent gradients."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer, UnitInterval, moving_average


@dataclass(eq=False)
class RMSprop(Optimizer):
    r"""RMSprop, exactly as ``torch.optim.RMSprop`` (alpha is the decay ρ of the lectures).

    With d = ±g + λx:

        v ← ρ v + (1 − ρ) d²
        σ = √v + ε,  or centered: ḡ ← ρ ḡ + (1 − ρ) d,  σ = √(v − ḡ²) + ε
        x ← x − α d/σ,  or with momentum μ: b ← μ b + d/σ,  x ← x − α b
    """

    lr: NonNegative = 1e-2
    alpha: UnitInterval = 0.99
    eps: NonNegative = 1e-8
    weight_decay: NonNegative = 0.0
    momentum: NonNegative = 0.0
    centered: Flag = False
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        names = ["square_avg"] + ["momentum_buffer"] * bool(self.momentum)
        return {name: np.zeros_like(x) for name in names + ["grad_avg"] * self.centered}

    def update(self, x, g, s) -> None:
        rho, v = self.alpha, s["square_avg"]
        d = self.decayed_direction(x, g)
        moving_average(v, d * d, rho)
        if self.centered:
            mean = s["grad_avg"]
            moving_average(mean, d, rho)
            step = d / (np.sqrt(v - mean * mean) + self.eps)
        else:
            step = d / (np.sqrt(v) + self.eps)
        if self.momentum:
            b = s["momentum_buffer"]
            b *= self.momentum
            b += step
            step = b
        x -= self.lr * step

"""Adadelta: steps in the units of x, from running averages of squared gradients and steps."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer, UnitInterval, moving_average


@dataclass(eq=False)
class Adadelta(Optimizer):
    r"""Adadelta, exactly as ``torch.optim.Adadelta`` (lr scales the step; Zeiler's form is lr=1).

    With d = ±g + λx:

        v ← ρ v + (1 − ρ) d²
        Δ = √(u + ε) / √(v + ε) · d
        u ← ρ u + (1 − ρ) Δ²
        x ← x − α Δ
    """

    lr: NonNegative = 1.0
    rho: UnitInterval = 0.9
    eps: NonNegative = 1e-6
    weight_decay: NonNegative = 0.0
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"square_avg": np.zeros_like(x), "acc_delta": np.zeros_like(x)}

    def update(self, x, g, s) -> None:
        v, u = s["square_avg"], s["acc_delta"]
        d = self.decayed_direction(x, g)
        moving_average(v, d * d, self.rho)
        delta = np.sqrt(u + self.eps) / np.sqrt(v + self.eps) * d
        moving_average(u, delta * delta, self.rho)
        x -= self.lr * delta

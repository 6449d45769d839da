"""ASGD: stochastic gradient descent that also keeps the running average of its iterates."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer


@dataclass(eq=False)
class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky 1992), exactly as ``torch.optim.ASGD``.

    With d = ±g + λ_wd x, step k, a decaying step η (η₁ = lr) and averaging weight μ (μ₁ = 1):

        x ← (1 − λη) x − η d
        x̄ ← x̄ + μ (x − x̄)                  (x̄ = state "ax": the average the method returns)
        η ← lr / (1 + λ lr k)^α,   μ ← 1 / max(1, k − t₀)

    So x̄ is x itself until step t₀, and the plain average of the iterates after it.
    """

    lr: NonNegative = 1e-2
    lambd: NonNegative = 1e-4
    alpha: NonNegative = 0.75
    t0: NonNegative = 1e6
    weight_decay: NonNegative = 0.0
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"eta": self.lr, "mu": 1.0, "ax": np.zeros_like(x)}

    def update(self, x, g, s) -> None:
        k, eta, mu, ax = s["step"], s["eta"], s["mu"], s["ax"]
        d = self.decayed_direction(x, g)
        x *= 1 - self.lambd * eta
        x -= eta * d
        if mu != 1:
            ax += (x - ax) * mu
        else:
            ax[...] = x
        s["eta"] = self.lr / ((1 + self.lambd * self.lr * k) ** self.alpha)
        s["mu"] = 1 / max(1, k - self.t0)

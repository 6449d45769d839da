"""Adamax: Adam with the root-mean-square replaced by a decaying maximum (the ∞-norm)."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Betas, Flag, NonNegative, Optimizer, moving_average


@dataclass(eq=False)
class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba 2015, §7.1), exactly as ``torch.optim.Adamax``.

    With d = ±g + λx and step k:

        m ← β₁ m + (1 − β₁) d,      u ← max(β₂ u, |d| + ε)
        x ← x − α/(1 − β₁ᵏ) · m/u
    """

    lr: NonNegative = 2e-3
    betas: Betas = (0.9, 0.999)
    eps: NonNegative = 1e-8
    weight_decay: NonNegative = 0.0
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"exp_avg": np.zeros_like(x), "exp_inf": np.zeros_like(x)}

    def update(self, x, g, s) -> None:
        (beta1, beta2), k, m, u = self.betas, s["step"], s["exp_avg"], s["exp_inf"]
        d = self.decayed_direction(x, g)
        moving_average(m, d, beta1)
        np.maximum(beta2 * u, np.abs(d) + self.eps, out=u)
        x -= self.lr / (1 - beta1**k) * (m / u)

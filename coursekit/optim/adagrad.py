"""Adagrad: per-coordinate steps shrinking with the accumulated squared gradient."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer


@dataclass(eq=False)
class Adagrad(Optimizer):
    r"""Adagrad, exactly as ``torch.optim.Adagrad``.

    With d = ±g + λx and step k = 1, 2, … (G₀ = initial_accumulator_value):

        α_k = α / (1 + (k − 1) · lr_decay)
        G ← G + d²
        x ← x − α_k · d / (√G + ε)
    """

    lr: NonNegative = 1e-2
    lr_decay: NonNegative = 0.0
    weight_decay: NonNegative = 0.0
    initial_accumulator_value: NonNegative = 0.0
    eps: NonNegative = 1e-10
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"sum": np.full_like(x, self.initial_accumulator_value)}

    def update(self, x, g, s) -> None:
        G = s["sum"]
        d = self.decayed_direction(x, g)
        lr = self.lr / (1.0 + (s["step"] - 1) * self.lr_decay)
        G += d * d
        x -= lr * (d / (np.sqrt(G) + self.eps))

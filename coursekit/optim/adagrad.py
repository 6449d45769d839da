"""Adagrad: per-coordinate steps shrinking with the accumulated squared gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from coursekit.optim.base import Optimizer, check_nonnegative


class Adagrad(Optimizer):
    r"""Adagrad, exactly as ``torch.optim.Adagrad``.

    With d = ±g + λx and step k = 1, 2, … (G₀ = initial_accumulator_value):

        α_k = α / (1 + (k − 1) · lr_decay)
        G ← G + d²
        x ← x − α_k · d / (√G + ε)
    """

    hyperparameters = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")

    def __init__(
        self,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.lr_decay = check_nonnegative("lr_decay", lr_decay)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.initial_accumulator_value = check_nonnegative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.eps = check_nonnegative("eps", eps)
        self.maximize = bool(maximize)

    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"sum": np.full(p.shape, self.initial_accumulator_value, p.dtype)}

    def update(self, p, g, s, scratch) -> None:
        G, t = s["sum"], scratch[1]
        d = self.direction(p, g, out=scratch[0])  # d = ±g + λx
        lr = self.lr / (1.0 + (s["step"] - 1) * self.lr_decay)  # α_k
        np.multiply(d, d, out=t)  # G = G + d²
        G += t
        np.sqrt(G, out=t)  # x = x − α_k d / (√G + ε)
        t += self.eps
        np.divide(d, t, out=t)
        t *= -lr
        p += t

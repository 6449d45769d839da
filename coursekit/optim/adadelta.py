"""Adadelta: steps in the units of x, from running averages of squared gradients and steps."""

from __future__ import annotations

from typing import Any

import numpy as np

from coursekit.optim.base import (
    Optimizer,
    check_nonnegative,
    check_unit_interval,
    moving_average_of_squares,
)


class Adadelta(Optimizer):
    r"""Adadelta, exactly as ``torch.optim.Adadelta`` (lr scales the step; Zeiler's form is lr=1).

    With d = ±g + λx:

        v ← ρ v + (1 − ρ) d²
        Δ = √(u + ε) / √(v + ε) · d
        u ← ρ u + (1 − ρ) Δ²
        x ← x − α Δ
    """

    hyperparameters = ("rho", "eps", "weight_decay", "maximize")
    scratch_arrays = 3

    def __init__(
        self,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.rho = check_unit_interval("rho", rho)
        self.eps = check_nonnegative("eps", eps)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.maximize = bool(maximize)

    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"square_avg": np.zeros(p.shape, p.dtype), "acc_delta": np.zeros(p.shape, p.dtype)}

    def update(self, p, g, s, scratch) -> None:
        rho, v, u = self.rho, s["square_avg"], s["acc_delta"]
        t, delta = scratch[1], scratch[2]
        d = self.direction(p, g, out=scratch[0])  # d = ±g + λx
        moving_average_of_squares(v, d, rho, t)  # v = ρv + (1 − ρ)d²
        np.add(v, self.eps, out=t)  # Δ = √(u + ε)/√(v + ε) · d
        np.sqrt(t, out=t)
        np.add(u, self.eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= t
        delta *= d
        moving_average_of_squares(u, delta, rho, t)  # u = ρu + (1 − ρ)Δ²
        delta *= -self.lr  # x = x − αΔ
        p += delta

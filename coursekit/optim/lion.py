"""Lion: momentum whose step is only the sign of each coordinate (found by program search)."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Betas, Flag, NonNegative, Optimizer


@dataclass(eq=False)
class Lion(Optimizer):
    r"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), exactly as
    the ``lion-pytorch`` package's ``Lion`` (torch has none). Step k, gradient g:

        x ← (1 − α λ') x                           (decoupled weight decay)
        c = β₁ m + (1 − β₁) g                      (the direction: an interpolation …)
        x ← x − α sign(c)                          (… of which only the sign is used)
        m ← β₂ m + (1 − β₂) g                      (momentum, with a *different* β)

    λ' = λ; with ``decoupled_weight_decay=True``, λ' = λ/α₀ (α₀ = the lr at construction), so
    the decay per step is λ·α/α₀: independent of the lr's scale, following only a schedule.
    Every coordinate moves by exactly ±α (0 where c = 0): the update has the same size as
    signSGD's, so Lion wants an lr 3-10× smaller than AdamW's and a λ 3-10× larger.
    """

    lr: NonNegative = 1e-4
    betas: Betas = (0.9, 0.99)
    weight_decay: NonNegative = 0.0
    _: KW_ONLY
    decoupled_weight_decay: Flag = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.initial_lr = self.__dict__.get("initial_lr", self.lr)
        if self.decoupled_weight_decay and self.initial_lr == 0:
            raise ValueError("decoupled_weight_decay=True divides weight_decay by the initial "
                             "lr, which must then be > 0; got lr=0")

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"exp_avg": np.zeros_like(x)}

    def update(self, x, g, s) -> None:
        (beta1, beta2), m = self.betas, s["exp_avg"]
        decay = self.weight_decay / self.initial_lr if self.decoupled_weight_decay \
            else self.weight_decay
        if decay:
            x *= 1.0 - self.lr * decay
        x -= self.lr * np.sign(beta1 * m + (1.0 - beta1) * g)
        m *= beta2
        m += (1.0 - beta2) * g

"""Gradient descent with momentum: torch's SGD, and the lecture's heavy-ball form."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer


@dataclass(eq=False)
class SGD(Optimizer):
    r"""Stochastic gradient descent, exactly as ``torch.optim.SGD``.

    With d = ±g + λx (λ = weight_decay, minus sign when maximize) and step k = 1, 2, …

        b₁ = d₁,   b_k = μ b_{k−1} + (1 − τ) d_k        (momentum μ, dampening τ)
        x ← x − α b_k                                     (or x ← x − α (d_k + μ b_k), nesterov)

    Without momentum this is plain gradient descent x ← x − α d. Note the learning rate
    multiplies the whole buffer, so changing α rescales the accumulated velocity; see
    ``HeavyBall`` for the lecture's v ← βv − αg, which coincides while α is constant.
    """

    lr: NonNegative = 1e-3
    momentum: NonNegative = 0.0
    dampening: NonNegative = 0.0
    weight_decay: NonNegative = 0.0
    nesterov: Flag = False
    _: KW_ONLY
    maximize: Flag = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0; "
                             f"got momentum={self.momentum!r}, dampening={self.dampening!r}")

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros_like(x)} if self.momentum else {}

    def update(self, x, g, s) -> None:
        d = self.decayed_direction(x, g)
        if self.momentum:
            b = s["momentum_buffer"]
            if s["step"] == 1:
                b[...] = d
            else:
                b *= self.momentum
                b += (1.0 - self.dampening) * d if self.dampening else d  # 1·d: a wasted pass
            d = d + self.momentum * b if self.nesterov else b
        x -= self.lr * d


@dataclass(eq=False)
class HeavyBall(Optimizer):
    r"""Polyak's heavy ball in the lecture's form: v ← βv − αg, x ← x + v (v₀ = 0).

    (Some notes write it with m = −v: m ← βm + αg, x ← x − m; the same iterates.)

    Unrolled, v_k = −α Σ_j β^{k−j} g_j, which is −α times torch's momentum buffer; so this is
    ``SGD(lr=α, momentum=β)`` step for step as long as α is constant. When a schedule changes
    α, the two differ: here the new α only scales new gradients, in torch it rescales the
    whole accumulated velocity.
    """

    lr: NonNegative = 1e-3
    momentum: NonNegative = 0.9

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"velocity": np.zeros_like(x)}

    def update(self, x, g, s) -> None:
        v = s["velocity"]
        v *= self.momentum
        v -= self.lr * g
        x += v

"""Gradient descent with momentum: torch's SGD, and the lecture's heavy-ball form."""

from __future__ import annotations

from typing import Any

import numpy as np

from coursekit.optim.base import Optimizer, check_nonnegative


class SGD(Optimizer):
    r"""Stochastic gradient descent, exactly as ``torch.optim.SGD``.

    With d = ±g + λx (λ = weight_decay, minus sign when maximize) and step k = 1, 2, …

        b₁ = d₁,   b_k = μ b_{k−1} + (1 − τ) d_k        (momentum μ, dampening τ)
        x ← x − α b_k                                     (or x ← x − α (d_k + μ b_k), nesterov)

    Without momentum this is plain gradient descent x ← x − α d. Note the learning rate
    multiplies the whole buffer, so changing α rescales the accumulated velocity; see
    ``HeavyBall`` for the lecture's v ← βv − αg, which coincides while α is constant.
    """

    hyperparameters = ("momentum", "dampening", "weight_decay", "nesterov", "maximize")

    def __init__(
        self,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(lr)
        self.momentum = check_nonnegative("momentum", momentum)
        self.dampening = check_nonnegative("dampening", dampening)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0; "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        self.nesterov, self.maximize = bool(nesterov), bool(maximize)

    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"momentum_buffer": np.zeros(p.shape, p.dtype)} if self.momentum else {}

    def begin_step(self, state: dict[str, Any]) -> None:
        if self.momentum and "momentum_buffer" not in state:
            raise ValueError(
                "momentum was 0 when this optimizer's state was created; call reset() before "
                f"switching it on (momentum={self.momentum})"
            )

    def update(self, p, g, s, scratch) -> None:
        t = scratch[1]
        d = self.direction(p, g, out=scratch[0])  # d = ±g + λx
        if self.momentum:
            b = s["momentum_buffer"]
            if s["step"] == 1:
                np.copyto(b, d)  # b = d
            else:
                b *= self.momentum  # b = μb + (1 − τ)d
                b += np.multiply(d, 1.0 - self.dampening, out=t) if self.dampening else d
            if self.nesterov:
                np.multiply(b, self.momentum, out=t)  # d = d + μb
                d = np.add(d, t, out=t)
            else:
                d = b
        np.multiply(d, -self.lr, out=t)  # x = x − αd
        p += t


class HeavyBall(Optimizer):
    r"""Polyak's heavy ball in the lecture's form: v ← βv − αg, x ← x + v (v₀ = 0).

    (Some notes write it with m = −v: m ← βm + αg, x ← x − m; the same iterates.)

    Unrolled, v_k = −α Σ_j β^{k−j} g_j, which is −α times torch's momentum buffer; so this is
    ``SGD(lr=α, momentum=β)`` step for step as long as α is constant. When a schedule changes
    α, the two differ: here the new α only scales new gradients, in torch it rescales the
    whole accumulated velocity.
    """

    hyperparameters = ("momentum",)

    def __init__(self, lr: float = 1e-3, momentum: float = 0.9) -> None:
        super().__init__(lr)
        self.momentum = check_nonnegative("momentum", momentum)

    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"velocity": np.zeros(p.shape, p.dtype)}

    def update(self, p, g, s, scratch) -> None:
        v, t = s["velocity"], scratch[0]
        v *= self.momentum  # v = βv − αg
        np.multiply(g, -self.lr, out=t)
        v += t
        p += v  # x = x + v

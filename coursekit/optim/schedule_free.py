"""Schedule-Free SGD and AdamW: average the iterates instead of decaying the learning rate.

The parameters a model holds while training are y, where the gradient is taken; the point to
evaluate (and to ship) is the average x. ``eval(params)`` swaps x into the parameters,
``train(params)`` swaps y back, ``eval_params()`` returns copies of x; ``step`` refuses to run
in eval mode.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Annotated, Any

import numpy as np

from coursekit.optim.base import (
    Betas,
    Flag,
    NonNegative,
    Optimizer,
    Params,
    _pairs,
    check_nonnegative,
)


def check_warmup_steps(name: str, value: int) -> int:
    """An integer >= 0, or ValueError."""
    if not (isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 0):
        raise ValueError(f"{name} must be an integer >= 0; got {value!r}")
    return int(value)


def check_open_unit_interval(name: str, value: float) -> float:
    """A float in (0, 1), or ValueError."""
    x = check_nonnegative(name, value)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {value!r}")
    return x


class ScheduleFree(Optimizer):
    r"""What both Schedule-Free rules share (Defazio et al. 2024, "The Road Less Scheduled").

    Three sequences per parameter: z (the base method's iterates, state "z"), x (their
    weighted average, state "x": the point to evaluate) and y = β x + (1 − β) z (the point the
    gradient is taken at, held in the params while training). Step k:

        α_k = α · min(1, k / warmup_steps)                     (linear warm-up, if any)
        w_k = k^r · (max_{j≤k} α_j)^weight_lr_power,   c_k = w_k / Σ_{j≤k} w_j
        z ← z − α_k · (base direction at y)                    (``direction``)
        x ← (1 − c_k) x + c_k z,    y ← β x + (1 − β) z

    With r = 0 and no warm-up, c_k = 1/k: x is the plain running mean of z₁ … z_k, which is
    what a decaying schedule approximates, so none is needed.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.train_mode = True

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"z": x.copy(), "x": x.copy(), "weight_sum": 0.0, "lr_max": -1.0}

    def momentum_value(self) -> float:
        raise NotImplementedError

    def direction(self, y, g, s, lr: float) -> np.ndarray:
        """The base method's step direction at y; may change s["z"] (weight decay at z)."""
        raise NotImplementedError

    def update(self, y, g, s) -> None:
        k, z, x = s["step"], s["z"], s["x"]
        lr = self.lr * (min(1.0, k / self.warmup_steps) if self.warmup_steps else 1.0)
        s["lr_max"] = lr_max = max(lr, s["lr_max"])
        weight = k**self.r * lr_max**self.weight_lr_power
        s["weight_sum"] += weight
        c = weight / s["weight_sum"] if s["weight_sum"] else 0.0
        z -= lr * self.direction(y, g, s, lr)
        x *= 1.0 - c
        x += c * z
        beta = self.momentum_value()
        y[...] = beta * x + (1.0 - beta) * z

    def step(self, params: Params, grads: Params) -> Params:
        """One step from the gradients taken at y; raises in eval mode (call train first)."""
        if not self.train_mode:
            raise ValueError(f"{type(self).__name__} is in eval mode (params hold the average x)"
                             "; call opt.train(params) before step, to take gradients at y")
        return super().step(params, grads)

    def eval_params(self) -> list[np.ndarray]:
        """Copies of the averages x, one per parameter position (the point to evaluate)."""
        return [self.state[i]["x"].copy() for i in sorted(self.state)]

    def eval(self, params: Params) -> Params:
        """Write the averages x into ``params`` (in place) and enter eval mode."""
        if self.train_mode:
            self._write(params, lambda s: s["x"])
        self.train_mode = False
        return params

    def train(self, params: Params) -> Params:
        """Write y = β x + (1 − β) z back into ``params`` (in place) and enter train mode."""
        if not self.train_mode:
            beta = self.momentum_value()
            self._write(params, lambda s: beta * s["x"] + (1.0 - beta) * s["z"])
        self.train_mode = True
        return params

    def _write(self, params: Params, value) -> None:
        arrays = [x for x, _ in _pairs(params, params)]
        for i, p in enumerate(arrays):
            if i in self.state:
                if self._layout[i] != (p.shape, p.dtype):
                    raise ValueError(f"params[{i}] has shape {p.shape} and dtype {p.dtype} but "
                                     f"the optimizer's state was built for {self._layout[i]}")
                p[...] = value(self.state[i])

    def reset(self) -> None:
        super().reset()
        self.train_mode = True


@dataclass(eq=False)
class SGDScheduleFree(ScheduleFree):
    r"""Schedule-Free SGD, exactly as ``schedulefree.SGDScheduleFreeReference``.

    The base direction is d = g + λ y (coupled weight decay, at y), so z ← z − α_k d, and
    β = momentum interpolates y between x (β → 1) and z (β → 0); see ``ScheduleFree``.
    """

    lr: NonNegative = 1.0
    momentum: Annotated[float, check_open_unit_interval] = 0.9
    weight_decay: NonNegative = 0.0
    warmup_steps: Annotated[int, check_warmup_steps] = 0
    r: NonNegative = 0.0
    weight_lr_power: NonNegative = 2.0

    def momentum_value(self) -> float:
        return self.momentum

    def direction(self, y, g, s, lr: float) -> np.ndarray:
        return g + self.weight_decay * y if self.weight_decay else g


@dataclass(eq=False)
class AdamWScheduleFree(ScheduleFree):
    r"""Schedule-Free AdamW, exactly as ``schedulefree.AdamWScheduleFreeReference``.

    Step k (β₁ = betas[0] plays the role of momentum, β₂ that of Adam's):

        z ← z − α_k λ p                 (p = y, or z with decay_at_z: decoupled weight decay)
        v ← β₂ v + (1 − β₂) g²,         z ← z − α_k g / (√(v / (1 − β₂ᵏ)) + ε)

    then the averaging of ``ScheduleFree`` with β = β₁. There is no first moment m: the
    interpolation y between x and z does momentum's job.
    """

    lr: NonNegative = 0.0025
    betas: Betas = (0.9, 0.999)
    eps: NonNegative = 1e-8
    weight_decay: NonNegative = 0.0
    warmup_steps: Annotated[int, check_warmup_steps] = 0
    r: NonNegative = 0.0
    weight_lr_power: NonNegative = 2.0
    _: KW_ONLY
    decay_at_z: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {**super().init_state(x), "exp_avg_sq": np.zeros_like(x)}

    def momentum_value(self) -> float:
        return self.betas[0]

    def direction(self, y, g, s, lr: float) -> np.ndarray:
        beta2, z, v = self.betas[1], s["z"], s["exp_avg_sq"]
        if self.weight_decay:
            z -= lr * self.weight_decay * (z if self.decay_at_z else y)
        v *= beta2
        v += (1.0 - beta2) * g * g
        return g / (np.sqrt(v / (1.0 - beta2 ** s["step"])) + self.eps)


__all__ = ["ScheduleFree", "SGDScheduleFree", "AdamWScheduleFree"]

"""Rprop: a step size per coordinate, grown while the gradient keeps its sign, cut when it flips."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Annotated, Any

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer, check_nonnegative


def check_etas(name: str, etas: Sequence[float]) -> tuple[float, float]:
    """(η₋, η₊) with 0 < η₋ < 1 < η₊, or ValueError."""
    pair = tuple(check_nonnegative(name, e) for e in etas) if isinstance(etas, Sequence) else ()
    if len(pair) != 2 or not 0.0 < pair[0] < 1.0 < pair[1]:
        raise ValueError(f"{name} must be a pair (etaminus, etaplus) with 0 < etaminus < 1 < "
                         f"etaplus; got {etas!r}")
    return pair


def check_step_sizes(name: str, sizes: Sequence[float]) -> tuple[float, float]:
    """(min, max) with 0 <= min <= max, or ValueError."""
    pair = tuple(check_nonnegative(name, e) for e in sizes) if isinstance(sizes, Sequence) else ()
    if len(pair) != 2 or not pair[0] <= pair[1]:
        raise ValueError(f"{name} must be a pair (min, max) with 0 <= min <= max; got {sizes!r}")
    return pair


@dataclass(eq=False)
class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun 1993), exactly as ``torch.optim.Rprop``.

    Each coordinate keeps its own step size Δ (Δ₀ = lr) and the last gradient it used, p.
    With d = ±g:

        Δ ← clip(η₊ Δ, Δ_min, Δ_max) where d·p > 0 (same sign: speed up),
            clip(η₋ Δ, Δ_min, Δ_max) where d·p < 0 (overshot: slow down, and set d = 0),
        x ← x − sign(d) Δ,      p ← d

    Only the sign of the gradient is used, so it suits full-batch training, not minibatches.
    """

    lr: NonNegative = 1e-2
    etas: Annotated[tuple[float, float], check_etas] = (0.5, 1.2)
    step_sizes: Annotated[tuple[float, float], check_step_sizes] = (1e-6, 50.0)
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        return {"prev": np.zeros_like(x), "step_size": np.full_like(x, self.lr)}

    def update(self, x, g, s) -> None:
        (eta_minus, eta_plus), step_size = self.etas, s["step_size"]
        d = -g if self.maximize else g
        same_sign = np.sign(d * s["prev"])
        step_size *= np.where(same_sign > 0, eta_plus, np.where(same_sign < 0, eta_minus, 1.0))
        np.clip(step_size, *self.step_sizes, out=step_size)
        d = np.where(same_sign < 0, 0.0, d)
        x -= np.sign(d) * step_size
        s["prev"][...] = d

"""Adafactor: Adam-like steps whose second moment of a matrix is stored as a row and a column."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Annotated, Any

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer, check_nonnegative


def check_beta2_decay(name: str, value: float) -> float:
    """A finite number <= 0, or ValueError."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not (math.isfinite(x) and x <= 0.0):
        raise ValueError(f"{name} must be a finite number <= 0; got {value!r}")
    return x


def check_eps(name: str, eps: Sequence[float | None]) -> tuple[float | None, float]:
    """(ε₁ or None, ε₂) with both >= 0, or ValueError."""
    if not isinstance(eps, Sequence) or len(eps) != 2:
        raise ValueError(f"{name} must be a pair (eps1 or None, eps2); got {eps!r}")
    eps1 = None if eps[0] is None else check_nonnegative(f"{name}[0]", eps[0])
    return eps1, check_nonnegative(f"{name}[1]", eps[1])


def check_clipping(name: str, value: float) -> float:
    """A finite number >= 1, or ValueError."""
    x = check_nonnegative(name, value)
    if x < 1.0:
        raise ValueError(f"{name} (the clipping threshold) must be >= 1; got {value!r}")
    return x


@dataclass(eq=False)
class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern 2018), exactly as ``torch.optim.Adafactor``.

    For an (…, m, n) parameter with gradient G (±g; the weight decay x ← (1 − αλ)x is
    decoupled), step k, β̂_k = k^beta2_decay (the weight of the new gradient, 1 at k = 1):

        R ← R + β̂_k (rowmean(G²) − R)            (…, m, 1)
        C ← C + β̂_k (colmean(G²) − C)            (…, 1, n)
        V = R C / max(mean(R), ε₁)                (rank one: m + n numbers instead of m n)
        U = G / √max(V, ε₁²),   U ← U / max(1, rms(U)/d)     (update clipping)
        x ← x − max(ε₂, rms(x)) · min(α, 1/√k) · U

    Vectors and scalars keep the full V ← V + β̂_k (G² − V). ε₁ = None means the dtype's
    machine epsilon. A whole-tensor rule: rms(x) and the row and column means need all of x.
    """

    elementwise = False
    decoupled_weight_decay = True  # always, in torch's Adafactor (not an option)

    lr: NonNegative = 1e-2
    beta2_decay: Annotated[float, check_beta2_decay] = -0.8
    eps: Annotated[tuple[float | None, float], check_eps] = (None, 1e-3)
    d: Annotated[float, check_clipping] = 1.0
    weight_decay: NonNegative = 0.0
    _: KW_ONLY
    maximize: Flag = False

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        if x.ndim < 2:
            return {"variance": np.zeros_like(x)}
        return {"row_var": np.zeros(x.shape[:-1] + (1,), x.dtype),
                "col_var": np.zeros(x.shape[:-2] + (1, x.shape[-1]), x.dtype)}

    def update(self, x, g, s) -> None:
        k = s["step"]
        eps1 = np.finfo(x.dtype).eps if self.eps[0] is None else self.eps[0]
        beta2 = k**self.beta2_decay
        step = max(self.eps[1], rms(x)) * min(self.lr, 1 / k**0.5)
        G = self.decayed_direction(x, g)
        if x.ndim < 2:
            s["variance"] += beta2 * (G * G - s["variance"])
            V = s["variance"]
        else:
            R, C = s["row_var"], s["col_var"]
            R += beta2 * ((G * G).mean(axis=-1, keepdims=True) - R)
            C += beta2 * ((G * G).mean(axis=-2, keepdims=True) - C)
            V = R @ C / np.maximum(R.mean(axis=-2, keepdims=True), eps1)
        U = G / np.sqrt(np.maximum(V, eps1 * eps1))
        x -= step / max(1.0, rms(U) / self.d) * U


def rms(a: np.ndarray) -> float:
    """√(mean a²): the root-mean-square of all entries."""
    return float(np.linalg.norm(a.reshape(-1))) / a.size**0.5

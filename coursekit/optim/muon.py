"""Muon: momentum whose update matrix is orthogonalized, so every direction moves equally."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer, UnitInterval


def round_to_bfloat16(a: np.ndarray) -> np.ndarray:
    """Each entry rounded to the nearest bfloat16 (8 significant bits, ties to even), as float64.

    (Exact for the range a step sees; bfloat16's subnormals and overflow are not modelled.)
    """
    mantissa, exponent = np.frexp(a)
    return np.ldexp(np.round(mantissa * 256.0) / 256.0, exponent)


def newton_schulz(G: np.ndarray, coefficients: Sequence[float], steps: int, eps: float,
                  precision: str = "bfloat16") -> np.ndarray:
    r"""≈ U Vᵀ for G = U S Vᵀ, by ``steps`` quintic Newton–Schulz iterations (torch's
    ``_zeropower_via_newtonschulz``). With X = G/‖G‖_F (wide: X is G or Gᵀ, rows ≤ columns):

        A = X Xᵀ,    B = b A + c A²,    X ← a X + B X

    which maps each singular value σ to aσ + bσ³ + cσ⁵. precision="bfloat16" rounds every
    intermediate to bfloat16 once per fused multiply-add, as torch does (bit for bit on small
    matrices but for rare one-ulp differences where torch's float32 accumulation rounds
    first, more often on large matrices); "float64" runs the same iteration exactly.
    """
    a, b, c = coefficients
    r = round_to_bfloat16 if precision == "bfloat16" else lambda m: m
    if precision == "bfloat16":  # torch's bfloat16 addmm scales by float32 alpha and beta
        a, b, c = (float(np.float32(v)) for v in coefficients)
    tall = G.shape[0] > G.shape[1]
    X = r(G.T if tall else G)
    X = r(X / max(r(np.linalg.norm(X)), r(eps)))
    for _ in range(steps):
        A = r(X @ X.T)
        B = r(b * A + c * (A @ A))
        X = r(a * X + B @ X)
    return X.T if tall else X


def lerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """a + w (b − a), rounded as torch's ``lerp`` rounds it (from the nearer end)."""
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


def check_coefficients(name: str, value: Sequence[float]) -> tuple[float, float, float]:
    """Three finite floats (a, b, c), or ValueError."""
    if not isinstance(value, Sequence) or len(value) != 3 \
            or not all(math.isfinite(float(v)) for v in value):
        raise ValueError(f"{name} must be three finite numbers (a, b, c); got {value!r}")
    return tuple(float(v) for v in value)


def check_ns_steps(name: str, value: int) -> int:
    """An integer in [0, 100) (torch's bound), or ValueError."""
    if not (isinstance(value, int | np.integer) and 0 <= value < 100):
        raise ValueError(f"{name} must be an integer in [0, 100); got {value!r}")
    return int(value)


def check_choice(*choices):
    """A check that accepts only the given values."""
    def check(name: str, value):
        if value not in choices:
            raise ValueError(f"{name} must be one of {choices}; got {value!r}")
        return value
    return check


@dataclass(eq=False)
class Muon(Optimizer):
    r"""Muon (Jordan et al. 2024), exactly as ``torch.optim.Muon``; 2-D parameters only.

    With the gradient G of an A×B matrix x, step k:

        B ← μ B + (1 − μ) G = lerp(B, G, 1 − μ)    (momentum_buffer)
        M = G + μ (B − G)  (nesterov)  or  M = B
        O = NS(M)  ≈ U Vᵀ of M = U S Vᵀ            (``newton_schulz``, ns_steps iterations)
        x ← (1 − αλ) x − α·s · O,    s = √max(1, A/B) ("original") or 0.2 √max(A, B)
                                        ("match_rms_adamw")

    Orthogonalizing makes every singular direction of the step equally long, whatever the
    gradient's conditioning. torch runs NS in bfloat16; so does ``precision="bfloat16"``
    (the default); ``precision="float64"`` gives the exact iteration.
    """

    elementwise = False

    lr: NonNegative = 1e-3
    weight_decay: NonNegative = 0.1
    momentum: UnitInterval = 0.95
    nesterov: Flag = True
    ns_coefficients: Annotated[tuple[float, float, float], check_coefficients] = (
        3.4445, -4.7750, 2.0315)
    eps: NonNegative = 1e-7
    ns_steps: Annotated[int, check_ns_steps] = 5
    adjust_lr_fn: Annotated[str | None, check_choice(None, "original", "match_rms_adamw")] = None
    precision: Annotated[Literal["bfloat16", "float64"], check_choice("bfloat16", "float64")] = (
        "bfloat16")

    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        if x.ndim != 2:
            raise ValueError(f"Muon updates 2-D parameters (matrices) only; got shape {x.shape}"
                             " (optimize vectors and scalars with e.g. AdamW)")
        return {"momentum_buffer": np.zeros_like(x)}

    def update(self, x, g, s) -> None:
        mu, B = self.momentum, s["momentum_buffer"]
        B[...] = lerp(B, g, 1 - mu)
        M = lerp(g, B, mu) if self.nesterov else B
        O = newton_schulz(M, self.ns_coefficients, self.ns_steps, self.eps, self.precision)
        rows, cols = x.shape
        scale = (0.2 * math.sqrt(max(rows, cols)) if self.adjust_lr_fn == "match_rms_adamw"
                 else math.sqrt(max(1, rows / cols)))
        x *= 1 - self.lr * self.weight_decay
        x -= self.lr * scale * O


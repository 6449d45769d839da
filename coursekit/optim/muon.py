"""Muon: momentum whose update matrix is orthogonalized, so every direction moves equally."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np

from coursekit.optim.base import Flag, NonNegative, Optimizer, UnitInterval


def round_to_bfloat16(a: np.ndarray) -> np.ndarray:
    """Each entry rounded to bfloat16 as torch rounds it, returned as float64.

    torch rounds a float64 to bfloat16 (8 significant bits, ties to even) through float32, and
    its bfloat16 kernels compute in float32: so this rounds to float32 first. Rounding straight
    to bfloat16 differs where the float32 value lands exactly on a bfloat16 tie. (Subnormals,
    below 1.2e-38, and overflow are not modelled.)
    """
    mantissa, exponent = np.frexp(np.asarray(a, dtype=np.float32))
    return np.ldexp(np.round(mantissa * 256.0) / 256.0, exponent).astype(np.float64)


def newton_schulz(G: np.ndarray, coefficients: Sequence[float], steps: int, eps: float,
                  precision: str = "bfloat16") -> np.ndarray:
    r"""≈ U Vᵀ for G = U S Vᵀ, by ``steps`` quintic Newton–Schulz iterations (torch's
    ``_zeropower_via_newtonschulz``). With X = G/‖G‖_F (wide: X is G or Gᵀ, rows ≤ columns):

        A = X Xᵀ,    B = b A + c A²,    X ← a X + B X

    which maps each singular value σ to aσ + bσ³ + cσ⁵. precision="float64" runs this
    iteration exactly. precision="bfloat16" (torch's) stores every matrix in bfloat16, and
    rounds each product and ``addmm`` as torch's bfloat16 kernels do. That is torch's result
    bit for bit wherever torch's float32 sums of bfloat16 products are exact, as in small
    matrices. In larger ones torch's summation order depends on the kernel it picks (its own
    loops, or oneDNN's when m·n·k > 16³ and the CPU has bfloat16 instructions), and so on the
    CPU: there some matrices end up one bfloat16 ulp apart from torch's.
    """
    a, b, c = coefficients
    exact = precision == "float64"
    r = (lambda m: m) if exact else round_to_bfloat16
    if not exact:  # torch's bfloat16 addmm takes alpha and beta as float32
        a, b, c = (float(np.float32(v)) for v in coefficients)

    def addmm(C: np.ndarray, P: np.ndarray, Q: np.ndarray, beta: float, alpha: float = 1.0):
        """torch.addmm: β C + α P Q. In bfloat16 torch rounds α P Q to float32 and adds β C
        in one fused multiply-add (on CPUs with FMA: x86 since about 2013, every ARM64)."""
        if exact:
            return beta * C + alpha * (P @ Q)
        return r(beta * C + np.float32(alpha * (P @ Q)).astype(np.float64))

    tall = G.shape[0] > G.shape[1]
    X = r(G.T if tall else G)
    X = r(X / max(r(np.linalg.norm(X)), r(eps)))
    for _ in range(steps):
        A = r(X @ X.T)
        B = addmm(A, A, A, beta=b, alpha=c)
        X = addmm(X, B, X, beta=a)
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


"""Inverted dropout (torch's ``Dropout``): in training, zero each unit with probability p and
scale the survivors by 1/(1 − p), so E[y] = x and evaluation mode is the identity.

    mask_ij = 1[u_ij ≥ p] / (1 − p),  u_ij ~ U(0, 1)
    y = x ⊙ mask,   ∂L/∂x = ∂L/∂y ⊙ mask

The mask of the last training forward is kept in ``mask`` (None in evaluation mode or when
p = 0). p = 1 zeroes everything, as torch does.
"""

from __future__ import annotations

import numpy as np

from .base import Layer, as_rng


class Dropout(Layer):
    """Zero units with probability ``p`` in training mode; ``rng`` seeds the masks."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1]; got {p}")
        self.p = float(p)
        self.rng = as_rng(rng)
        self.mask: np.ndarray | None = None

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0.0:
            self.mask = None
            return self._remember_output(x)
        keep = self.rng.random(x.shape) >= self.p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        self.mask = keep * np.asarray(scale, dtype=x.real.dtype)
        return self._remember_output(x * self.mask)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._check_grad(grad_out)
        return grad_out if self.mask is None else grad_out * self.mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

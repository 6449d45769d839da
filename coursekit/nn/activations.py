"""Elementwise nonlinearities y = σ(x) and their backward passes ∂L/∂x = ∂L/∂y ⊙ σ'(x).

==========  ===============================  =================================
layer       σ(x)                             σ'(x), written with what is stored
==========  ===============================  =================================
ReLU        max(x, 0)                        1[x > 0]
LeakyReLU   x if x > 0 else a·x              1 if x > 0 else a
Sigmoid     1 / (1 + e^(−x))                 y (1 − y)
Tanh        tanh x                           1 − y²
==========  ===============================  =================================

At x = 0 ReLU's derivative is taken as 0, as torch does.
"""

from __future__ import annotations

import numpy as np

from .base import Layer


class ReLU(Layer):
    """y = max(x, 0); ∂L/∂x = ∂L/∂y · 1[x > 0].

    ``active`` is the boolean mask 1[x > 0] of the last forward (batch, features): a unit
    whose column is all False on the whole dataset is dead (it passes no gradient).
    """

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self.active = x.real > 0
        return self._remember_output(x * self.active)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._check_grad(grad_out) * self.active


class LeakyReLU(Layer):
    """y = x for x > 0 and a·x otherwise (a = ``negative_slope``, torch's default 0.01)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._slope = np.where(x.real > 0, 1.0, self.negative_slope).astype(x.real.dtype)
        return self._remember_output(x * self._slope)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._check_grad(grad_out) * self._slope

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(Layer):
    """y = 1 / (1 + e^(−x)); ∂L/∂x = ∂L/∂y · y(1 − y).

    For x < −709 (float64) e^(−x) overflows to inf and y = 1/inf = 0, the correct limit; the
    overflow warning is silenced for that reason only.
    """

    def _forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            self._y = 1.0 / (1.0 + np.exp(-x))
        return self._remember_output(self._y)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._check_grad(grad_out) * (self._y * (1.0 - self._y))


class Tanh(Layer):
    """y = tanh x; ∂L/∂x = ∂L/∂y · (1 − y²)."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._y = np.tanh(x)
        return self._remember_output(self._y)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._check_grad(grad_out) * (1.0 - self._y * self._y)


class Identity(Layer):
    """y = x (a placeholder, e.g. ``MLP(..., activation="identity")`` for a linear network)."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self._remember_output(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._check_grad(grad_out)


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh,
    "identity": Identity,
}

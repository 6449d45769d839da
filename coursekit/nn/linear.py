"""The fully connected layer y = x Wᵀ + b, with its backward pass written out.

Shapes (torch's layout): x (N, n_in), W (n_out, n_in), b (n_out,), y (N, n_out).
Given G = ∂L/∂y (N, n_out), the chain rule gives

    ∂L/∂W = Gᵀ x        (n_out, n_in): a sum over the batch of outer products g_i x_iᵀ
    ∂L/∂b = Σ_i g_i     (n_out,)
    ∂L/∂x = G W         (N, n_in)

three matrix products and no loop over samples.
"""

from __future__ import annotations

import numpy as np

from .base import Layer, as_rng, float_dtype
from .init import Initializer, get_initializer


class Linear(Layer):
    """y = x Wᵀ + b. ``init`` names an initializer of ``coursekit.nn.init`` ("he", "glorot",
    "normal", "zeros", …) or is a function (shape, rng) -> array; the bias starts at zero.

    Attributes: ``weight`` (out_features, in_features), ``bias`` (out_features,), and their
    gradients ``grad_weight``, ``grad_bias`` after ``backward``.
    """

    def __init__(self, in_features: int, out_features: int, init: str | Initializer = "he",
                 rng: np.random.Generator | int | None = None, bias: bool = True,
                 dtype=np.float64) -> None:
        super().__init__()
        if int(in_features) < 1 or int(out_features) < 1:
            raise ValueError(f"Linear: in_features and out_features must be >= 1; got "
                             f"{in_features}, {out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = float_dtype(dtype)
        shape = (self.out_features, self.in_features)
        weight = np.asarray(get_initializer(init)(shape, as_rng(rng)))
        if weight.shape != shape:
            raise ValueError(f"Linear: init returned shape {weight.shape}; expected {shape}")
        self.weight = weight.astype(dtype)
        self.grad_weight = np.zeros_like(self.weight)
        self.param_names = ("weight", "bias") if bias else ("weight",)
        if bias:
            self.bias = np.zeros(self.out_features, dtype=dtype)
            self.grad_bias = np.zeros_like(self.bias)
        self._x: np.ndarray | None = None

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        y = x @ self.weight.T
        if len(self.param_names) == 2:
            y += self.bias
        return self._remember_output(y)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Store ∂L/∂W = Gᵀx and ∂L/∂b = Σ_i g_i; return ∂L/∂x = G W."""
        grad_out = self._check_grad(grad_out)
        np.matmul(grad_out.T, self._x, out=self.grad_weight)
        if len(self.param_names) == 2:
            np.sum(grad_out, axis=0, out=self.grad_bias)
        return grad_out @ self.weight

    def __repr__(self) -> str:
        extra = "" if len(self.param_names) == 2 else ", bias=False"
        return f"Linear({self.in_features}, {self.out_features}{extra})"

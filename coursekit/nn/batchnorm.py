"""Batch normalization over a batch of feature vectors (torch's ``BatchNorm1d``).

Training mode, for each feature over the N samples of the batch:

    μ = (1/N) Σ_i x_i,   σ² = (1/N) Σ_i (x_i − μ)²   (biased)
    x̂_i = (x_i − μ) / √(σ² + ε),   y_i = γ x̂_i + β

and the running estimates used in evaluation mode are updated with momentum m as torch does,
with the *unbiased* variance:

    running_mean ← (1 − m) running_mean + m μ
    running_var  ← (1 − m) running_var  + m σ² N/(N − 1)

Evaluation mode uses x̂ = (x − running_mean) / √(running_var + ε), a fixed affine map.

Backward in training mode (every x_i moves μ and σ², so the gradient has three terms); with
ĝ_i = γ ⊙ ∂L/∂y_i and means over the batch written as ⟨·⟩:

    ∂L/∂γ = Σ_i ∂L/∂y_i ⊙ x̂_i,   ∂L/∂β = Σ_i ∂L/∂y_i
    ∂L/∂x_i = (ĝ_i − ⟨ĝ⟩ − x̂_i ⊙ ⟨ĝ ⊙ x̂⟩) / √(σ² + ε)
"""

from __future__ import annotations

import numpy as np

from .base import Layer, float_dtype


class BatchNorm1d(Layer):
    """Normalize each of ``num_features`` features over the batch, then scale and shift.

    Attributes: ``weight`` (γ, ones), ``bias`` (β, zeros), ``running_mean`` (zeros),
    ``running_var`` (ones), ``num_batches_tracked``, gradients ``grad_weight``, ``grad_bias``.
    """

    buffer_names = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 dtype=np.float64) -> None:
        super().__init__()
        if int(num_features) < 1:
            raise ValueError(f"BatchNorm1d: num_features must be >= 1; got {num_features}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1]; got {momentum}")
        if not eps > 0:
            raise ValueError(f"BatchNorm1d: eps must be > 0; got {eps}")
        self.in_features = self.num_features = int(num_features)
        self.eps, self.momentum = float(eps), float(momentum)
        dtype = float_dtype(dtype)
        self.param_names = ("weight", "bias")
        self.weight = np.ones(self.num_features, dtype=dtype)
        self.bias = np.zeros(self.num_features, dtype=dtype)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)
        self.running_mean = np.zeros(self.num_features, dtype=dtype)
        self.running_var = np.ones(self.num_features, dtype=dtype)
        self.num_batches_tracked = 0

    def _forward(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        if self.training:
            if n < 2:
                raise ValueError(f"{self!r}: training mode needs more than one sample per "
                                 f"batch to estimate a variance; got input of shape {x.shape}")
            mean = x.mean(axis=0)
            centred = x - mean
            var = np.mean(centred * centred, axis=0)
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mean
            self.running_var *= 1.0 - m
            self.running_var += (m * n / (n - 1)) * var
            self.num_batches_tracked += 1
        else:
            centred = x - self.running_mean
            var = self.running_var
        self._inv_std = 1.0 / np.sqrt(var + self.eps)
        self._x_hat = centred * self._inv_std
        self._batch_stats = self.training
        return self._remember_output(self._x_hat * self.weight + self.bias)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._check_grad(grad_out)
        np.sum(grad_out * self._x_hat, axis=0, out=self.grad_weight)
        np.sum(grad_out, axis=0, out=self.grad_bias)
        g_hat = grad_out * self.weight
        if not self._batch_stats:
            return g_hat * self._inv_std
        mean_g = g_hat.mean(axis=0)
        mean_gx = np.mean(g_hat * self._x_hat, axis=0)
        return (g_hat - mean_g - self._x_hat * mean_gx) * self._inv_std

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g})"

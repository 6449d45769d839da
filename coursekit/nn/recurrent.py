r"""A vanilla (Elman) recurrent network with backpropagation through time written out.

Inputs x of shape (N, T, m): N sequences of T steps of m features. With h₀ = 0,

    a_t = h_{t−1} Wᵀ + x_t Uᵀ + b,     h_t = φ(a_t)        (t = 1 … T; φ = tanh or identity)
    y   = h_T Vᵀ + c                                        (N, k): a readout of the last state

Shapes: W (n, n), U (n, m), b (n,), V (k, n), c (k,). Backward, given G = ∂L/∂y:

    ∂L/∂h_T = G V,   ∂L/∂V = Gᵀ h_T,   ∂L/∂c = Σ_i G_i
    for t = T … 1:   δ_t = ∂L/∂h_t ⊙ φ'(a_t)
                     ∂L/∂W += δ_tᵀ h_{t−1},  ∂L/∂U += δ_tᵀ x_t,  ∂L/∂b += Σ_i δ_t
                     ∂L/∂x_t = δ_t U,        ∂L/∂h_{t−1} = δ_t W

so the gradient reaching h₀ has been multiplied by W (and by φ') T times: for the identity
activation ∂L/∂h₀ = ∂L/∂h_T · W·W·…·W (T factors), which grows or shrinks like ρ(W)^T, the
T-th power of W's spectral radius. ``hidden_grad_norms`` keeps ‖∂L/∂h_t‖ for t = 0 … T after
each backward, to watch it.
torch's ``nn.RNN`` computes the same recurrence with two biases (b = b_ih + b_hh).
"""

from __future__ import annotations

import numpy as np

from .base import as_rng

ACTIVATIONS = ("tanh", "identity")


class RNN:
    """Elman RNN with a linear readout of the last hidden state (see the module docstring).

    Follows the layer protocol: ``forward(x)``, ``backward(grad_out)`` (returns ∂L/∂x and
    overwrites the gradients), ``params()`` = [W, U, b, V, c] and ``grads()`` in that order.
    Weights start N(0, 1/fan_in) (W with spectral radius about 1), biases at zero.
    """

    param_names = ("W", "U", "b", "V", "c")

    def __init__(self, n_in: int, n_hidden: int, n_out: int, activation: str = "tanh",
                 rng: np.random.Generator | int | None = None) -> None:
        if min(int(n_in), int(n_hidden), int(n_out)) < 1:
            raise ValueError(f"RNN: n_in, n_hidden and n_out must be >= 1; got {n_in}, "
                             f"{n_hidden}, {n_out}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"RNN: activation must be one of {ACTIVATIONS}; got {activation!r}")
        rng = as_rng(rng)
        self.activation = activation
        self.W = rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_hidden, n_hidden))
        self.U = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_hidden, n_in))
        self.b = np.zeros(n_hidden)
        self.V = rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_out, n_hidden))
        self.c = np.zeros(n_out)
        for name in self.param_names:
            setattr(self, "grad_" + name, np.zeros_like(getattr(self, name)))
        self.hidden_grad_norms = np.empty(0)
        self._x: np.ndarray | None = None

    def params(self) -> list[np.ndarray]:
        return [getattr(self, name) for name in self.param_names]

    def grads(self) -> list[np.ndarray]:
        return [getattr(self, "grad_" + name) for name in self.param_names]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = V h_T + c for x of shape (N, T, m); keeps every h_t for backward."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 3 or x.shape[2] != self.U.shape[1]:
            raise ValueError(f"RNN.forward: x must have shape (N, T, {self.U.shape[1]}); "
                             f"got {x.shape}")
        N, T, _ = x.shape
        H = np.zeros((T + 1, N, self.W.shape[0]))  # H[t] = h_t, H[0] = h₀ = 0
        for t in range(1, T + 1):
            a = H[t - 1] @ self.W.T + x[:, t - 1] @ self.U.T + self.b
            H[t] = np.tanh(a) if self.activation == "tanh" else a
        self._x, self._H = x, H
        return H[T] @ self.V.T + self.c

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Backpropagation through time; stores the gradients, returns ∂L/∂x (N, T, m)."""
        if self._x is None:
            raise RuntimeError("RNN.backward called before forward")
        x, H = self._x, self._H
        G = np.asarray(grad_out, dtype=np.float64)
        T = x.shape[1]
        self.grad_V[...] = G.T @ H[T]
        self.grad_c[...] = G.sum(axis=0)
        for name in ("W", "U", "b"):
            getattr(self, "grad_" + name)[...] = 0.0
        grad_x = np.zeros_like(x)
        norms = np.zeros(T + 1)
        dh = G @ self.V  # ∂L/∂h_T
        norms[T] = np.linalg.norm(dh)
        for t in range(T, 0, -1):
            delta = dh * (1.0 - H[t] ** 2) if self.activation == "tanh" else dh  # tanh' = 1 − h²
            self.grad_W += delta.T @ H[t - 1]
            self.grad_U += delta.T @ x[:, t - 1]
            self.grad_b += delta.sum(axis=0)
            grad_x[:, t - 1] = delta @ self.U
            dh = delta @ self.W  # ∂L/∂h_{t−1}
            norms[t - 1] = np.linalg.norm(dh)
        self.hidden_grad_norms = norms
        return grad_x

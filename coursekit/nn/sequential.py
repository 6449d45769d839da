"""A chain of layers: forward left to right, backward right to left.

For y = f_K(… f_2(f_1(x))), backward feeds each layer the gradient returned by the layer
after it: g_K = ∂L/∂y, g_{k-1} = f_k.backward(g_k). ``params()`` and ``grads()`` concatenate
the layers' lists in layer order, e.g. [W1, b1, γ1, β1, W2, b2] for
Linear-BatchNorm1d-ReLU-Linear.
"""

from __future__ import annotations

import numpy as np

from .base import Layer


class Sequential(Layer):
    """``Sequential(layer1, layer2, ...)``: the same protocol as a single layer."""

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"Sequential: argument {i} is {layer!r}, not a coursekit.nn "
                                 "layer")
        self.layers = list(layers)
        self.in_features = layers[0].in_features

    def _check_input(self, x, check_finite: bool) -> np.ndarray:
        return self.layers[0]._check_input(x, check_finite)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        x = self.layers[0]._forward(x)
        for layer in self.layers[1:]:
            x = layer._forward(layer._check_input(x, check_finite=False))
        return self._remember_output(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = self._check_grad(grad_out)
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def params(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.params()]

    def grads(self) -> list[np.ndarray]:
        return [g for layer in self.layers for g in layer.grads()]

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def astype(self, dtype) -> Sequential:
        for layer in self.layers:
            layer.astype(dtype)
        return self

    @property
    def dtype(self) -> np.dtype | None:
        params = self.params()
        return params[0].dtype if params else None

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"

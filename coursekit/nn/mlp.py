"""The multilayer perceptron used throughout lessons 08–13.

``MLP([64, 256, 256, 10])`` is Linear(64, 256) → ReLU → Linear(256, 256) → ReLU →
Linear(256, 10): every hidden Linear is followed by an optional BatchNorm1d, the activation and
an optional Dropout; the last Linear outputs logits (or regression outputs) directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .activations import ACTIVATIONS
from .base import Layer, as_rng
from .batchnorm import BatchNorm1d
from .dropout import Dropout
from .init import Initializer
from .linear import Linear
from .sequential import Sequential


def MLP(sizes: Sequence[int], activation: str = "relu", batchnorm: bool = False,
        init: str | Initializer = "he", seed: int | None = 0, dropout: float = 0.0,
        dtype=np.float64) -> Sequential:
    """A Sequential of Linear layers of widths ``sizes`` = [n_in, h_1, …, n_out].

    activation: "relu", "leaky_relu", "sigmoid", "tanh" or "identity".
    batchnorm: insert BatchNorm1d(h_k) between each hidden Linear and its activation.
    init: the weight initializer of every Linear (biases start at zero).
    seed: one generator seeds all weights (layer by layer) and then the dropout masks.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"MLP: sizes must list at least two positive widths; got {sizes}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"MLP: activation must be one of {sorted(ACTIVATIONS)}; "
                         f"got {activation!r}")
    rng = as_rng(seed)
    layers: list[Layer] = []
    last = len(sizes) - 2
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(n_in, n_out, init=init, rng=rng, dtype=dtype))
        if k == last:
            break
        if batchnorm:
            layers.append(BatchNorm1d(n_out, dtype=dtype))
        layers.append(ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)

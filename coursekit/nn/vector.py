"""All of a network's parameters as one flat vector θ, and the loss as a function of θ.

θ concatenates ``model.params()`` in order, each array flattened row by row (C order), like
torch's ``parameters_to_vector``. The curvature tools (``coursekit.curvature``) and the
landscape slices of lesson 12 work with θ.
"""

from __future__ import annotations

import numpy as np

from .base import Layer
from .losses import Loss


def count_parameters(model: Layer) -> int:
    """Number of trainable scalars P = len(θ)."""
    return int(sum(p.size for p in model.params()))


def parameters_to_vector(model: Layer) -> np.ndarray:
    """θ as a new 1-D array of length P (the parameters' dtype)."""
    params = model.params()
    if not params:
        return np.zeros(0)
    return np.concatenate([p.reshape(-1) for p in params])


def vector_to_parameters(vector: np.ndarray, model: Layer) -> None:
    """Write θ into the model's parameter arrays in place (so optimizers keep their views)."""
    vector = np.asarray(vector)
    size = count_parameters(model)
    if vector.shape != (size,):
        raise ValueError(f"vector_to_parameters: vector must have shape ({size},) for "
                         f"this model; got shape {vector.shape}")
    start = 0
    for p in model.params():
        p[...] = vector[start:start + p.size].reshape(p.shape)
        start += p.size


def grads_to_vector(model: Layer) -> np.ndarray:
    """∂L/∂θ from the last backward as one flat vector, in the order of θ."""
    grads = model.grads()
    return np.concatenate([g.reshape(-1) for g in grads]) if grads else np.zeros(0)


def loss_and_gradient(model: Layer, loss: Loss, X: np.ndarray, y: np.ndarray
                      ) -> tuple[float, np.ndarray]:
    """(L(θ), ∇L(θ)) on the batch (X, y) with one forward and one backward pass.

    The model runs in its current mode: in training mode BatchNorm1d uses the batch's
    statistics (and updates its running estimates) and Dropout draws a mask.
    """
    value = loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    return value, grads_to_vector(model)

"""Weight initializers: functions of a shape (fan_out, fan_in) and a random generator.

A weight matrix W of shape (fan_out, fan_in) (torch's layout: ``Linear.weight``) feeds each
output unit a sum of fan_in terms, so its variance sets how the signal's variance changes from
layer to layer:

- ``he_normal``:      W_ij ~ N(0, 2 / fan_in)                  (torch ``kaiming_normal_``)
- ``he_uniform``:     W_ij ~ U(-√(6 / fan_in), √(6 / fan_in))   (same variance, uniform)
- ``glorot_uniform``: W_ij ~ U(-√(6 / (fan_in + fan_out)), +…)  (torch ``xavier_uniform_``)
- ``glorot_normal``:  W_ij ~ N(0, 2 / (fan_in + fan_out))       (torch ``xavier_normal_``)
- ``normal``:         W_ij ~ N(0, std²), std = 0.01 by default
- ``constant`` / ``zeros``: every entry equal (symmetry is never broken; lesson 09)

He keeps Var(activations) constant through ReLU layers (ReLU halves the second moment);
Glorot balances the forward and backward variances for tanh-like units. Every initializer
draws in float64 and then casts, so a float32 network starts from the rounded float64 weights.
``INITIALIZERS`` maps the names accepted by ``Linear(init=...)`` to these functions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import as_rng, float_dtype

Shape = tuple[int, ...]


def fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in); a vector has fan_in = size."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (fan_out, fan_in) with positive sizes; got {shape}")
    return shape[1], shape[0]


def zeros(shape: Shape, rng=None, dtype=np.float64) -> np.ndarray:
    """All zeros (``rng`` unused; accepted so every initializer has one signature)."""
    return np.zeros(shape, dtype=float_dtype(dtype))


def constant(shape: Shape, rng=None, value: float = 0.1, dtype=np.float64) -> np.ndarray:
    """Every entry equal to ``value``."""
    return np.full(shape, value, dtype=float_dtype(dtype))


def normal(shape: Shape, rng=None, std: float = 0.01, dtype=np.float64) -> np.ndarray:
    """W_ij ~ N(0, std²)."""
    return (std * as_rng(rng).standard_normal(shape)).astype(float_dtype(dtype))


def he_normal(shape: Shape, rng=None, dtype=np.float64) -> np.ndarray:
    """W_ij ~ N(0, 2 / fan_in): He et al. (2015), for ReLU networks."""
    fan_in, _ = fans(shape)
    return normal(shape, rng, std=np.sqrt(2.0 / fan_in), dtype=dtype)


def he_uniform(shape: Shape, rng=None, dtype=np.float64) -> np.ndarray:
    """W_ij ~ U(-a, a), a = √(6 / fan_in): variance 2 / fan_in like ``he_normal``."""
    fan_in, _ = fans(shape)
    bound = np.sqrt(6.0 / fan_in)
    return as_rng(rng).uniform(-bound, bound, size=shape).astype(float_dtype(dtype))


def glorot_uniform(shape: Shape, rng=None, dtype=np.float64) -> np.ndarray:
    """W_ij ~ U(-a, a), a = √(6 / (fan_in + fan_out)): Glorot & Bengio (2010)."""
    fan_in, fan_out = fans(shape)
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return as_rng(rng).uniform(-bound, bound, size=shape).astype(float_dtype(dtype))


def glorot_normal(shape: Shape, rng=None, dtype=np.float64) -> np.ndarray:
    """W_ij ~ N(0, 2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    return normal(shape, rng, std=np.sqrt(2.0 / (fan_in + fan_out)), dtype=dtype)


def torch_default(shape: Shape, rng=None, dtype=np.float64) -> np.ndarray:
    """W_ij ~ U(-a, a), a = 1/√fan_in: torch.nn.Linear's default (kaiming_uniform_ with
    a = √5); variance 1/(3·fan_in), smaller than He's, which lets sharpness grow in training."""
    fan_in, _ = fans(shape)
    return (as_rng(rng).uniform(-1.0, 1.0, size=shape) / np.sqrt(fan_in)).astype(
        float_dtype(dtype))


Initializer = Callable[..., np.ndarray]

INITIALIZERS: dict[str, Initializer] = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "glorot": glorot_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "normal": normal,
    "zeros": zeros,
    "torch_default": torch_default,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """The function for a name in ``INITIALIZERS``, or ``init`` itself if it is callable."""
    if callable(init):
        return init
    if init not in INITIALIZERS:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)} or a function "
                         f"(shape, rng) -> array; got {init!r}")
    return INITIALIZERS[init]

"""The same network in torch, for the comparison cells of lessons, tests and benchmarks.

``to_torch(model)`` builds a ``torch.nn.Sequential`` with the same layers, the same weights,
running statistics, mode and dtype, so outputs and gradients can be compared one to one.
torch is imported inside the function only: ``import coursekit`` never imports it.
"""

from __future__ import annotations

import numpy as np

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .base import Layer
from .batchnorm import BatchNorm1d
from .dropout import Dropout
from .linear import Linear
from .sequential import Sequential


def to_torch(model: Layer):
    """A torch module computing the same function as ``model`` (a copy: no shared memory)."""
    import torch

    def tensor(a: np.ndarray):
        return torch.tensor(np.array(a))

    def convert(layer: Layer):
        if isinstance(layer, Sequential):
            return torch.nn.Sequential(*(convert(child) for child in layer))
        if isinstance(layer, Linear):
            has_bias = "bias" in layer.param_names
            out = torch.nn.Linear(layer.in_features, layer.out_features, bias=has_bias,
                                  dtype=getattr(torch, layer.weight.dtype.name))
            with torch.no_grad():
                out.weight.copy_(tensor(layer.weight))
                if has_bias:
                    out.bias.copy_(tensor(layer.bias))
        elif isinstance(layer, BatchNorm1d):
            out = torch.nn.BatchNorm1d(layer.num_features, eps=layer.eps,
                                       momentum=layer.momentum,
                                       dtype=getattr(torch, layer.weight.dtype.name))
            with torch.no_grad():
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(out, name).copy_(tensor(getattr(layer, name)))
                out.num_batches_tracked.fill_(layer.num_batches_tracked)
        elif isinstance(layer, LeakyReLU):
            out = torch.nn.LeakyReLU(layer.negative_slope)
        elif isinstance(layer, Dropout):
            out = torch.nn.Dropout(layer.p)
        else:
            simple = {ReLU: torch.nn.ReLU, Sigmoid: torch.nn.Sigmoid, Tanh: torch.nn.Tanh,
                      Identity: torch.nn.Identity}
            if type(layer) not in simple:
                raise ValueError(f"to_torch: no torch counterpart for {layer!r}")
            out = simple[type(layer)]()
        return out.train(layer.training)

    return convert(model)

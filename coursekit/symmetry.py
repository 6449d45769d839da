r"""Permutation symmetry of hidden units: many parameter vectors, one network.

Reorder the units of a hidden layer, i.e. the rows of its incoming weight W₁ and bias b₁ by a
permutation π, and the columns of the next layer's weight W₂ by the same π. Every elementwise
activation σ commutes with the reordering, so

    W₂[:, π] σ(W₁[π] x + b₁[π]) = W₂ σ(W₁ x + b₁)

and the network computes exactly the same function. A hidden layer of n units therefore has n!
parameter vectors for each function (and a convolution layer with c channels c!, permuting
whole filters); a net with widths n₁, …, n_k has ∏ n_j! of them. Every minimum of the loss
comes with all its copies, which is why minima of neural networks are never isolated points
of a convex bowl.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np

from .nn.activations import ACTIVATIONS
from .nn.dropout import Dropout
from .nn.linear import Linear
from .nn.sequential import Sequential

ELEMENTWISE = tuple(ACTIVATIONS.values()) + (Dropout,)


def permute_hidden_units(model: Sequential, layer: int, permutation: Sequence[int]
                         ) -> Sequential:
    """A copy of ``model`` computing the same function, with hidden units reordered.

    ``layer`` counts the model's Linear layers (0 = the first); its output units are reordered
    by ``permutation`` (unit i of the copy is unit permutation[i] of the model), and so are the
    columns of the next Linear's weight. The layers in between must be elementwise
    (activations, Dropout).
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"permute_hidden_units needs a Sequential; got {type(model).__name__}")
    linears = [i for i, part in enumerate(model.layers) if isinstance(part, Linear)]
    if not 0 <= layer < len(linears) - 1:
        raise ValueError(f"layer must index a Linear followed by another Linear, 0 <= layer < "
                         f"{len(linears) - 1}; got {layer}")
    first, second = linears[layer], linears[layer + 1]
    for between in model.layers[first + 1:second]:
        if not isinstance(between, ELEMENTWISE):
            raise ValueError(f"permuting units changes the function unless the layers between "
                             f"the two Linear layers are elementwise; found {between!r}")
    n = model.layers[first].out_features
    perm = np.asarray(permutation)
    if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
        raise ValueError(f"permutation must be a permutation of range({n}) (one entry per "
                         f"unit of Linear layer {layer}); got {permutation!r}")
    clone = copy.deepcopy(model)
    incoming, outgoing = clone.layers[first], clone.layers[second]
    incoming.weight[...] = incoming.weight[perm]
    if "bias" in incoming.param_names:
        incoming.bias[...] = incoming.bias[perm]
    outgoing.weight[...] = outgoing.weight[:, perm]
    return clone


def count_permutations(model: Sequential) -> int:
    """∏ n_j! over the hidden layers: parameter vectors that compute the same function
    (distinct when the units of each layer have distinct weights)."""
    linears = [part for part in model.layers if isinstance(part, Linear)]
    return math.prod(math.factorial(part.out_features) for part in linears[:-1])

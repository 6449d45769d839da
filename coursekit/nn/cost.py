r"""Count the multiply-adds of the matrix products a network performs.

A product of an (m, k) and a (k, n) matrix costs m·k·n multiply-adds. Inside
``with counting_multiply_adds(model) as counter:`` every parameter array and gradient array
of the model is viewed as a :class:`CountingArray`, an ndarray subclass that adds the cost of
each ``@`` / ``np.matmul`` it takes part in (as an operand or as ``out=``) to
``counter.count``. For a Linear layer that is exactly its x Wᵀ (forward) and Gᵀx, G W
(backward). Element-wise work (activations, bias adds, the loss) is O(N·n) per layer against
O(N·n_in·n_out) for the products and is not counted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from .base import Layer


class Counter:
    """The running total of multiply-adds."""

    def __init__(self) -> None:
        self.count = 0


class CountingArray(np.ndarray):
    """An ndarray whose matrix products add m·k·n to ``self.counter.count``."""

    counter: Counter | None = None

    def __array_finalize__(self, obj) -> None:  # views (e.g. W.T) count into the same total
        self.counter = getattr(obj, "counter", None)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        counters = [x.counter for x in (*inputs, *kwargs.get("out", ()))
                    if isinstance(x, CountingArray) and x.counter is not None]
        inputs = tuple(x.view(np.ndarray) if isinstance(x, CountingArray) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, CountingArray) else o
                                  for o in kwargs["out"])
        if ufunc is np.matmul and method == "__call__" and counters:
            a, b = (np.asarray(x) for x in inputs)
            if a.ndim != 2 or b.ndim != 2:
                raise ValueError(f"counting_multiply_adds counts 2-D products only; got shapes "
                                 f"{a.shape} @ {b.shape}")
            counters[0].count += a.shape[0] * a.shape[1] * b.shape[1]
        return getattr(ufunc, method)(*inputs, **kwargs)  # a plain ndarray: counted once


def _leaves(layer: Layer) -> Iterator[Layer]:
    children = getattr(layer, "layers", None)
    if children is None:
        yield layer
    else:
        for child in children:
            yield from _leaves(child)


@contextlib.contextmanager
def counting_multiply_adds(model: Layer) -> Iterator[Counter]:
    """Count the multiply-adds of matrix products involving the model's parameters or their
    gradients while the block runs; the arrays are restored (same memory) afterwards."""
    counter, saved = Counter(), []
    for layer in _leaves(model):
        for name in layer.param_names:
            for attribute in (name, "grad_" + name):
                array = getattr(layer, attribute)
                saved.append((layer, attribute, array))
                counting = array.view(CountingArray)
                counting.counter = counter
                setattr(layer, attribute, counting)
    try:
        yield counter
    finally:
        for layer, attribute, array in saved:
            setattr(layer, attribute, array)

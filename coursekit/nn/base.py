"""The layer protocol every building block of ``coursekit.nn`` follows.

A layer maps a batch ``x`` of shape (batch, in_features) to ``y = forward(x)`` of shape
(batch, out_features) and keeps what it needs for the chain rule. ``backward(g)`` takes
g = ∂L/∂y (same shape as y), stores the parameter gradients ∂L/∂θ in ``grads()`` and returns
∂L/∂x (same shape as x). Gradients are *overwritten* by each backward (torch accumulates them;
here there is no ``zero_grad``). ``params()`` and ``grads()`` are lists in the same order, and
the arrays are the layer's own: an optimizer updates ``params()`` in place, and the arrays of
``grads()`` are refilled in place by every backward, so both lists can be fetched once.

Dtypes: a layer's parameters are float64 by default or float32 (``astype``); inputs are
converted to the parameters' dtype. Parameter-free layers keep the input's float dtype.
Complex parameters are allowed too: ``coursekit.curvature`` runs a complex copy of a network
to obtain exact Hessian-vector products (the complex-step method), which is why comparisons
below read ``x.real``.
"""

from __future__ import annotations

import numpy as np


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, an integer seed, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, int | np.integer):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a numpy Generator, an int seed or None; got {rng!r}")


def float_dtype(dtype) -> np.dtype:
    """Validate a parameter dtype: float32, float64 (or complex, used by the curvature tools)."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        raise ValueError(f"dtype must be a float dtype such as np.float32 or np.float64; "
                         f"got {dtype}")
    return dtype


class Layer:
    """Base class: ``forward``, ``backward``, ``params``, ``grads``, ``train``, ``eval``.

    Subclasses list their parameter attributes in ``param_names`` (gradients live in
    ``grad_<name>``) and their non-trained state (running statistics) in ``buffer_names``, and
    implement ``_forward(x)`` on an already validated array and ``backward(grad_out)``.
    """

    param_names: tuple[str, ...] = ()
    buffer_names: tuple[str, ...] = ()
    in_features: int | None = None

    def __init__(self) -> None:
        self.training = True
        self._out_shape: tuple[int, ...] | None = None

    # -- the protocol -------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = layer(x) for x of shape (batch, features); remembers what backward needs."""
        return self._forward(self._check_input(x, check_finite=True))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def params(self) -> list[np.ndarray]:
        """The trainable arrays, e.g. [weight, bias]."""
        return [getattr(self, name) for name in self.param_names]

    def grads(self) -> list[np.ndarray]:
        """∂L/∂θ from the last backward, in the order of ``params()``."""
        return [getattr(self, "grad_" + name) for name in self.param_names]

    def train(self, mode: bool = True) -> Layer:
        """Training mode (batch statistics, dropout on). Returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Evaluation mode (running statistics, dropout off). Returns self."""
        return self.train(False)

    def astype(self, dtype) -> Layer:
        """Convert parameters, gradients and buffers to ``dtype`` in place. Returns self."""
        dtype = float_dtype(dtype)
        for name in self.param_names + tuple("grad_" + n for n in self.param_names) \
                + self.buffer_names:
            setattr(self, name, getattr(self, name).astype(dtype))
        return self

    @property
    def dtype(self) -> np.dtype | None:
        """The parameters' dtype (None for a layer without parameters)."""
        return self.params()[0].dtype if self.param_names else None

    # -- validation helpers -------------------------------------------------------------
    def _check_input(self, x, check_finite: bool) -> np.ndarray:
        """x as a 2-D float array, checked against ``in_features`` (and for NaN/inf)."""
        x = np.asarray(x)
        dtype = self.dtype
        if dtype is not None:
            x = x.astype(dtype, copy=False)
        elif x.dtype.kind not in "fc":
            x = x.astype(np.float64)
        if x.ndim != 2:
            want = f"(batch, {self.in_features})" if self.in_features else "(batch, features)"
            raise ValueError(f"{self!r}: expected an input of shape {want}; got shape {x.shape}")
        if self.in_features is not None and x.shape[1] != self.in_features:
            raise ValueError(f"{self!r}: input has {x.shape[1]} features (shape {x.shape}); "
                             f"expected shape (batch, {self.in_features})")
        if check_finite and not np.isfinite(x).all():
            rows = np.flatnonzero(~np.isfinite(x).all(axis=1))
            raise ValueError(f"{self!r}: input of shape {x.shape} contains NaN or inf "
                             f"(in {rows.size} rows, first row {rows[0]})")
        return x

    def _remember_output(self, y: np.ndarray) -> np.ndarray:
        self._out_shape = y.shape
        return y

    def _check_grad(self, grad_out) -> np.ndarray:
        """grad_out must have the shape of the last output."""
        if self._out_shape is None:
            raise ValueError(f"{self!r}: backward called before forward")
        grad_out = np.asarray(grad_out)
        if grad_out.shape != self._out_shape:
            raise ValueError(f"{self!r}: grad_out has shape {grad_out.shape}; the last output "
                             f"had shape {self._out_shape}")
        return grad_out

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

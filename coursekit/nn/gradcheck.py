"""Gradient checking: compare an analytic gradient with centred finite differences.

For f: Rⁿ → R and a small h, the centred difference

    n_i = (f(x + h e_i) − f(x − h e_i)) / (2h)

has truncation error O(h²) (the h-odd Taylor terms cancel) and round-off error about
ε_mach |f| / h (ε_mach ≈ 2.2e-16 in float64); h = 1e-5 balances the two, leaving an absolute
error near 1e-10 · max(|f|, 1). The check reports the largest elementwise relative error
|a_i − n_i| / max(|a_i|, |n_i|, floor) between the analytic gradient a and n; the floor (1e-8)
keeps entries that are zero in both from counting. A correct backward in float64 typically
gives 1e-10 to 1e-6 (the noisiest entries are those much smaller than |f|), a wrong one
≳ 1e-2. Near a ReLU kink (|pre-activation| < h) the difference itself is wrong, so a rare
larger value on a ReLU network is not by itself a bug.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-5) -> np.ndarray:
    """Centred finite differences of a scalar function f at x (any shape), in float64.

    ``f`` may return a float or a tuple whose first entry is the float (as for ``gradcheck``).
    """
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        up = _value(f(x))
        flat[i] = saved - eps
        down = _value(f(x))
        flat[i] = saved
        gflat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> float:
    """max_i |a_i − n_i| / max(|a_i|, |n_i|, floor)."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"relative_error: shapes differ, analytic {analytic.shape} vs "
                         f"numeric {numeric.shape}")
    if analytic.size == 0:
        return 0.0
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return float(np.max(np.abs(analytic - numeric) / scale))


def gradcheck(f: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
              eps: float = 1e-5, floor: float = 1e-8) -> float:
    """Max relative error between the analytic gradient and centred finite differences.

    ``f(x)`` returns ``(value, gradient)`` with the gradient shaped like x. x is copied to
    float64. f is called once more at x at the end, so a function that loads x into a model
    leaves the model at x.
    """
    x = np.array(x, dtype=np.float64)
    result = f(x.copy())
    if not isinstance(result, tuple) or len(result) != 2:
        raise ValueError("gradcheck: f(x) must return a tuple (value, gradient)")
    analytic = np.asarray(result[1], dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"gradcheck: f returned a gradient of shape {analytic.shape} for x "
                         f"of shape {x.shape}")
    numeric = numerical_gradient(f, x, eps)
    f(x.copy())
    return relative_error(analytic, numeric, floor)


def _value(result) -> float:
    return float(result[0] if isinstance(result, tuple) else result)

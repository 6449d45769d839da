"""Gradient clipping, in place, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from coursekit.optim.base import check_nonnegative


def _float_arrays(grads: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    arrays = [grads] if isinstance(grads, np.ndarray) else list(grads)
    for i, g in enumerate(arrays):
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            kind = g.dtype if isinstance(g, np.ndarray) else type(g).__name__
            raise ValueError(f"grads[{i}] must be a floating-point numpy array (clipped in place); "
                             f"got {kind}")  # fmt: skip
    return arrays


def clip_grad_norm(
    grads: np.ndarray | Sequence[np.ndarray],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    r"""Rescale all gradients together so their joint p-norm is at most ``max_norm``.

    ‖g‖ = ‖(‖g₁‖_p, …, ‖g_n‖_p)‖_p (the p-norm of all entries at once; p = inf: max |gᵢ|), then
    every g_i ← g_i · min(1, max_norm / (‖g‖ + 10⁻⁶)). Returns ‖g‖ before clipping. As torch's
    ``clip_grad_norm_``: a non-finite norm gives nan/0 gradients unless ``error_if_nonfinite``,
    which raises ValueError instead (torch raises RuntimeError).
    """
    arrays = _float_arrays(grads)
    max_norm = check_nonnegative("max_norm", max_norm)
    p = float(norm_type)
    if not (p > 0):
        raise ValueError(f"norm_type must be > 0 (or inf); got {norm_type!r}")
    if not arrays:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.array([np.linalg.norm(g.ravel(), ord=p) if g.size else 0.0 for g in arrays])
        total = float(np.linalg.norm(norms, ord=p))
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"the total {p}-norm of grads is {total}; gradients are not finite")
    coef = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    if coef != 1.0:
        with np.errstate(invalid="ignore"):
            for g in arrays:
                g *= coef
    return total


def clip_grad_value(grads: np.ndarray | Sequence[np.ndarray], clip_value: float) -> None:
    """Clip every gradient entry to [−clip_value, clip_value], in place (torch's
    ``clip_grad_value_``)."""
    clip_value = check_nonnegative("clip_value", clip_value)
    for g in _float_arrays(grads):
        np.clip(g, -clip_value, clip_value, out=g)

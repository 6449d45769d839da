"""The protocol every landscape follows: value, exact gradient and exact Hessian.

A landscape of dimension d maps points x of shape (..., d) to values of shape (...).
Its gradient has shape (..., d) and its Hessian shape (..., d, d), so one call evaluates a
whole contour grid.
"""

from __future__ import annotations

import numpy as np


class Landscape:
    """Base class: a smooth function f: R^d -> R with exact first and second derivatives.

    Subclasses set ``dim`` and ``name`` and implement ``_value``, ``_grad`` and ``_hessian``
    on a validated float array of shape (..., dim).

    Attributes
    ----------
    minima : ndarray, shape (m, dim)
        The known global or local minimizers.
    critical_points : dict[str, ndarray]
        Known critical points (gradient zero) by kind: "minimum", "maximum", "saddle".
    bounds : tuple of (low, high) per axis
        A window that shows the interesting part of the landscape in a plot.
    log_levels : bool
        Whether contour levels read best spaced geometrically (steep valleys).
    """

    dim: int = 2
    name: str = "landscape"
    bounds: tuple[tuple[float, float], ...] = ((-2.0, 2.0), (-2.0, 2.0))
    log_levels: bool = False

    def __init__(self) -> None:
        self.critical_points: dict[str, np.ndarray] = {}

    @property
    def minima(self) -> np.ndarray:
        return self.critical_points.get("minimum", np.empty((0, self.dim)))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """f(x): shape (..., d) -> (...)."""
        return self._value(self._point(x))

    def grad(self, x: np.ndarray) -> np.ndarray:
        """∇f(x): shape (..., d) -> (..., d)."""
        return self._grad(self._point(x))

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """∇²f(x): shape (..., d) -> (..., d, d), symmetric."""
        return self._hessian(self._point(x))

    def _point(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(
                f"{self.name} takes points of shape (..., {self.dim}); "
                f"got an array of shape {x.shape}"
            )
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _value(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _hessian(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def stack_hessian(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    """Assemble the symmetric 2×2 Hessian [[hxx, hxy], [hxy, hyy]] over a grid: (..., 2, 2)."""
    hxx, hxy, hyy = np.broadcast_arrays(hxx, hxy, hyy)
    return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

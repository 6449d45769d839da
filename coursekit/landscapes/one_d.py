"""Functions of one variable for lesson 02, with their first three derivatives.

They follow the Landscape protocol with d = 1 (points of shape (..., 1)) so the optimizers'
runner accepts them, and also offer ``derivative(t, order)`` elementwise on any array of
scalars, which is what Taylor polynomials and 1D plots want.
"""

from __future__ import annotations

import numpy as np

from .base import Landscape


class Function1D(Landscape):
    """Base class: f: R -> R given by its derivatives f, f', f'', f''' elementwise."""

    dim = 1
    bounds = ((-3.0, 3.0),)

    def derivative(self, t: np.ndarray, order: int = 0) -> np.ndarray:
        """f^(order)(t) elementwise, order 0..3; ``t`` of any shape.

        ``order=0`` (the default) is f itself, not f': lessons and new code pass ``order``
        explicitly, so that ``f.derivative(t)`` is never read as the slope.
        """
        if order not in (0, 1, 2, 3):
            raise ValueError(f"derivative order must be 0, 1, 2 or 3; got {order}")
        return self._derivative(np.asarray(t, dtype=np.float64), order)

    def _derivative(self, t: np.ndarray, order: int) -> np.ndarray:
        raise NotImplementedError

    def _value(self, x):
        return self._derivative(x[..., 0], 0)

    def _grad(self, x):
        return self._derivative(x[..., 0], 1)[..., None]

    def _hessian(self, x):
        return self._derivative(x[..., 0], 2)[..., None, None]


class Parabola(Function1D):
    """f(θ) = (c/2) θ²: curvature c everywhere; GD with step α multiplies θ by (1 − cα)."""

    name = "parabola"

    def __init__(self, c: float = 1.0) -> None:
        super().__init__()
        self.c = float(c)
        kind = "minimum" if self.c > 0 else "maximum" if self.c < 0 else None
        if kind:
            self.critical_points[kind] = np.zeros((1, 1))

    def _derivative(self, t, order):
        return [0.5 * self.c * t**2, self.c * t, self.c + 0 * t, 0 * t][order]

    def __repr__(self) -> str:
        return f"Parabola(c={self.c})"


class DoubleWell(Function1D):
    """f(θ) = θ⁴/4 − θ²/2 + tilt·θ: two minima near ±1 and a maximum near 0 (f'' < 0 there)."""

    name = "double well"
    bounds = ((-2.0, 2.0),)

    def __init__(self, tilt: float = 0.0) -> None:
        super().__init__()
        self.tilt = float(tilt)
        # Critical points: roots of f'(θ) = θ³ − θ + tilt, classified by f''(θ) = 3θ² − 1.
        roots = np.roots([1.0, 0.0, -1.0, self.tilt])
        roots = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
        curvature = 3 * roots**2 - 1
        self.critical_points["minimum"] = roots[curvature > 0][:, None]
        self.critical_points["maximum"] = roots[curvature < 0][:, None]

    def _derivative(self, t, order):
        return [t**4 / 4 - t**2 / 2 + self.tilt * t, t**3 - t + self.tilt,
                3 * t**2 - 1, 6 * t][order]

    def __repr__(self) -> str:
        return f"DoubleWell(tilt={self.tilt})"


class LogCosh(Function1D):
    """f(θ) = log cosh θ: convex, quadratic near 0, linear far out; f' = tanh θ, f'' = sech² θ.

    Newton's method converges fast from |θ0| < 1.0886 and diverges beyond, because the flat
    curvature far out makes the step −f'/f'' = −sinh θ cosh θ overshoot.
    """

    name = "log cosh"

    def __init__(self) -> None:
        super().__init__()
        self.critical_points["minimum"] = np.zeros((1, 1))

    def _derivative(self, t, order):
        if order == 0:
            a = np.abs(t)
            return a + np.log1p(np.exp(-2 * a)) - np.log(2.0)
        tanh = np.tanh(t)
        sech2 = 1 - tanh**2
        return [None, tanh, sech2, -2 * sech2 * tanh][order]


class SineBowl(Function1D):
    """f(θ) = θ²/2 + sin(3θ): a bowl with ripples, for Taylor models of order 1, 2 and 3."""

    name = "sine bowl"

    def __init__(self) -> None:
        super().__init__()
        roots = critical_points_1d(self, *self.bounds[0])
        curvature = self._derivative(roots, 2)
        self.critical_points["minimum"] = roots[curvature > 0][:, None]
        self.critical_points["maximum"] = roots[curvature < 0][:, None]

    def _derivative(self, t, order):
        s, c = np.sin(3 * t), np.cos(3 * t)
        return [t**2 / 2 + s, t + 3 * c, 1 - 9 * s + 0 * t, -27 * c][order]


def critical_points_1d(f: Function1D, low: float, high: float, n: int = 2001) -> np.ndarray:
    """The roots of f' in [low, high]: sign changes on a grid, polished by Newton's method."""
    t = np.linspace(low, high, n)
    slope = f.derivative(t, 1)
    roots = t[:-1][np.sign(slope[:-1]) * np.sign(slope[1:]) < 0]
    for _ in range(30):
        roots = roots - f.derivative(roots, 1) / f.derivative(roots, 2)
    return roots

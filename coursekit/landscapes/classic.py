"""The classic 2D test functions of optimization lectures, with exact derivatives.

Each is vectorized over a grid: points (..., 2) -> values (...).
"""

from __future__ import annotations

import numpy as np

from .base import Landscape, stack_hessian


class Rosenbrock(Landscape):
    """f(x, y) = (a − x)² + b (y − x²)²: a curved, narrow valley; minimum at (a, a²)."""

    name = "Rosenbrock"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    log_levels = True

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        super().__init__()
        self.a, self.b = float(a), float(b)
        self.critical_points["minimum"] = np.array([[self.a, self.a**2]])

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, p):
        x, y = p[..., 0], p[..., 1]
        r = y - x**2
        return np.stack([-2 * (self.a - x) - 4 * self.b * x * r, 2 * self.b * r], -1)

    def _hessian(self, p):
        x, y = p[..., 0], p[..., 1]
        return stack_hessian(2 - 4 * self.b * (y - x**2) + 8 * self.b * x**2,
                             -4 * self.b * x, 2 * self.b + 0 * x)

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a}, b={self.b})"


class Himmelblau(Landscape):
    """f(x, y) = (x² + y − 11)² + (x + y² − 7)²: four minima (value 0), a maximum, four saddles."""

    name = "Himmelblau"
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    log_levels = True

    def __init__(self) -> None:
        super().__init__()
        # Found by Newton's method from the textbook approximations, to full float64 precision.
        self.critical_points = {
            "minimum": np.array([
                [3.0, 2.0],
                [-2.805118086952745, 3.131312518250573],
                [-3.779310253377747, -3.283185991286169],
                [3.5844283403304917, -1.8481265269644034],
            ]),
            "maximum": np.array([[-0.2708445906673476, -0.9230385564799813]]),
            "saddle": np.array([
                [0.08667750455539634, 2.884254701174776],
                [-3.0730257507643897, -0.08135304428796751],
                [3.385154183607021, 0.07385187983774928],
                [-0.12796134673068005, -1.9537149802445766],
            ]),
        }

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def _grad(self, p):
        x, y = p[..., 0], p[..., 1]
        u, v = x**2 + y - 11, x + y**2 - 7
        return np.stack([4 * x * u + 2 * v, 2 * u + 4 * y * v], -1)

    def _hessian(self, p):
        x, y = p[..., 0], p[..., 1]
        u, v = x**2 + y - 11, x + y**2 - 7
        return stack_hessian(4 * u + 8 * x**2 + 2, 4 * x + 4 * y, 2 + 4 * v + 8 * y**2)


class Beale(Landscape):
    """f(x, y) = Σᵢ (cᵢ − x + x yⁱ)², c = (1.5, 2.25, 2.625): flat plateaus, sharp ridges;
    minimum 0 at (3, 0.5)."""

    name = "Beale"
    bounds = ((-4.5, 4.5), (-4.5, 4.5))
    log_levels = True
    _c = (1.5, 2.25, 2.625)

    def __init__(self) -> None:
        super().__init__()
        self.critical_points["minimum"] = np.array([[3.0, 0.5]])

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return sum((c - x + x * y**i) ** 2 for i, c in enumerate(self._c, start=1))

    def _grad(self, p):
        x, y = p[..., 0], p[..., 1]
        gx = gy = 0.0
        for i, c in enumerate(self._c, start=1):
            a = c - x + x * y**i
            gx = gx + 2 * a * (y**i - 1)
            gy = gy + 2 * a * i * x * y ** (i - 1)
        return np.stack(np.broadcast_arrays(gx, gy), -1)

    def _hessian(self, p):
        x, y = p[..., 0], p[..., 1]
        hxx = hxy = hyy = 0.0
        for i, c in enumerate(self._c, start=1):
            a = c - x + x * y**i
            ax, ay = y**i - 1, i * x * y ** (i - 1)
            axy = i * y ** (i - 1)
            ayy = i * (i - 1) * x * y ** (i - 2) if i >= 2 else 0.0
            hxx = hxx + 2 * ax * ax
            hxy = hxy + 2 * (ax * ay + a * axy)
            hyy = hyy + 2 * (ay * ay + a * ayy)
        return stack_hessian(hxx, hxy, hyy)


class Saddle(Landscape):
    """f(x, y) = x² − y²: the textbook saddle; Hessian diag(2, −2) everywhere."""

    name = "saddle"

    def __init__(self) -> None:
        super().__init__()
        self.critical_points["saddle"] = np.zeros((1, 2))

    def _value(self, p):
        return p[..., 0] ** 2 - p[..., 1] ** 2

    def _grad(self, p):
        return np.stack([2 * p[..., 0], -2 * p[..., 1]], -1)

    def _hessian(self, p):
        one = np.ones(p.shape[:-1])
        return stack_hessian(2 * one, 0 * one, -2 * one)


class MonkeySaddle(Landscape):
    """f(x, y) = x³ − 3xy²: a degenerate saddle (Hessian zero at the origin), three valleys."""

    name = "monkey saddle"

    def __init__(self) -> None:
        super().__init__()
        self.critical_points["saddle"] = np.zeros((1, 2))

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return x**3 - 3 * x * y**2

    def _grad(self, p):
        x, y = p[..., 0], p[..., 1]
        return np.stack([3 * x**2 - 3 * y**2, -6 * x * y], -1)

    def _hessian(self, p):
        x, y = p[..., 0], p[..., 1]
        return stack_hessian(6 * x, -6 * y, -6 * x)


class Rastrigin(Landscape):
    """f(x) = A d + Σᵢ (xᵢ² − A cos 2πxᵢ): a bowl covered in local minima; global minimum 0 at 0."""

    name = "Rastrigin"
    bounds = ((-5.12, 5.12), (-5.12, 5.12))

    def __init__(self, dim: int = 2, A: float = 10.0) -> None:
        super().__init__()
        self.dim, self.A = int(dim), float(A)
        self.bounds = ((-5.12, 5.12),) * self.dim
        self.critical_points["minimum"] = np.zeros((1, self.dim))

    def _value(self, x):
        return self.A * self.dim + np.sum(x**2 - self.A * np.cos(2 * np.pi * x), axis=-1)

    def _grad(self, x):
        return 2 * x + 2 * np.pi * self.A * np.sin(2 * np.pi * x)

    def _hessian(self, x):
        diag = 2 + 4 * np.pi**2 * self.A * np.cos(2 * np.pi * x)
        return diag[..., :, None] * np.eye(self.dim)

    def __repr__(self) -> str:
        return f"Rastrigin(dim={self.dim}, A={self.A})"

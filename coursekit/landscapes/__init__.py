"""Test landscapes with exact values, gradients and Hessians.

``f = Rosenbrock(); f(x)`` for x of shape (..., d) returns shape (...); ``f.grad(x)`` shape
(..., d); ``f.hessian(x)`` shape (..., d, d). Known critical points are in
``f.critical_points`` (``f.minima`` for the minima).
"""

from .base import Landscape
from .classic import Beale, Himmelblau, MonkeySaddle, Rastrigin, Rosenbrock, Saddle
from .one_d import DoubleWell, Function1D, LogCosh, Parabola, SineBowl
from .quadratic import Quadratic, rotation

__all__ = [
    "Landscape", "Quadratic", "rotation", "Rosenbrock", "Himmelblau", "Beale", "Saddle",
    "MonkeySaddle", "Rastrigin", "Function1D", "Parabola", "DoubleWell", "LogCosh", "SineBowl",
]

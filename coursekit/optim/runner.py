"""Run an optimizer on a landscape and keep the whole path, stopping cleanly on divergence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Trajectory:
    """The iterates of one run.

    points : (n + 1, d) the iterates x_0 … x_n that stayed finite and inside the bound
    losses : (n + 1,) f(x_k)
    grad_norms : (n + 1,) ‖∇f(x_k)‖₂
    diverged : the step k at which x_k or f(x_k) became non-finite or left the bound
        (that iterate is not stored), or None when the run finished.
    """

    points: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    diverged: int | None = None

    @property
    def final(self) -> np.ndarray:
        """The last stored iterate."""
        return self.points[-1]

    @property
    def steps(self) -> int:
        """How many steps were taken and stored."""
        return len(self.points) - 1


def run(
    opt,
    f,
    x0: np.ndarray,
    steps: int,
    bound: float = 1e6,
    grad: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Trajectory:
    """Take ``steps`` steps of ``opt`` on ``f`` from ``x0`` and return the Trajectory.

    The optimizer is reset first, so a run never inherits momentum from an earlier one.
    ``grad`` replaces ``f.grad`` (e.g. a noisy gradient for stochastic demos). A run stops at
    the first step whose iterate or value is non-finite or exceeds ``bound`` in absolute value
    (the loss bound is ``bound**2``), silently: the caller reads ``diverged``.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    grad = f.grad if grad is None else grad
    x = np.array(x0, dtype=np.float64)
    opt.reset()
    with np.errstate(all="ignore"):
        loss, g = float(f(x)), np.asarray(grad(x), dtype=np.float64)
        points, losses, norms = [x.copy()], [loss], [float(np.linalg.norm(g))]
        diverged = None
        if not (np.all(np.isfinite(x)) and np.isfinite(loss) and np.all(np.isfinite(g))):
            raise ValueError(f"x0 must be a point where f and its gradient are finite; got {x0!r}")
        for k in range(1, steps + 1):
            opt.step(x, g)
            loss = float(f(x))
            escaped = not (np.all(np.isfinite(x)) and np.isfinite(loss))
            if escaped or np.max(np.abs(x)) > bound or abs(loss) > bound**2:
                diverged = k
                break
            g = np.asarray(grad(x), dtype=np.float64)
            if not np.all(np.isfinite(g)):
                diverged = k
                break
            points.append(x.copy())
            losses.append(loss)
            norms.append(float(np.linalg.norm(g)))
    return Trajectory(np.array(points), np.array(losses), np.array(norms), diverged)

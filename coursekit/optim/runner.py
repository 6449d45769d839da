"""The one stepping protocol: how every loop of the course takes a step and decides it diverged.

``run`` (landscapes), the race widget, ``coursekit.stochastic.run_stochastic`` (minibatches) and
``coursekit.train.fit`` (networks) all go through the same two functions, so a lesson's numbers
do not depend on which loop drew them:

- ``divergence(loss, grad_norm, x_max, bound)``: the rule. An iterate θ_k ends the run when
  its loss or gradient norm is not finite, or (with a ``bound``) when max|θ_k| > bound or
  |loss| > bound². It returns the reason as a sentence, or None. The iterate that breaks the
  rule is not kept; the run's ``diverged`` is its index k, and ``stopped`` says why.
- ``take_step(opt, params, grads, clip=None)``: optionally clip the gradients to global norm
  ≤ clip, then ``opt.step(params, grads)``.

Loops run under ``np.errstate(all="ignore")``: overflow on the way to divergence is the rule's
business, reported once, not a stream of warnings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coursekit.optim.clip import clip_grad_norm


def divergence(loss: float, grad_norm: float, x_max: float = 0.0,
               bound: float | None = None) -> str | None:
    """Why the iterate with this loss, gradient norm ‖g‖ and max|θ| ends the run, or None."""
    if not math.isfinite(loss):
        return f"the loss became {loss}"
    if not math.isfinite(grad_norm):
        return f"the gradient norm became {grad_norm}"
    if bound is not None and not x_max <= bound:
        return f"|θ| reached {x_max:.3g}, beyond the bound {bound:g}"
    if bound is not None and abs(loss) > bound**2:
        return f"the loss reached {loss:.3g}, beyond the bound {bound**2:g}"
    return None


def take_step(opt, params, grads, clip: float | None = None) -> None:
    """The one way to take a step: clip the gradients to global norm ≤ ``clip`` (if given),
    then ``opt.step(params, grads)``."""
    if clip is not None:
        clip_grad_norm(grads, clip)
    opt.step(params, grads)


@dataclass
class Trajectory:
    """The iterates of one run.

    points : (n + 1, d) the iterates x_0 … x_n kept (every one obeys ``divergence``)
    losses : (n + 1,) f(x_k)
    grad_norms : (n + 1,) ‖∇f(x_k)‖₂
    diverged : the index k of the first iterate that broke the rule (not stored), or None
    stopped : why the run stopped early (``divergence``'s sentence), or None
    """

    points: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    diverged: int | None = None
    stopped: str | None = None

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
    ``grad`` replaces ``f.grad`` (e.g. a noisy gradient for stochastic demos). The run stops
    at the first iterate that breaks ``divergence`` with this ``bound``, and says so in
    ``stopped``; the Trajectory keeps the iterates before it.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    grad = f.grad if grad is None else grad
    x = np.array(x0, dtype=np.float64)
    opt.reset()
    points, losses, norms, diverged, stopped = [], [], [], None, None
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            loss, g = float(f(x)), np.asarray(grad(x), dtype=np.float64)
            norm = float(np.linalg.norm(g))
            reason = divergence(loss, norm, float(np.max(np.abs(x), initial=0.0)), bound)
            if reason is not None and k == 0:
                raise ValueError(f"x0 must be a point where f and its gradient are finite (and "
                                 f"inside the bound); got {x0!r}: {reason}")
            if reason is not None:
                diverged, stopped = k, f"diverged at step {k}: {reason}"
                break
            points.append(x.copy())
            losses.append(loss)
            norms.append(norm)
            if k < steps:
                take_step(opt, x, g)
    return Trajectory(np.array(points), np.array(losses), np.array(norms), diverged, stopped)

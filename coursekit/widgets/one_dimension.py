"""Lesson 02: gradient descent in one dimension, and what the product cα decides.

On f(θ) = (c/2)θ², gradient descent θ ← θ − α f'(θ) multiplies θ by the same factor every step,

    θ_k = (1 − cα)^k θ_0,

so cα < 1 converges monotonically, cα = 1 lands on the minimum in one step, 1 < cα < 2
oscillates while converging, cα = 2 bounces between ±θ_0 forever ("cycles"), and cα > 2
diverges.

Two non-quadratic functions are scaled so their curvature at the minimum θ* is c as well:
c·log cosh θ (θ* = 0) and (c/2)(θ⁴/4 − θ²/2) (θ* = ±1). Near θ* the same factor (1 − cα)
rules, but far away it does not: log cosh's gradient is bounded by c, so where the parabola
diverges, GD on it settles into a bounded cycle; the double well's steep walls make it diverge
from further out than the local rule predicts.

``render(lr, c, function)`` draws f with the iterates on it (left) and the trace θ_k against k
with the envelope θ* ± |1 − cα|^k |θ_0 − θ*| (right), naming the regime in the title and in
``info["regime"]``: "one step", "converges", "oscillates", "cycles" or "diverges".
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..landscapes import DoubleWell, Function1D, LogCosh, Parabola
from ..optim import SGD, run
from .base import Rendered, log_slider
from .base import explorer as base_explorer

SLIDER_RANGES: dict[str, tuple[float, float]] = {"lr": (1e-3, 10.0), "c": (0.1, 10.0)}
FUNCTIONS = ("parabola", "log cosh", "double well")
REGIMES = ("one step", "converges", "oscillates", "cycles", "diverges")
THETA0, STEPS, BOUND = 2.0, 30, 1e6


class ScaledFunction(Function1D):
    """s·g(θ) for a Function1D g: same critical points, every derivative times s."""

    def __init__(self, base: Function1D, scale: float) -> None:
        super().__init__()
        self.base, self.scale = base, float(scale)
        self.name, self.bounds = base.name, base.bounds
        self.critical_points = dict(base.critical_points)

    def _derivative(self, t, order):
        return self.scale * self.base._derivative(t, order)


def landscape(function: str, c: float) -> Function1D:
    """The chosen function scaled so that f''(θ*) = c at its minimum θ*."""
    if function == "parabola":
        return Parabola(c)
    if function == "log cosh":
        return ScaledFunction(LogCosh(), c)  # (log cosh)''(0) = 1
    if function == "double well":
        return ScaledFunction(DoubleWell(), c / 2)  # (θ⁴/4 − θ²/2)''(±1) = 2
    raise ValueError(f"function must be one of {FUNCTIONS}; got {function!r}")


def parabola_regime(lr: float, c: float) -> str:
    """The regime of GD on (c/2)θ² from the factor 1 − cα alone."""
    ca = lr * c
    if np.isclose(ca, 1.0, rtol=1e-6, atol=0):
        return "one step"
    if np.isclose(ca, 2.0, rtol=1e-9, atol=0):
        return "cycles"
    return "converges" if ca < 1 else "oscillates" if ca < 2 else "diverges"


def simulated_regime(errors: np.ndarray, diverged: int | None, factor: float) -> str:
    """The regime of a run on a non-quadratic function, from its errors e_k = θ_k − θ* and
    the local factor 1 − cα at θ*.

    Left the bound: "diverges"; |e_1| ≈ 0: "one step". If |1 − cα| > 1, θ* repels nearby
    points, so a bounded run "cycles" (or wanders) around it. Otherwise, if |e| shrinks over
    the last five steps: "oscillates" when the signs of e alternate there, else "converges";
    if it does not shrink, the run is caught in a cycle away from θ*: "cycles".
    """
    e = np.abs(errors)
    if diverged is not None:
        return "diverges"
    if len(e) > 1 and e[1] <= 1e-12 * e[0]:
        return "one step"
    if abs(factor) > 1:
        return "cycles"
    tail = errors[-6:]
    shrinking = e[-1] <= 1e-9 * max(e[0], 1e-300) or e[-1] < (1 - 1e-9) * e[-len(tail)]
    if not shrinking:
        return "cycles"
    return "oscillates" if np.all(tail[:-1] * tail[1:] < 0) else "converges"


def render(lr: float = 0.2, c: float = 2.0, function: str = "parabola",
           theta0: float = THETA0, steps: int = STEPS) -> Rendered:
    """Gradient descent with learning rate ``lr`` on the chosen function of curvature ``c``.

    ``info``: lr, c, function, factor (1 − cα), regime, diverged (the step at which |θ| left
    1e6, else None), minimizer θ*, final θ_n, steps (stored), xlim/ylim of the trace and
    landscape_xlim/landscape_ylim.
    """
    lr, c = float(lr), float(c)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0; got {lr}")
    if not (np.isfinite(c) and c > 0):
        raise ValueError(f"c must be a finite number > 0; got {c}")
    f = landscape(function, c)
    path = run(SGD(lr=lr), f, np.array([float(theta0)]), steps, bound=BOUND)
    theta = path.points[:, 0]
    minima = f.minima[:, 0]
    minimizer = float(minima[np.argmin(np.abs(minima - theta[-1]))])
    factor = 1.0 - c * lr
    if function == "parabola":
        regime = parabola_regime(lr, c)
    else:
        regime = simulated_regime(theta - minimizer, path.diverged, factor)

    # A fixed layout: constrained layout would double the time of every slider move.
    fig = Figure(figsize=(10, 3.8), layout="none")
    ax_f, ax_k = fig.subplots(1, 2, gridspec_kw={"left": 0.07, "right": 0.98, "bottom": 0.13,
                                                 "top": 0.86, "wspace": 0.22})
    _draw_landscape(ax_f, f, theta, theta0, minimizer)
    _draw_trace(ax_k, theta, steps, factor, minimizer, theta0)
    title = f"{function}: α = {lr:.3g}, c = {c:.3g}, cα = {c * lr:.3g} → {regime}"
    if path.diverged is not None:
        title += f" (|θ| > {BOUND:.0e} at step {path.diverged})"
    fig.suptitle(title)

    info = {
        "lr": lr, "c": c, "function": function, "factor": factor, "regime": regime,
        "diverged": path.diverged, "minimizer": minimizer, "final": float(theta[-1]),
        "steps": path.steps, "xlim": ax_k.get_xlim(), "ylim": ax_k.get_ylim(),
        "landscape_xlim": ax_f.get_xlim(), "landscape_ylim": ax_f.get_ylim(),
    }
    return Rendered(fig, info)


def _draw_landscape(ax, f: Function1D, theta: np.ndarray, theta0: float, minimizer: float):
    """f over a window around θ* that holds the start; the iterates as a zigzag on it."""
    half_width = 1.25 * max(abs(theta0 - minimizer), 1.0)
    reach = min(np.max(np.abs(theta - minimizer)), 4 * half_width)
    half_width = max(half_width, 1.1 * reach)
    grid = minimizer + np.linspace(-half_width, half_width, 300)
    values = f.derivative(grid)
    ax.plot(grid, values, color="gray")
    with np.errstate(all="ignore"):
        ax.plot(theta, f.derivative(theta), "-o", color="tab:orange", ms=3, lw=1)
    ax.plot(theta[:1], f.derivative(theta[:1]), "o", mfc="none", color="tab:orange", ms=8)
    low, high = float(values.min()), float(values.max())
    pad = 0.08 * (high - low)
    ax.set(xlim=(grid[0], grid[-1]), ylim=(low - pad, high + pad), xlabel="θ", ylabel="f(θ)")


def _draw_trace(ax, theta: np.ndarray, steps: int, factor: float, minimizer: float,
                theta0: float):
    """θ_k against k, and the envelope θ* ± |1 − cα|^k |θ_0 − θ*| (exact for the parabola,
    the linearization at θ* otherwise)."""
    k = np.arange(steps + 1)
    with np.errstate(all="ignore"):
        envelope = np.abs(factor) ** k * abs(theta0 - minimizer)
    envelope = np.minimum(envelope, BOUND)
    ax.plot(k, minimizer + envelope, "--", color="tab:blue", lw=1)
    ax.plot(k, minimizer - envelope, "--", color="tab:blue", lw=1)
    ax.plot(k[: len(theta)], theta, "-o", color="tab:orange", ms=3, lw=1)
    ax.axhline(minimizer, color="gray", lw=0.8)
    start = abs(theta0 - minimizer)
    largest = max(float(np.max(np.abs(theta - minimizer))), start, 1e-12)
    if largest > 4 * start:
        # Growing runs on a symmetric log scale, centred on 0 where symlog is linear.
        ax.set_yscale("symlog", linthresh=max(start, 1e-12))
        limit = 2 * float(np.max(np.abs(theta)))
        ax.set_ylim(-limit, limit)
    else:
        limit = 1.15 * largest
        ax.set_ylim(minimizer - limit, minimizer + limit)
    ax.set(xlim=(0, steps), xlabel="step k", ylabel="θₖ")
    ax.set_title("θₖ (orange) and θ* ± |1 − cα|ᵏ |θ₀ − θ*| (dashed)", fontsize=9)


def explorer(lr: float = 0.2, c: float = 2.0, function: str = "parabola") -> widgets.VBox:
    """Log sliders for α and c and a menu of functions, re-rendering the trace."""
    return base_explorer(
        render,
        lr=log_slider(lr, *SLIDER_RANGES["lr"], "learning rate α"),
        c=log_slider(c, *SLIDER_RANGES["c"], "curvature c"),
        function=widgets.Dropdown(options=list(FUNCTIONS), value=function,
                                  description="function"),
    )

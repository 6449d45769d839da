"""Lesson 11: how the damping λ decides whether Newton's method stops at a saddle.

Damped Newton on Himmelblau's function, x ← x − (H + λI)⁻¹∇f, from a start near one of its
saddles. Near a critical point x* with Hessian eigenvalues hᵢ, the error along eigenvector i is
multiplied each step by

    ρᵢ(λ) = λ / (λ + hᵢ).

For a minimum (hᵢ > 0) every ρᵢ lies in [0, 1): damped Newton converges for any λ ≥ 0. At a
saddle, the negative eigenvalue h₋ gives |ρ₋| < 1 exactly when λ < |h₋|/2, so small damping
makes the saddle *attracting* (undamped Newton, λ → 0, jumps straight to it), while
λ > |h₋|/2 repels it and the method slides off to a minimum; for λ ≫ |H| the step is ≈ ∇f/λ,
gradient descent with learning rate 1/λ.

The left panel draws the path on the contours; the right panel draws |ρᵢ(λ)| at the saddle for
both eigen-directions, with the current λ marked.

:class:`DampedNewtonView` builds the figure once; a slider move only moves the path and the
current-λ markers and retitles the path panel (axes, ticks and legends stay fixed).
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from .. import second_order
from ..landscapes import Himmelblau
from .base import (
    Rendered,
    WidgetView,
    lecture_style,
    legend_below,
    legend_strip,
    log_slider,
    shared_view,
)
from .base import explorer as base_explorer

SLIDER_RANGES: dict[str, tuple[float, float]] = {"damping": (1e-4, 1e2)}
START = (0.5, 3.5)
STEPS = 60
GTOL = 1e-3  # a gradient this small counts as arrived (≈ 1e-5 from a critical point here)
_F = Himmelblau()
_SADDLE = _F.critical_points["saddle"][0]
TITLE_Y = 1.01  # a fixed title height spares matplotlib a tick-overlap search per redraw


def damped_newton_path(damping: float, x0=START, steps: int = STEPS
                       ) -> second_order.NewtonTrajectory:
    """The iterates of x ← x − (H(x) + λI)⁻¹∇f(x) on Himmelblau's function
    (:func:`coursekit.second_order.damped_newton`).

    Stops (``diverged`` set to the step) when H + λI is singular, or the iterate leaves
    |x| ≤ 1e3; never warns.
    """
    return second_order.damped_newton(_F, x0, steps, damping=damping, bound=1e3, gtol=GTOL)


def saddle_factors(damping: np.ndarray | float) -> np.ndarray:
    """|ρᵢ(λ)| = |λ / (λ + hᵢ)| at the start's saddle, shape (..., 2), i over its eigenvalues."""
    h = np.linalg.eigvalsh(_F.hessian(_SADDLE))
    lam = np.asarray(damping, dtype=np.float64)[..., None]
    with np.errstate(divide="ignore"):
        return np.abs(lam / (lam + h))


def saddle_threshold() -> float:
    """λ* = |h₋|/2: below it damped Newton is attracted to the saddle, above it repelled."""
    return float(-np.linalg.eigvalsh(_F.hessian(_SADDLE))[0] / 2)


@lru_cache(maxsize=1)
def _contour_grid(n: int = 160):
    (x0, x1), (y0, y1) = _F.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    Z = _F(np.stack([X, Y], -1))
    levels = np.geomspace(0.3, float(Z.max()), 18)
    return X, Y, Z, levels


def render(damping: float = 1e-4) -> Rendered:
    """Draw damped Newton's path for damping λ = ``damping`` and the saddle's factors ρᵢ(λ).

    ``info``: damping, regime ("reaches saddle" / "reaches minimum" / "reaches maximum" /
    "diverged" / "still moving"), end (last iterate), steps, diverged (step or None),
    threshold (λ* = |h₋|/2), factors (|ρᵢ(λ)| at the saddle), xlim, ylim.

    The figure is one shared :class:`DampedNewtonView`'s: the next call redraws it.
    """
    return shared_view(DampedNewtonView).render(damping=damping)


def _run(damping: float) -> tuple[dict, second_order.NewtonTrajectory]:
    """Validate λ and run damped Newton: (``info`` without axis limits, the trajectory)."""
    damping = float(damping)
    if not (np.isfinite(damping) and damping >= 0):
        raise ValueError(f"damping must be a finite number >= 0; got {damping}")
    path = damped_newton_path(damping)
    if path.diverged is not None:
        regime = "diverged"
    elif path.arrived_at is None:
        regime = "still moving"
    else:
        regime = f"reaches {path.arrived_at}"
    info = {
        "damping": damping, "regime": regime, "end": path.final.copy(), "steps": path.steps,
        "diverged": path.diverged, "threshold": saddle_threshold(),
        "factors": saddle_factors(damping),
    }
    return info, path


class DampedNewtonView(WidgetView):
    """Both panels, drawn once (contours, critical points, factor curves, legends, ticks);
    ``update`` moves the path, its end points and the current-λ markers, and retitles."""

    def __init__(self) -> None:
        # laid out once on the first render (constrained), then fixed: see WidgetView
        # One em between the panels: the square contour plot fills its column, and the
        # factor panel's y label would otherwise touch it (0.9 px apart in the lecture style).
        fig = Figure(figsize=(10, 6.6 if lecture_style() else 5.0),
                     layout=ConstrainedLayoutEngine(w_pad=mpl.rcParams["font.size"] / 72))
        super().__init__(fig)
        (self.ax, self.ax_rho), holders = legend_strip(fig, 2, width_ratios=(1.1, 1))
        self._build_path(self.ax, holders[0])
        self._build_factors(self.ax_rho, holders[1])
        self.canvas.dynamic = [self.path, self.start, self.end, self.ax.title, self.current]

    def widest_texts(self) -> dict:
        return {self.ax.title: "λ = 0.0001: diverged at step 60"}

    def _build_path(self, ax, holder) -> None:
        X, Y, Z, levels = _contour_grid()
        ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.8)
        markers = {"minimum": ("o", "tab:green"), "maximum": ("^", "tab:red"),
                   "saddle": ("x", "black")}
        for name, points in _F.critical_points.items():
            marker, color = markers[name]
            ax.plot(points[:, 0], points[:, 1], marker, color=color, ms=7, ls="none",
                    label=name)
        # drawn unclipped: the fixed axis limits crop excursions honestly
        self.path = ax.plot([], [], "-", marker=".", color="tab:orange", lw=1.5)[0]
        self.start = ax.plot([], [], "o", mfc="none", color="tab:orange", ms=8)[0]
        self.end = ax.plot([], [], "o", color="tab:orange", ms=8)[0]
        ax.set(xlim=_F.bounds[0], ylim=_F.bounds[1], xlabel="x₁", ylabel="x₂",
               aspect="equal")
        ax.set_title(" ", y=TITLE_Y)
        handles, labels = ax.get_legend_handles_labels()
        legend_below(holder, handles, labels, ncols=3)

    def _build_factors(self, ax, holder) -> None:
        grid = np.geomspace(*SLIDER_RANGES["damping"], 200)
        factors = saddle_factors(grid)
        h_minus, h_plus = np.linalg.eigvalsh(_F.hessian(_SADDLE))
        threshold = saddle_threshold()
        ax.loglog(grid, factors[:, 0], color="tab:red", label=f"|ρ−|, h = {h_minus:.1f}")
        ax.loglog(grid, factors[:, 1], color="tab:blue", label=f"|ρ+|, h = {h_plus:.1f}")
        ax.axhline(1.0, color="gray", lw=1)
        ax.axvline(threshold, color="black", ls="--", lw=1, label=f"λ* = {threshold:.2f}")
        self.current = ax.plot([], [], "o", color="tab:orange", label="current λ",
                               clip_on=False)[0]  # on the edge at the slider's ends: whole
        ax.set(xlabel="damping λ", ylabel="error factor per step",
               xlim=SLIDER_RANGES["damping"], ylim=(1e-7, 1e2))
        ax.set_title("saddle attracts where both factors < 1", y=TITLE_Y)
        # Fixed ticks without mathtext: log axes' automatic minor ticks dominate redraw time.
        for axis, ticks in ((ax.xaxis, [1e-4, 1e-2, 1.0, 1e2]),
                            (ax.yaxis, [1e-6, 1e-4, 1e-2, 1.0, 1e2])):
            axis.set_major_locator(FixedLocator(ticks))
            axis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
            axis.set_minor_locator(NullLocator())
        handles, labels = ax.get_legend_handles_labels()
        legend_below(holder, handles, labels, ncols=2)

    def update(self, damping: float = 1e-4) -> dict:
        """Redraw for damping λ = ``damping``; returns ``render``'s ``info``."""
        info, path = _run(damping)
        points = path.points
        self.path.set_data(points[:, 0], points[:, 1])
        self.start.set_data(points[:1, 0], points[:1, 1])
        self.end.set_data(points[-1:, 0], points[-1:, 1])
        title = f"λ = {info['damping']:.3g}: {info['regime']}"
        if info["diverged"] is not None:
            title += f" at step {info['diverged']}"
        self.ax.title.set_text(title)
        self.current.set_data([info["damping"]] * 2, info["factors"])
        info.update(xlim=self.ax.get_xlim(), ylim=self.ax.get_ylim())
        return info


def explorer(damping: float = 1e-4) -> widgets.VBox:
    """A log slider for λ over SLIDER_RANGES, re-rendering the path and the factor plot."""
    low, high = SLIDER_RANGES["damping"]
    return base_explorer(DampedNewtonView().render,
                         damping=log_slider(damping, low, high, "damping λ"))

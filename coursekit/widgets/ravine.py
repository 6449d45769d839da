"""Lesson 04: how the condition number κ turns a bowl into a ravine that gradient descent crawls.

Gradient descent θ ← θ − α∇E on E(θ) = ½θᵀAθ, A with eigenvalues λmin = λmax/κ and λmax = 1,
rotated by an angle. Along eigenvector q_i the error is multiplied each step by 1 − αλ_i:

    0 < αλ ≤ 1 decays,   1 < αλ ≤ 2 oscillates,   αλ > 2 diverges.

So α must stay below 2/λmax, and then the slow direction loses at most a fraction 2λmin/λmax =
2/κ of its error per step: κ sets the speed.

Panels: the path on the contours (the ravine), the error along each eigenvector on a log scale
(measured ●, closed form (1 − αλ)^k dashed), and the factor |1 − αλ| of both directions as a
function of α with the stability boundary 2/λmax and the best step 2/(λmin + λmax) marked.

:class:`RavineView` builds the figure once; a slider move only moves its lines and retitles
it (every axis is fixed, so no tick or legend is redrawn).
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .. import quadratic as q
from ..landscapes import Quadratic
from ..optim import SGD, run
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

SLIDER_RANGES: dict[str, tuple[float, float]] = {
    "lr": (1e-3, 3.0),
    "condition_number": (1.0, 1e4),
    "rotation_degrees": (0.0, 90.0),
}
LAMBDA_MAX = 1.0
START = (-2.0, 1.0)
STEPS = 50
WINDOW = 2.5
ERROR_LIMITS = (1e-16, 1e7)
COLORS = {"slow": "tab:blue", "fast": "tab:red"}
TITLE_Y = 1.01  # a fixed title height spares matplotlib a tick-overlap search per redraw


def ravine(condition_number: float, rotation_degrees: float = 0.0) -> Quadratic:
    """The 2D bowl with eigenvalues (1/κ, 1), rotated by ``rotation_degrees``."""
    return Quadratic.with_condition_number(
        condition_number, angle=np.deg2rad(rotation_degrees), lambda_max=LAMBDA_MAX)


@lru_cache(maxsize=64)
def level_sets(condition_number: float, rotation_degrees: float) -> np.ndarray:
    """Level sets E = c as one NaN-separated polyline: (n, 2). Exact ellipses, no contouring.

    In eigen-coordinates a level set is λmin u² + λmax v² = 2c; the levels are spaced so the
    short semi-axis √(2c/λmax) runs geometrically from 0.02 to 3.
    """
    f = ravine(condition_number, rotation_degrees)
    t = np.linspace(0, 2 * np.pi, 181)
    short = np.geomspace(0.02, 3.0, 14)[:, None]
    axes = np.stack([short * np.sqrt(condition_number) * np.cos(t), short * np.sin(t)], -1)
    curves = axes @ f.eigenvectors.T  # eigenvectors sorted: column 0 is λmin's
    gaps = np.full((len(short), 1, 2), np.nan)
    return np.concatenate([curves, gaps], axis=1).reshape(-1, 2)


def log_ticks(axis, low_exponent: int, high_exponent: int, every: int = 1) -> None:
    """Fixed ticks 10^k on a log ``axis`` with plain labels ("1e-5"): no minor ticks and no
    mathtext, which keeps a redraw cheap."""
    exponents = range(low_exponent, high_exponent + 1, every)
    axis.set_ticks([10.0**k for k in exponents], [f"1e{k}" if k else "1" for k in exponents])
    axis.set_minor_locator(NullLocator())


def format_rate(rate: float) -> str:
    """A contraction factor for a label: "0.8182", or "1 − 2e-07" when it is within 1e-3 of 1
    (where a rounded "1" would hide the crawl)."""
    if 0 < 1 - rate < 1e-3:
        return f"1 − {1 - rate:.2g}"
    return f"{rate:.4g}"


def _regime(regimes: tuple[str, ...]) -> str:
    for name in ("diverges", "oscillates", "decays"):
        if name in regimes:
            return name
    return regimes[0]


def render(lr: float = 0.5, condition_number: float = 20.0, rotation_degrees: float = 30.0,
           steps: int = STEPS) -> Rendered:
    """Run GD with step ``lr`` on the rotated ravine of condition number κ and draw it.

    ``info``: lr, condition_number, rotation_degrees, eigenvalues (λmin, λmax), factors
    (1 − αλ_i), regimes (per direction, slow first), regime (the worst one), rate
    (max |1 − αλ|), stable_lr (2/λmax), best_lr (2/(λmin + λmax)), steps (taken), diverged
    (step or None), errors (measured Qᵀ(θ_k − θ*), shape (steps + 1, 2)), xlim, ylim,
    error_ylim.

    The figure is one shared :class:`RavineView`'s: the next call redraws it.
    """
    return shared_view(RavineView).render(
        lr=lr, condition_number=condition_number, rotation_degrees=rotation_degrees,
        steps=steps)


def _run(lr: float, condition_number: float, rotation_degrees: float,
         steps: int) -> tuple[dict, np.ndarray, Quadratic]:
    """Validate the slider values and run GD: (``info`` without axis limits, path, bowl)."""
    lr, kappa, degrees = float(lr), float(condition_number), float(rotation_degrees)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0; got {lr}")
    if not (np.isfinite(kappa) and kappa >= 1):
        raise ValueError(f"condition_number must be finite and >= 1; got {condition_number}")
    if not np.isfinite(degrees):
        raise ValueError(f"rotation_degrees must be finite; got {rotation_degrees}")
    f = ravine(kappa, degrees)
    lam = f.eigenvalues
    path = run(SGD(lr=lr), f, START, steps, bound=1e6)
    regimes = q.gd_regimes(lam, lr)
    info = {
        "lr": lr, "condition_number": kappa, "rotation_degrees": degrees,
        "eigenvalues": lam.copy(), "factors": q.gd_factors(lam, lr), "regimes": regimes,
        "regime": _regime(regimes), "rate": float(q.gd_rate(lam, lr)),
        "stable_lr": q.stable_lr_bound(lam), "best_lr": q.optimal_lr(lam),
        "steps": path.steps, "diverged": path.diverged,
        "errors": q.eigen_coordinates(f, path.points),
    }
    return info, path.points, f


class RavineView(WidgetView):
    """The three panels, drawn once; ``update`` moves the path, the error curves, the factor
    markers and the best-α line, and rewrites two titles."""

    def __init__(self) -> None:
        # laid out once on the first render (constrained), then fixed: see WidgetView
        fig = Figure(figsize=(13, 7.0 if lecture_style() else 5.0), layout="constrained")
        super().__init__(fig)
        (self.ax_path, self.ax_err, self.ax_factor), holders = legend_strip(
            fig, 3, width_ratios=(1.0, 1.1, 1.1))
        holders[0].remove()  # the path panel has no legend
        self.path = PathPanel(self.ax_path)
        self._build_errors(self.ax_err, holders[1])
        self._build_factors(self.ax_factor, holders[2])
        self.canvas.dynamic = [*self.path.artists, *self.closed, *self.measured, self.slow_curve,
                               *self.markers, self.best_line, self.current_line,
                               self.ax_factor.title]

    def widest_texts(self) -> dict:
        return {self.ax_path.title: "α = 0.001, κ = 1e+04:\ndiverges at step 50",
                self.ax_factor.title: "rate max|1 − αλ| = 1 − 1e-07"}

    def _build_errors(self, ax, holder) -> None:
        self.closed = [ax.plot([], [], "--", color=COLORS[n], lw=1)[0] for n in COLORS]
        self.measured = [ax.plot([], [], "o", color=COLORS[n], ms=3)[0] for n in COLORS]
        ax.set(yscale="log", ylim=ERROR_LIMITS, xlabel="step k", ylabel="|error along eigenvector|")
        ax.set_title("per-eigendirection error (dashed: closed form)", fontsize="medium",
                     y=TITLE_Y)
        log_ticks(ax.yaxis, -15, 5, every=5)
        legend_below(holder, self.measured, ["slow: λmin = 1/κ", f"fast: λmax = {LAMBDA_MAX:g}"],
                     ncols=2)

    def _build_factors(self, ax, holder) -> None:
        alphas = _alpha_grid()
        stable = 2 / LAMBDA_MAX
        self.slow_curve = ax.plot(alphas, alphas, color=COLORS["slow"],
                                  label="|1 − αλmin| (slow)")[0]
        ax.plot(alphas, np.abs(1 - alphas * LAMBDA_MAX), color=COLORS["fast"],
                label="|1 − αλmax| (fast)")
        # Current-value markers sit on the axes' edge at the slider's ends: drawn whole.
        self.markers = [ax.plot([], [], "o", color=COLORS[n], ms=7, clip_on=False)[0]
                        for n in COLORS]
        ax.axhline(1.0, color="gray", lw=1)
        ax.axvline(stable, color="black", ls="--", lw=1.2, label=f"2/λmax = {stable:.3g}")
        self.best_line = ax.axvline(1.0, color="tab:green", ls=":", lw=1.2,
                                    label="best α = 2/(λmin+λmax)")
        self.current_line = ax.axvline(1.0, color="tab:orange", lw=1, label="current α")
        ax.axvspan(stable, alphas[-1], color="tab:red", alpha=0.08)
        ax.set(xscale="log", xlim=(alphas[0], alphas[-1]), ylim=(0, 2.2),
               xlabel="learning rate α", ylabel="error factor per step")
        ax.set_title(" ", fontsize="medium", y=TITLE_Y)
        log_ticks(ax.xaxis, -3, 0)
        handles, labels = ax.get_legend_handles_labels()
        legend_below(holder, handles, labels, ncols=2)

    def update(self, lr: float = 0.5, condition_number: float = 20.0,
               rotation_degrees: float = 30.0, steps: int = STEPS) -> dict:
        """Redraw for these slider values; returns ``render``'s ``info``."""
        info, points, f = _run(lr, condition_number, rotation_degrees, steps)
        lr, lam = info["lr"], info["eigenvalues"]
        self.canvas.static_key = steps
        self.path.update(points, f.eigenvectors,
                         level_sets(info["condition_number"], info["rotation_degrees"]),
                         f"α = {lr:.3g}, κ = {info['condition_number']:.3g}: {info['regime']}",
                         info["diverged"])

        k = np.arange(steps + 1)
        errors = info["errors"]
        lo, hi = ERROR_LIMITS
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            for i in range(2):
                closed = np.abs(errors[0, i]) * np.abs(1 - lr * lam[i]) ** k
                self.closed[i].set_data(k, np.clip(closed, lo, hi))
                measured = np.clip(np.abs(errors[:, i]), lo, hi)
                self.measured[i].set_data(k[: len(measured)], measured)
                self.markers[i].set_data([lr], [abs(1 - lr * lam[i])])
        self.ax_err.set_xlim(0, steps)

        self.slow_curve.set_ydata(np.abs(1 - _alpha_grid() * lam[0]))
        self.best_line.set_xdata([info["best_lr"]] * 2)
        self.current_line.set_xdata([lr] * 2)
        self.ax_factor.title.set_text(f"rate max|1 − αλ| = {format_rate(info['rate'])}")
        info.update(xlim=self.ax_path.get_xlim(), ylim=self.ax_path.get_ylim(),
                    error_ylim=self.ax_err.get_ylim())
        return info


class PathPanel:
    """The square ±WINDOW view around the minimum (●): level sets, the eigenvector axes, a
    path, and a title that names divergence; momentum's widget reuses it."""

    def __init__(self, ax, paths: tuple[dict, ...] = ({"color": "tab:orange"},),
                 eigen_axes: bool = True) -> None:
        """``paths``: the line properties of each path (matplotlib keywords); ``eigen_axes``:
        draw the eigenvector directions dotted."""
        self.ax = ax
        self.levels = ax.plot([], [], color="0.6", lw=0.7)[0]
        self.axes = [ax.plot([], [], ":", color=COLORS[n], lw=1)[0] for n in COLORS
                     if eigen_axes]
        self.paths = [ax.plot([], [], "-", **{"marker": ".", "lw": 1.4, "ms": 4, **style})[0]
                      for style in paths]
        self.start = ax.plot(*START, "o", mfc="none", color="tab:orange", ms=8)[0]
        self.minimum = ax.plot(0, 0, "o", color="tab:green", ms=6)[0]
        ax.set(xlim=(-WINDOW, WINDOW), ylim=(-WINDOW, WINDOW), aspect="equal",
               xlabel="θ₁", ylabel="θ₂")
        ax.set_title(" ", fontsize="medium", y=TITLE_Y)
        self.artists = [self.levels, *self.axes, *self.paths, self.start, self.minimum,
                        ax.title]

    def update(self, points: np.ndarray | tuple[np.ndarray, ...],
               eigenvectors: np.ndarray | None, levels: np.ndarray, title: str,
               diverged: int | None) -> None:
        """Draw ``points`` (one array per path) on the ``levels`` polyline, the eigenvector
        directions (columns of ``eigenvectors``) if this panel shows them, and the title."""
        self.levels.set_data(levels[:, 0], levels[:, 1])
        for line, vector in zip(self.axes, eigenvectors.T if self.axes else (), strict=True):
            line.set_data([-3 * vector[0], 3 * vector[0]], [-3 * vector[1], 3 * vector[1]])
        for line, pts in zip(self.paths, points if isinstance(points, tuple) else (points,),
                             strict=True):
            shown = np.clip(pts, -3 * WINDOW, 3 * WINDOW)  # a diverging path runs off the edge
            line.set_data(shown[:, 0], shown[:, 1])
        if diverged is not None:
            title += f" at step {diverged}"  # |θ| > 1e6 there
        # Settings on one line, verdict on the next: a fixed two-line height the layout fits
        # once, and no verdict runs off a narrow panel in the lecture style.
        self.ax.title.set_text(title.replace(": ", ":\n", 1))


@lru_cache(maxsize=1)
def _alpha_grid() -> np.ndarray:
    return np.geomspace(*SLIDER_RANGES["lr"], 300)


def explorer(lr: float = 0.5, condition_number: float = 20.0,
             rotation_degrees: float = 30.0) -> widgets.VBox:
    """Sliders for α (log), κ (log) and the rotation, redrawing one RavineView."""
    rotation = widgets.FloatSlider(
        value=rotation_degrees, min=SLIDER_RANGES["rotation_degrees"][0],
        max=SLIDER_RANGES["rotation_degrees"][1], step=1.0, description="rotation (°)",
        continuous_update=False)
    return base_explorer(
        RavineView().render,
        lr=log_slider(lr, *SLIDER_RANGES["lr"], "learning rate α"),
        condition_number=log_slider(condition_number, *SLIDER_RANGES["condition_number"],
                                    "condition number κ"),
        rotation_degrees=rotation,
    )

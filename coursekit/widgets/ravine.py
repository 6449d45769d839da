"""Lesson 04: how the condition number κ turns a bowl into a ravine that gradient descent crawls.

Gradient descent θ ← θ − α∇E on E(θ) = ½θᵀAθ, A with eigenvalues λmin = λmax/κ and λmax = 1,
rotated by an angle. Along eigenvector q_i the error is multiplied each step by 1 − αλ_i:

    0 < αλ ≤ 1 decays,   1 < αλ ≤ 2 oscillates,   αλ > 2 diverges.

So α must stay below 2/λmax, and then the slow direction loses at most a fraction 2λmin/λmax =
2/κ of its error per step: κ sets the speed.

Panels: the path on the contours (the ravine), the error along each eigenvector on a log scale
(measured ●, closed form (1 − αλ)^k dashed), and the factor |1 − αλ| of both directions as a
function of α with the stability boundary 2/λmax and the best step 2/(λmin + λmax) marked.
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
from .base import Rendered, log_slider
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
    """
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
    errors = q.eigen_coordinates(f, path.points)
    regimes = q.gd_regimes(lam, lr)
    regime = _regime(regimes)
    info = {
        "lr": lr, "condition_number": kappa, "rotation_degrees": degrees,
        "eigenvalues": lam.copy(), "factors": q.gd_factors(lam, lr), "regimes": regimes,
        "regime": regime, "rate": float(q.gd_rate(lam, lr)),
        "stable_lr": q.stable_lr_bound(lam), "best_lr": q.optimal_lr(lam),
        "steps": path.steps, "diverged": path.diverged, "errors": errors,
    }

    fig = Figure(figsize=(13, 4.2), layout="none")  # fixed margins: cheaper than a layout engine
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.12, top=0.92, wspace=0.25)
    ax, ax_err, ax_factor = fig.subplots(1, 3, width_ratios=(1.0, 1.1, 1.1))
    _draw_path(ax, f, path.points, info)
    _draw_errors(ax_err, errors, lam, lr, steps, info)
    _draw_factors(ax_factor, lam, lr, info)
    info.update(xlim=ax.get_xlim(), ylim=ax.get_ylim(), error_ylim=ax_err.get_ylim())
    return Rendered(fig, info)


def _draw_path(ax, f: Quadratic, points: np.ndarray, info: dict) -> None:
    ax.plot(*level_sets(info["condition_number"], info["rotation_degrees"]).T,
            color="0.6", lw=0.7)
    for i, name in enumerate(("slow", "fast")):
        ax.plot(*np.stack([-3 * f.eigenvectors[:, i], 3 * f.eigenvectors[:, i]]).T, ":",
                color=COLORS[name], lw=1)
    shown = np.clip(points, -3 * WINDOW, 3 * WINDOW)  # a diverging path runs off the edge
    ax.plot(shown[:, 0], shown[:, 1], "-", marker=".", color="tab:orange", lw=1.4, ms=4)
    ax.plot(*shown[0], "o", mfc="none", color="tab:orange", ms=8)
    title = f"α = {info['lr']:.3g}, κ = {info['condition_number']:.3g}: {info['regime']}"
    frame_window(ax, title, info["diverged"])


def frame_window(ax, title: str, diverged: int | None) -> None:
    """The square ±WINDOW view around the minimum (●), with a title that names divergence."""
    ax.plot(0, 0, "o", color="tab:green", ms=6)
    ax.set(xlim=(-WINDOW, WINDOW), ylim=(-WINDOW, WINDOW), aspect="equal",
           xlabel="θ₁", ylabel="θ₂")
    if diverged is not None:
        title += f" (left |θ| ≤ 1e6 at step {diverged})"
    ax.set_title(title, fontsize=10, y=TITLE_Y)


def _draw_errors(ax, errors: np.ndarray, lam: np.ndarray, lr: float, steps: int,
                 info: dict) -> None:
    k = np.arange(steps + 1)
    lo, hi = ERROR_LIMITS
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for i, name in enumerate(("slow", "fast")):
            closed = np.abs(errors[0, i]) * np.abs(1 - lr * lam[i]) ** k
            label = f"λ = {lam[i]:.3g} ({name}): {info['regimes'][i]}, |1−αλ| = " \
                    f"{format_rate(abs(1 - lr * lam[i]))}"
            ax.plot(k, np.clip(closed, lo, hi), "--", color=COLORS[name], lw=1)
            measured = np.clip(np.abs(errors[:, i]), lo, hi)
            ax.plot(k[: len(measured)], measured, "o", color=COLORS[name], ms=3, label=label)
    ax.set(yscale="log", ylim=ERROR_LIMITS, xlim=(0, steps), xlabel="step k",
           ylabel="|error along eigenvector|")
    ax.set_title("per-eigendirection error (dashed: closed form)", fontsize=10, y=TITLE_Y)
    log_ticks(ax.yaxis, -15, 5, every=5)
    ax.legend(loc="lower left", fontsize=8)


def _draw_factors(ax, lam: np.ndarray, lr: float, info: dict) -> None:
    alphas = _alpha_grid()
    for i, name in enumerate(("slow", "fast")):
        ax.plot(alphas, np.abs(1 - alphas * lam[i]), color=COLORS[name],
                label=f"|1 − αλ|, λ = {lam[i]:.3g}")
        ax.plot(lr, abs(1 - lr * lam[i]), "o", color=COLORS[name], ms=7)
    ax.axhline(1.0, color="gray", lw=1)
    ax.axvline(info["stable_lr"], color="black", ls="--", lw=1.2,
               label=f"2/λmax = {info['stable_lr']:.3g}")
    ax.axvline(info["best_lr"], color="tab:green", ls=":", lw=1.2,
               label=f"best α = 2/(λmin+λmax) = {info['best_lr']:.3g}")
    ax.axvline(lr, color="tab:orange", lw=1, label=f"current α = {lr:.3g}")
    ax.axvspan(info["stable_lr"], alphas[-1], color="tab:red", alpha=0.08)
    ax.set(xscale="log", xlim=(alphas[0], alphas[-1]), ylim=(0, 2.2), xlabel="learning rate α",
           ylabel="error factor per step")
    ax.set_title(f"rate max|1 − αλ| = {format_rate(info['rate'])}", fontsize=10, y=TITLE_Y)
    log_ticks(ax.xaxis, -3, 0)
    ax.legend(loc="lower left", fontsize=8)


@lru_cache(maxsize=1)
def _alpha_grid() -> np.ndarray:
    return np.geomspace(*SLIDER_RANGES["lr"], 300)


def explorer(lr: float = 0.5, condition_number: float = 20.0,
             rotation_degrees: float = 30.0) -> widgets.VBox:
    """Sliders for α (log), κ (log) and the rotation, re-drawing the three panels."""
    rotation = widgets.FloatSlider(
        value=rotation_degrees, min=SLIDER_RANGES["rotation_degrees"][0],
        max=SLIDER_RANGES["rotation_degrees"][1], step=1.0, description="rotation (°)",
        continuous_update=False)
    return base_explorer(
        render,
        lr=log_slider(lr, *SLIDER_RANGES["lr"], "learning rate α"),
        condition_number=log_slider(condition_number, *SLIDER_RANGES["condition_number"],
                                    "condition number κ"),
        rotation_degrees=rotation,
    )

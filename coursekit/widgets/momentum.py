"""Lesson 05: what the momentum β does to the ravine, and the whole (α, β) plane at once.

Heavy ball (torch's SGD with ``momentum=β``; lecture form v ← βv − α∇E, θ ← θ + v) or
Nesterov (gradient at the look-ahead point θ + βv) on E(θ) = ½θᵀAθ with eigenvalues
(1/κ, 1). Along eigenvector q_i the pair (θ, v) evolves by a 2×2 matrix whose spectral
radius ρ(α, β, λ_i) is that direction's rate; the run converges iff max_i ρ < 1.

Panels: the path on the contours next to plain GD with the same α; the loss E(θ_k) − E* of
both, with the predicted envelope ρ^{2k} dashed; and the convergence-rate map max_i ρ over the
(α, β) plane (in the spirit of distill's "Why Momentum Really Works"): the current point ●,
Polyak's optimum α = (2/(√λmax + √λmin))², β = ((√κ − 1)/(√κ + 1))² ★, the best β for each
α (white), and the stability boundary (black) beyond which the iterates diverge.
"""

from __future__ import annotations

from functools import lru_cache, partial

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import quadratic as q
from ..landscapes import Quadratic
from ..optim import SGD, run
from .base import Rendered, log_slider
from .base import explorer as base_explorer
from .ravine import TITLE_Y, WINDOW, format_rate, frame_window, level_sets, log_ticks

SLIDER_RANGES: dict[str, tuple[float, float]] = {"lr": (1e-3, 5.0), "beta": (0.0, 0.999)}
START = (-2.0, 1.0)
STEPS = 120
ROTATION_DEGREES = 30.0
LOSS_LIMITS = (1e-16, 1e12)
MAP_SIZE = 160


def bowl(condition_number: float) -> Quadratic:
    """The rotated 2D bowl with eigenvalues (1/κ, 1)."""
    return Quadratic.with_condition_number(condition_number, np.deg2rad(ROTATION_DEGREES))


@lru_cache(maxsize=16)
def rate_map(condition_number: float, nesterov: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """max_i ρ over a MAP_SIZE² grid: (log10 α values, β values, rates[β, α])."""
    lam = bowl(condition_number).eigenvalues
    log_lr = np.linspace(*np.log10(SLIDER_RANGES["lr"]), MAP_SIZE)
    betas = np.linspace(*SLIDER_RANGES["beta"], MAP_SIZE)
    rates = q.momentum_rate(lam, 10.0 ** log_lr[None, :], betas[:, None], nesterov)
    return log_lr, betas, rates


def render(lr: float = 1.0, beta: float = 0.6, nesterov: bool = False,
           condition_number: float = 100.0, steps: int = STEPS) -> Rendered:
    """Run momentum (α = ``lr``, β = ``beta``) and GD (same α) on the κ-bowl and draw them.

    ``info``: lr, beta, nesterov, condition_number, rate (max_i spectral radius), regime
    ("converges" / "diverges"), oscillates (per direction, slow first: complex or negative
    dominant root), diverged (step or None), steps, final_loss, gd_rate (|1 − αλ| max, same α),
    optimal_lr, optimal_beta, optimal_rate (Polyak's), stable_lr (largest stable α at this β),
    xlim, ylim, loss_ylim, map_xlim, map_ylim.
    """
    lr, beta, kappa = float(lr), float(beta), float(condition_number)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0; got {lr}")
    if not 0 <= beta < 1:
        raise ValueError(f"beta must lie in [0, 1); got {beta}")
    if not (np.isfinite(kappa) and kappa >= 1):
        raise ValueError(f"condition_number must be finite and >= 1; got {condition_number}")
    nesterov = bool(nesterov)
    f = bowl(kappa)
    lam = f.eigenvalues
    opt = SGD(lr=lr, momentum=beta, nesterov=nesterov and beta > 0)
    path = run(opt, f, START, steps, bound=1e6)
    gd = run(SGD(lr=lr), f, START, steps, bound=1e6)
    rate = float(q.momentum_rate(lam, lr, beta, nesterov))
    roots = q.momentum_roots(lam, lr, beta, nesterov)
    dominant = roots[np.arange(2), np.argmax(np.abs(roots), axis=-1)]
    best_lr, best_beta = q.optimal_momentum(lam)
    info = {
        "lr": lr, "beta": beta, "nesterov": nesterov, "condition_number": kappa,
        "rate": rate, "regime": "converges" if rate < 1 else "diverges",
        "oscillates": tuple(bool(z.imag != 0 or z.real < 0) for z in dominant),
        "diverged": path.diverged, "steps": path.steps, "final_loss": float(path.losses[-1]),
        "gd_rate": float(q.gd_rate(lam, lr)), "optimal_lr": best_lr, "optimal_beta": best_beta,
        "optimal_rate": q.optimal_momentum_rate(kappa),
        "stable_lr": q.momentum_stable_lr_bound(lam, beta, nesterov),
    }

    fig = Figure(figsize=(13, 4.2), layout="none")  # fixed margins: cheaper than a layout engine
    fig.subplots_adjust(left=0.04, right=0.97, bottom=0.12, top=0.92, wspace=0.28)
    ax, ax_loss, ax_map = fig.subplots(1, 3, width_ratios=(1.0, 1.1, 1.25))
    _draw_paths(ax, path.points, gd.points, info)
    _draw_losses(ax_loss, path.losses, gd.losses, steps, info)
    _draw_map(ax_map, info)
    info.update(xlim=ax.get_xlim(), ylim=ax.get_ylim(), loss_ylim=ax_loss.get_ylim(),
                map_xlim=ax_map.get_xlim(), map_ylim=ax_map.get_ylim())
    return Rendered(fig, info)


def _method(info: dict) -> str:
    return "Nesterov" if info["nesterov"] and info["beta"] > 0 else "heavy ball"


def _draw_paths(ax, points: np.ndarray, gd_points: np.ndarray, info: dict) -> None:
    ax.plot(*level_sets(info["condition_number"], ROTATION_DEGREES).T, color="0.6", lw=0.7)
    for pts, color, label in ((gd_points, "0.35", "GD, same α"),
                              (points, "tab:orange", _method(info))):
        shown = np.clip(pts, -3 * WINDOW, 3 * WINDOW)  # a diverging path runs off the edge
        ax.plot(shown[:, 0], shown[:, 1], "-", marker=".", color=color, lw=1.2, ms=3,
                label=label)
    ax.plot(*START, "o", mfc="none", color="tab:orange", ms=8)
    frame_window(ax, f"α = {info['lr']:.3g}, β = {info['beta']:.3g}: {info['regime']}",
                 info["diverged"])
    ax.legend(loc="lower right", fontsize=8)


def _draw_losses(ax, losses: np.ndarray, gd_losses: np.ndarray, steps: int, info: dict) -> None:
    lo, hi = LOSS_LIMITS
    k = np.arange(steps + 1)
    ax.plot(k[: len(gd_losses)], np.clip(gd_losses, lo, hi), color="0.35",
            label=f"GD, same α: rate {format_rate(info['gd_rate'])}")
    ax.plot(k[: len(losses)], np.clip(losses, lo, hi), color="tab:orange",
            label=f"{_method(info)}: rate {format_rate(info['rate'])}")
    with np.errstate(over="ignore", divide="ignore"):
        envelope = losses[0] * info["rate"] ** (2.0 * k)  # E − E* is quadratic in the error
    ax.plot(k, np.clip(envelope, lo, hi), "--", color="tab:orange", lw=1,
            label="E₀·ρ²ᵏ (closed form)")
    ax.set(yscale="log", ylim=LOSS_LIMITS, xlim=(0, steps), xlabel="step k",
           ylabel="E(θ_k) − E*")
    ax.set_title(f"best heavy ball (Polyak): rate {info['optimal_rate']:.4g} "
                 f"(best GD {q.optimal_gd_rate(info['condition_number']):.4g})",
                 fontsize=10, y=TITLE_Y)
    log_ticks(ax.yaxis, -15, 10, every=5)
    ax.legend(loc="lower left", fontsize=8)


def _draw_map(ax, info: dict) -> None:
    log_lr, betas, rates = rate_map(info["condition_number"], info["nesterov"])
    extent = (log_lr[0], log_lr[-1], betas[0], betas[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        steps_per_digit = np.where(rates < 1, np.log(0.1) / np.log(rates), np.nan)
    image = ax.imshow(steps_per_digit, origin="lower", extent=extent, aspect="auto",
                      cmap=_cmap(), norm=_norm(), interpolation="nearest")
    bar = ax.figure.colorbar(image, ax=ax, extend="max", pad=0.02,
                             label="steps per 10× less error (gray: diverges)")
    log_ticks(bar.ax.yaxis, 1, 4)
    best = np.where(rates.min(axis=0) < 1, betas[np.argmin(rates, axis=0)], np.nan)
    ax.plot(log_lr, best, color="white", lw=1, label="best β for each α")
    boundary = [q.momentum_stable_lr_bound([1.0], b, info["nesterov"]) for b in betas]
    ax.plot(np.log10(boundary), betas, color="black", lw=1.2, label="stability boundary")
    if _method(info) == "heavy ball":
        star, name = (info["optimal_lr"], info["optimal_beta"]), "Polyak's optimum"
    else:
        i, j = np.unravel_index(np.argmin(rates), rates.shape)
        star, name = (10.0 ** log_lr[j], betas[i]), "best on this map"
    ax.plot(np.log10(star[0]), star[1], "*", color="tab:red", ms=12,
            label=f"{name}: α={star[0]:.3g}, β={star[1]:.3g}")
    ax.plot(np.log10(info["lr"]), info["beta"], "o", color="tab:orange", mec="black", ms=8,
            label="current (α, β)")
    ticks = np.arange(np.ceil(log_lr[0]), np.floor(log_lr[-1]) + 1)
    ax.set_xticks(ticks, [f"1e{int(t)}" if t else "1" for t in ticks])
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="learning rate α (log)",
           ylabel="momentum β")
    ax.set_title(f"{_method(info)}: convergence rate over (α, β)", fontsize=10, y=TITLE_Y)
    ax.grid(False)
    ax.legend(loc="lower left", fontsize=7)


@lru_cache(maxsize=1)
def _cmap():
    import matplotlib as mpl

    return mpl.colormaps["viridis"].with_extremes(bad="0.8")


def _norm():
    from matplotlib.colors import LogNorm

    return LogNorm(vmin=3.0, vmax=3e4, clip=False)


def explorer(lr: float = 1.0, beta: float = 0.6, nesterov: bool = False,
             condition_number: float = 100.0) -> widgets.VBox:
    """Sliders for α (log) and β, a Nesterov toggle; κ is fixed per explorer."""
    beta_slider = widgets.FloatSlider(
        value=beta, min=SLIDER_RANGES["beta"][0], max=SLIDER_RANGES["beta"][1], step=0.001,
        description="momentum β", readout_format=".3f", continuous_update=False)
    toggle = widgets.Checkbox(value=nesterov, description="Nesterov")
    return base_explorer(
        partial(render, condition_number=condition_number),
        lr=log_slider(lr, *SLIDER_RANGES["lr"], "learning rate α"),
        beta=beta_slider, nesterov=toggle,
    )

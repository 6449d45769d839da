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

:class:`MomentumView` builds the figure once; the map, its legend and every axis depend only
on κ and the Nesterov toggle, so a slider move redraws just the paths, the loss curves, the
current point and two lines of text.
"""

from __future__ import annotations

from functools import lru_cache, partial

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke

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
from .ravine import START, TITLE_Y, PathPanel, format_rate, level_sets, log_ticks

SLIDER_RANGES: dict[str, tuple[float, float]] = {"lr": (1e-3, 5.0), "beta": (0.0, 0.999)}
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

    The figure is one shared :class:`MomentumView`'s: the next call redraws it.
    """
    return shared_view(MomentumView).render(
        lr=lr, beta=beta, nesterov=nesterov, condition_number=condition_number, steps=steps)


def _run(lr: float, beta: float, nesterov: bool, condition_number: float,
         steps: int) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate and run both methods: (``info`` without axis limits, momentum's points and
    losses, GD's points and losses)."""
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
    path = run(SGD(lr=lr, momentum=beta, nesterov=nesterov and beta > 0), f, START, steps,
               bound=1e6)
    gd_points, gd_losses = _gd_run(lr, kappa, steps)
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
    return info, path.points, path.losses, gd_points, gd_losses


def _gd_run(lr: float, condition_number: float, steps: int,
            bound: float = 1e6) -> tuple[np.ndarray, np.ndarray]:
    """GD's points and losses with the same α, from the closed form (``quadratic.gd_iterates``,
    which tests/test_quadratic.py checks against runs), cut like ``optim.run`` cuts a run: at
    the first iterate that is non-finite or leaves the bound."""
    f = bowl(condition_number)
    with np.errstate(over="ignore", invalid="ignore"):
        points = q.gd_iterates(f, np.array(START), lr, steps)
        losses = f(points)
    inside = np.all(np.isfinite(points) & (np.abs(points) <= bound), axis=1) & (
        np.abs(losses) <= bound**2)
    kept = len(inside) if inside.all() else int(np.argmin(inside))
    return points[:kept], losses[:kept]


def _method(nesterov: bool) -> str:
    return "Nesterov" if nesterov else "heavy ball"


class MomentumView(WidgetView):
    """Path, loss and rate-map panels drawn once; ``update`` moves what α and β change."""

    def __init__(self) -> None:
        # laid out once on the first render (constrained), then fixed: see WidgetView
        self.lecture = lecture_style()
        fig = Figure(figsize=(13, 7.0 if self.lecture else 5.0), layout="constrained")
        super().__init__(fig)
        (self.ax_path, self.ax_loss, self.ax_map), holders = legend_strip(
            fig, 3, width_ratios=(1.0, 1.1, 1.25))
        self.path = PathPanel(self.ax_path, ({"color": "0.35", "lw": 1.2, "ms": 3},
                                             {"color": "tab:orange", "lw": 1.2, "ms": 3}),
                              eigen_axes=False)
        self.path_legend = legend_below(holders[0], self.path.paths, ["GD, same α", " "],
                                        ncols=2)
        self._build_losses(self.ax_loss, holders[1])
        self._build_map(self.ax_map, holders[2])
        self.canvas.dynamic = [*self.path.artists, *self.losses, self.envelope, self.rates,
                               self.current]
        self._static = None

    def widest_texts(self) -> dict:
        return {self.ax_path.title: "α = 0.001, β = 0.999:\ndiverges at step 120"}

    def _build_losses(self, ax, holder) -> None:
        self.losses = [ax.plot([], [], color=color)[0] for color in ("0.35", "tab:orange")]
        self.envelope = ax.plot([], [], "--", color="tab:orange", lw=1)[0]
        ax.set(yscale="log", ylim=LOSS_LIMITS, xlabel="step k", ylabel="E(θₖ) − E*")
        ax.set_title(" ", fontsize="medium", y=TITLE_Y)
        log_ticks(ax.yaxis, -15, 10, every=5)
        self.loss_legend = legend_below(holder, [*self.losses, self.envelope],
                                        ["GD, same α", " ", "E₀·ρ²ᵏ (closed form)"], ncols=2)
        self.rates = ax.text(0.98, 0.97, "", transform=ax.transAxes, ha="right", va="top",
                             fontsize="small")

    def _build_map(self, ax, holder) -> None:
        log_lr = np.log10(SLIDER_RANGES["lr"])
        extent = (*log_lr, *SLIDER_RANGES["beta"])
        self.image = ax.imshow(np.full((2, 2), np.nan), origin="lower", extent=extent,
                               aspect="auto", cmap=_cmap(), norm=_norm(),
                               interpolation="nearest")
        bar = ax.figure.colorbar(self.image, ax=ax, extend="max", pad=0.02,
                                 label="steps per 10× less error\n(gray: diverges)")
        log_ticks(bar.ax.yaxis, 1, 4)
        # White on the map, outlined in black so it also shows on the legend's white ground.
        self.best_beta = ax.plot([], [], color="white", lw=1.5, label="best β for each α",
                                 path_effects=[withStroke(linewidth=3.5, foreground="black")])[0]
        self.boundary = ax.plot([], [], color="black", lw=1.2, label="stability boundary")[0]
        self.star = ax.plot([], [], "*", color="tab:red", ms=12, label=" ")[0]
        self.current = ax.plot([], [], "o", color="tab:orange", mec="black", ms=8, clip_on=False,
                               label="current (α, β)")[0]
        ticks = np.arange(np.ceil(log_lr[0]), np.floor(log_lr[-1]) + 1)
        ax.set_xticks(ticks, [f"1e{int(t)}" if t else "1" for t in ticks])
        ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="learning rate α (log)",
               ylabel="momentum β")
        ax.set_title(" ", fontsize="medium", y=TITLE_Y)
        ax.grid(False)
        handles = [self.best_beta, self.boundary, self.star, self.current]
        self.map_legend = legend_below(holder, handles, [h.get_label() for h in handles], ncols=2)

    def _set_static(self, kappa: float, nesterov: bool, steps: int, info: dict) -> None:
        """Everything that depends on κ, the toggle and the number of steps only."""
        method = _method(nesterov)
        self.path_legend.get_texts()[1].set_text(method)
        self.loss_legend.get_texts()[1].set_text(method)
        self.ax_loss.set_xlim(0, steps)
        self.ax_loss.title.set_text(f"best rate, heavy ball: {info['optimal_rate']:.4g}\n"
                                    f"best rate, GD: {q.optimal_gd_rate(kappa):.4g}")
        log_lr, betas, rates = rate_map(kappa, nesterov)
        image, best, boundary = _map_layers(kappa, nesterov)
        self.image.set_data(image)
        self.best_beta.set_data(log_lr, best)
        self.boundary.set_data(np.log10(boundary), betas)
        if method == "heavy ball":
            star, name = (info["optimal_lr"], info["optimal_beta"]), "Polyak's optimum"
        else:
            i, j = np.unravel_index(np.argmin(rates), rates.shape)
            star, name = (10.0 ** log_lr[j], betas[i]), "best on this map"
        self.star.set_data([np.log10(star[0])], [star[1]])
        sep = " " if self.lecture else "\n"  # the lecture style's one column has room
        self.map_legend.get_texts()[2].set_text(f"{name}:{sep}α={star[0]:.3g}, β={star[1]:.3g}")
        self.ax_map.title.set_text(f"{method}:\nconvergence rate over (α, β)")

    def update(self, lr: float = 1.0, beta: float = 0.6, nesterov: bool = False,
               condition_number: float = 100.0, steps: int = STEPS) -> dict:
        """Redraw for these slider values; returns ``render``'s ``info``."""
        info, points, losses, gd_points, gd_losses = _run(lr, beta, nesterov, condition_number,
                                                          steps)
        static = (info["condition_number"], info["nesterov"], steps)
        if static != self._static:
            self._set_static(*static, info)
            self._static = self.canvas.static_key = static

        title = f"α = {info['lr']:.3g}, β = {info['beta']:.3g}: {info['regime']}"
        self.path.update((gd_points, points), None,
                         level_sets(info["condition_number"], ROTATION_DEGREES), title,
                         info["diverged"])
        lo, hi = LOSS_LIMITS
        k = np.arange(steps + 1)
        for line, values in zip(self.losses, (gd_losses, losses), strict=True):
            line.set_data(k[: len(values)], np.clip(values, lo, hi))
        with np.errstate(over="ignore", divide="ignore"):
            envelope = losses[0] * info["rate"] ** (2.0 * k)  # E − E* is quadratic in the error
        self.envelope.set_data(k, np.clip(envelope, lo, hi))
        self.rates.set_text(f"rate ρ = {format_rate(info['rate'])}\n"
                            f"GD, same α: {format_rate(info['gd_rate'])}")
        self.current.set_data([np.log10(info["lr"])], [info["beta"]])
        info.update(xlim=self.ax_path.get_xlim(), ylim=self.ax_path.get_ylim(),
                    loss_ylim=self.ax_loss.get_ylim(), map_xlim=self.ax_map.get_xlim(),
                    map_ylim=self.ax_map.get_ylim())
        return info


@lru_cache(maxsize=16)
def _map_layers(condition_number: float, nesterov: bool) -> tuple[np.ndarray, ...]:
    """The map's pixels (steps per 10× less error, NaN where it diverges), the best β for each
    α (NaN where none converges) and the largest stable α for each β."""
    log_lr, betas, rates = rate_map(condition_number, nesterov)
    with np.errstate(divide="ignore", invalid="ignore"):
        steps_per_digit = np.where(rates < 1, np.log(0.1) / np.log(rates), np.nan)
    best = np.where(rates.min(axis=0) < 1, betas[np.argmin(rates, axis=0)], np.nan)
    boundary = np.array([q.momentum_stable_lr_bound([1.0], b, nesterov) for b in betas])
    return steps_per_digit, best, boundary


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
        partial(MomentumView().render, condition_number=condition_number),
        lr=log_slider(lr, *SLIDER_RANGES["lr"], "learning rate α"),
        beta=beta_slider, nesterov=toggle,
    )

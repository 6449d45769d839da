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

:class:`OneDimensionView` builds the figure once and keeps every axis fixed while the sliders
move: f = c·g for a g that does not depend on c, so the left panel's y axis is labelled in
multiples of c and looks the same for every c; the trace's axis is linear over the start's
range and logarithmic beyond it, out to the divergence bound. A move redraws the iterates,
the envelope and the title only.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from ..landscapes import DoubleWell, Function1D, LogCosh, Parabola
from ..optim import SGD, run
from .base import Rendered, WidgetView, lecture_style, log_slider, shared_view
from .base import explorer as base_explorer

SLIDER_RANGES: dict[str, tuple[float, float]] = {"lr": (1e-3, 10.0), "c": (0.1, 10.0)}
FUNCTIONS = ("parabola", "log cosh", "double well")
REGIMES = ("one step", "converges", "oscillates", "cycles", "diverges")
THETA0, STEPS, BOUND = 2.0, 30, 1e6
FORMULAS = {"parabola": "f = (c/2)θ²", "log cosh": "f = c·log cosh θ",
            "double well": "f = (c/2)(θ⁴/4 − θ²/2)"}
LINEAR_SHARE = 0.55  # of the trace's height: the linear band around the start


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

    The figure is one shared :class:`OneDimensionView`'s: the next call redraws it.
    """
    return shared_view(OneDimensionView).render(lr=lr, c=c, function=function, theta0=theta0,
                                                steps=steps)


def _run(lr: float, c: float, function: str, theta0: float, steps: int
         ) -> tuple[dict, np.ndarray, Function1D]:
    """Validate and run GD: (``info`` without axis limits, the iterates θ_k, the function)."""
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
    info = {
        "lr": lr, "c": c, "function": function, "factor": factor, "regime": regime,
        "diverged": path.diverged, "minimizer": minimizer, "final": float(theta[-1]),
        "steps": path.steps,
    }
    return info, theta, f


class OneDimensionView(WidgetView):
    """The landscape and the trace; fixed axes for each (function, θ*, θ_0, steps)."""

    def __init__(self) -> None:
        # A fixed layout: constrained layout would double the time of every slider move.
        # taller in the lecture style: the trace's log wings need room for their tick labels
        fig = Figure(figsize=(10, 5.4 if lecture_style() else 3.8), layout="none")
        super().__init__(fig)
        self.ax_f, self.ax_k = fig.subplots(1, 2, gridspec_kw={
            "left": 0.07, "right": 0.98, "bottom": 0.13, "top": 0.86, "wspace": 0.22})
        ax = self.ax_f
        self.curve = ax.plot([], [], color="gray")[0]
        self.iterates = ax.plot([], [], "-o", color="tab:orange", ms=3, lw=1)[0]
        self.start = ax.plot([], [], "o", mfc="none", color="tab:orange", ms=8)[0]
        ax.set(xlabel="θ", ylabel="f(θ)")
        ax.set_title(" ", fontsize="medium")
        ax.yaxis.set_minor_locator(NullLocator())
        ax = self.ax_k
        self.envelope = [ax.plot([], [], "--", color="tab:blue", lw=1)[0] for _ in range(2)]
        self.trace = ax.plot([], [], "-o", color="tab:orange", ms=3, lw=1)[0]
        self.target = ax.axhline(0.0, color="gray", lw=0.8)
        ax.set(xlabel="step k", ylabel="θₖ")
        ax.set_title("θₖ (orange) and θ* ± |1 − cα|ᵏ |θ₀ − θ*| (dashed)", fontsize="medium")
        self.title = fig.suptitle(" ", wrap=True)
        self.canvas.dynamic = [self.iterates, self.start, *self.envelope, self.trace,
                               self.title]
        self._static = None

    def _set_static(self, function: str, minimizer: float, theta0: float, steps: int) -> None:
        """Axes for one (function, θ*, θ_0, steps): the window around θ* that holds the start,
        g = f/c on it, and the trace's linear band ±L around 0 that holds θ_0 and θ*."""
        g = landscape(function, 1.0)
        half_width = 1.25 * max(abs(theta0 - minimizer), 1.0)
        self.window = minimizer + np.array([-half_width, half_width])
        self.grid = minimizer + np.linspace(-half_width, half_width, 300)
        self.unit_values = g.derivative(self.grid)
        low, high = float(self.unit_values.min()), float(self.unit_values.max())
        pad = 0.08 * (high - low)
        self.unit_ylim = (low - pad, high + pad)
        self.unit_ticks = MaxNLocator(nbins=5, steps=[1, 2, 5, 10]).tick_values(*self.unit_ylim)
        self.unit_ticks = self.unit_ticks[(self.unit_ticks >= self.unit_ylim[0])
                                          & (self.unit_ticks <= self.unit_ylim[1])]
        self.ax_f.set_xlim(*self.window)
        self.ax_f.set_title(FORMULAS[function], fontsize="medium")

        band = 1.15 * max(abs(theta0 - minimizer) + abs(minimizer), abs(theta0))
        limit = 2 * BOUND
        decades = np.log10(limit / band)
        # symlog draws ±band over 2·linscale/(1 − 1/10) decades' worth of height
        linscale = LINEAR_SHARE / (1 - LINEAR_SHARE) * decades * (1 - 0.1)
        ax = self.ax_k
        ax.set_yscale("symlog", linthresh=band, linscale=linscale)
        ax.set_ylim(-limit, limit)
        ax.set_xlim(0, steps)
        inner = MaxNLocator(nbins=4, steps=[1, 2, 5, 10]).tick_values(-band, band)
        inner = inner[np.abs(inner) <= band]
        lowest = np.log10(3 * band)  # the first wing tick sits clear of the band's edge
        every = max(2, int(np.ceil((6 - lowest) / 3)))  # at most three per wing
        exponents = np.arange(6, lowest, -every)[::-1].astype(int)
        ticks = [*(-(10.0 ** exponents[::-1])), *inner, *(10.0 ** exponents)]
        labels = [_number(t) for t in ticks]
        ax.set_yticks(ticks, labels)
        ax.yaxis.set_minor_locator(NullLocator())
        self.target.set_ydata([minimizer, minimizer])

    def update(self, lr: float = 0.2, c: float = 2.0, function: str = "parabola",
               theta0: float = THETA0, steps: int = STEPS) -> dict:
        """Redraw for these slider values; returns ``render``'s ``info``."""
        info, theta, f = _run(lr, c, function, theta0, steps)
        lr, c, minimizer = info["lr"], info["c"], info["minimizer"]
        theta0 = float(theta0)
        static = (function, minimizer, theta0, steps)
        if static != self._static:
            self._set_static(*static)
            self._static = self.canvas.static_key = static

        # f = c·g: scaling the y axis by c keeps every pixel of the static layer valid.
        self.curve.set_data(self.grid, c * self.unit_values)
        self.ax_f.set_ylim(c * self.unit_ylim[0], c * self.unit_ylim[1])
        self.ax_f.set_yticks(c * self.unit_ticks, [_multiple_of_c(t) for t in self.unit_ticks])
        half_width = self.window[1] - minimizer
        # points far outside the window only need to leave it in the right direction
        shown = np.clip(theta, minimizer - 3 * half_width, minimizer + 3 * half_width)
        with np.errstate(all="ignore"):
            self.iterates.set_data(shown, f.derivative(shown))
        self.start.set_data(shown[:1], f.derivative(shown[:1]))

        k = np.arange(steps + 1)
        with np.errstate(all="ignore"):
            envelope = np.abs(info["factor"]) ** k * abs(theta0 - minimizer)
        envelope = np.minimum(envelope, BOUND)
        self.envelope[0].set_data(k, minimizer + envelope)
        self.envelope[1].set_data(k, minimizer - envelope)
        self.trace.set_data(k[: len(theta)], theta)

        title = f"α = {lr:.3g}, c = {c:.3g}, cα = {c * lr:.3g} → {info['regime']}"
        if info["diverged"] is not None:
            title += f" (|θ| > {BOUND:.0e} at step {info['diverged']})"
        self.title.set_text(title)
        info.update(xlim=self.ax_k.get_xlim(), ylim=self.ax_k.get_ylim(),
                    landscape_xlim=self.ax_f.get_xlim(), landscape_ylim=self.ax_f.get_ylim())
        return info


def _number(value: float) -> str:
    """A tick label: "2", "0.5", "1e4" for powers of ten above 100, matplotlib's minus sign."""
    text = f"1e{round(np.log10(abs(value)))}" if abs(value) >= 100 else f"{value:g}"
    return ("−" if value < 0 else "") + text.lstrip("-")


def _multiple_of_c(value: float) -> str:
    """A tick label on f's axis in units of c: "0", "c", "−c", "0.5c", "2c"."""
    if value == 0:
        return "0"
    magnitude = "" if abs(value) == 1 else f"{abs(value):g}"
    return ("−" if value < 0 else "") + magnitude + "c"


def explorer(lr: float = 0.2, c: float = 2.0, function: str = "parabola") -> widgets.VBox:
    """Log sliders for α and c and a menu of functions, redrawing one OneDimensionView."""
    return base_explorer(
        OneDimensionView().render,
        lr=log_slider(lr, *SLIDER_RANGES["lr"], "learning rate α"),
        c=log_slider(c, *SLIDER_RANGES["c"], "curvature c"),
        function=widgets.Dropdown(options=list(FUNCTIONS), value=function,
                                  description="function"),
    )

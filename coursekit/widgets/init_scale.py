"""Lesson 09: how the scale of the initial weights decides whether a deep net's signal survives.

A stack of ``depth`` blocks a_ℓ = φ(W_ℓ a_{ℓ−1}) of equal width n, with W_ℓ,ij ~ N(0, s²/n)
(``scale`` s; zero biases), is fed a batch of standard normal inputs a_0. For the gradient, a
fixed random readout L = Σ a_L ⊙ R (R standard normal) sends ∂L/∂a_L = R back down. Per layer
we measure

    Var(a_ℓ)      the variance over the batch of each unit, averaged over the units
    Var(∂L/∂a_ℓ)  the same for the back-propagated gradient.

Each linear layer multiplies the second moment by s² on average (n terms of variance s²/n);
ReLU keeps half of it, so a ReLU net's signal scales like (s²/2)^ℓ: s = √2 (He) keeps it
constant, s < √2 makes it vanish geometrically with depth and s > √2 makes it explode. The
backward pass multiplies by the same Wᵀ and by φ', so per layer the gradient's variance
changes by s² E[φ'(z)²]. tanh is ≈ linear near 0 (s = 1 is critical); for large s its units
saturate (|a| → 1): the forward signal stays bounded, yet the gradient still explodes, because
the few unsaturated units pass it through weights of size s (s² E[φ'²] ≈ 0.5 s > 1, the
"chaotic" phase). sigmoid's slope is at most 1/4, so its gradients vanish at every moderate
scale.

``render(scale, depth, activation)`` draws both variances per layer on log axes and names the
regime of each: "vanishing" (the last layer's variance is below 1e-2 × the first's),
"exploding" (above 1e2 ×) or "stable". Beyond the sliders it accepts scale ∈ [1e-3, 1e3] and
depth ≤ 100 while 2 · depth · |log10 scale| ≤ 280 (the variances then stay inside float64).
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator
from threadpoolctl import threadpool_limits

from .. import nn
from .base import Rendered, WidgetView, lecture_style, log_slider, shared_view
from .base import explorer as base_explorer

SLIDER_RANGES: dict[str, tuple[float, float]] = {"scale": (0.05, 20.0), "depth": (1, 50)}
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}
CRITICAL_SCALE = {"relu": float(np.sqrt(2.0)), "tanh": 1.0, "identity": 1.0}
WIDTH, BATCH = 64, 128
VANISHING, EXPLODING = 1e-2, 1e2
SCALE_DOMAIN, MAX_DEPTH = (1e-3, 1e3), 100  # what render accepts (beyond the sliders)
SATURATION = {"tanh": 0.99, "sigmoid": 0.99}  # |tanh a| > 0.99, or σ(a) outside [0.01, 0.99]
# The layer axis' lengths: the shortest one ≥ the depth is shown, so the axis fits the depth
# (within 1.5×) while the static layer is redrawn only when the depth crosses a rung.
DEPTH_AXES = (5, 10, 15, 20, 30, 40, int(SLIDER_RANGES["depth"][1]), MAX_DEPTH)
TICK_LABELS = 8  # at most this many labels on the variance axis
TITLE_Y = 1.01  # a fixed title height spares matplotlib a tick-overlap search per redraw


def deep_net(scale: float, depth: int, activation: str = "relu", width: int = WIDTH,
             seed: int = 0) -> nn.Sequential:
    """``depth`` blocks Linear(width, width) → φ with W_ij ~ N(0, scale² / width), zero bias.

    W_ℓ = (scale / √width) · Z_ℓ, with Z_1, Z_2, … the successive standard normal
    (width, width) draws of ``default_rng(seed)`` (what ``nn.normal`` draws layer after
    layer); the Z's are drawn once per (width, seed) and cached, since a slider move rebuilds
    the net.
    """
    _check(scale, depth, activation)
    std = scale / np.sqrt(width)
    draws = _standard_normal_weights(int(width), int(seed))
    layers: list[nn.Layer] = []
    for z in draws[: int(depth)]:
        layers += [nn.Linear(width, width, init=lambda shape, rng, z=z: std * z),
                   ACTIVATIONS[activation]()]
    return nn.Sequential(*layers)


@lru_cache(maxsize=4)
def _standard_normal_weights(width: int, seed: int) -> np.ndarray:
    """MAX_DEPTH successive standard normal (width, width) draws of ``default_rng(seed)``,
    read-only: (MAX_DEPTH, width, width)."""
    draws = np.random.default_rng(seed).standard_normal((MAX_DEPTH, width, width))
    draws.flags.writeable = False
    return draws


def layer_variances(model: nn.Sequential, x: np.ndarray, grad_out: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Var(a_ℓ) and Var(∂L/∂a_ℓ) over the batch (mean over units) for ℓ = 0 … K, and the
    activations a_1 … a_K stacked as (K, batch, width).

    a_0 = x is the input and a_ℓ the output of the ℓ-th activation layer (ReLU, tanh, …) of
    ``model``; ``grad_out`` = ∂L/∂(model output) is sent back through ``model.backward``, and
    ∂L/∂a_ℓ is the gradient arriving at a_ℓ.
    """
    is_activation = tuple(ACTIVATIONS.values()) + (nn.LeakyReLU,)
    outputs, arriving = [], []
    a = x
    for layer in model:
        a = layer.forward(a)
        if isinstance(layer, is_activation):
            outputs.append(a)
    g = grad_out
    for layer in reversed(model.layers):
        if isinstance(layer, is_activation):
            arriving.append(g)
        g = layer.backward(g)
    grads = [g] + arriving[::-1]
    acts = np.stack(outputs) if outputs else np.empty((0,) + x.shape)
    # one reduction over the stacked layers instead of one per layer (same sums, same order)
    act_var = np.concatenate([[x.var(axis=0).mean()], acts.var(axis=1).mean(axis=1)])
    grad_var = np.array([gr.var(axis=0).mean() for gr in grads])
    return act_var, grad_var, acts


def regime(ratio: float) -> str:
    """"vanishing" below 1e-2, "exploding" above 1e2, else "stable" (a ratio of variances)."""
    if ratio < VANISHING:
        return "vanishing"
    return "exploding" if ratio > EXPLODING else "stable"


@lru_cache(maxsize=256)
def statistics(scale: float, depth: int, activation: str, seed: int = 0) -> dict:
    """The numbers ``render`` shows (see the module docstring), cached per slider position."""
    model = deep_net(scale, depth, activation, seed=seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((BATCH, WIDTH))
    readout = rng.standard_normal((BATCH, WIDTH))  # ∂L/∂a_L for L = Σ a_L ⊙ R
    # 64×128 matmuls gain nothing from BLAS threads, and lose a lot on a busy machine
    with np.errstate(under="ignore"), threadpool_limits(limits=1, user_api="blas"):
        act_var, grad_var, acts = layer_variances(model, x, readout)
    forward, backward = act_var[-1] / act_var[0], grad_var[0] / grad_var[-1]
    saturated = None
    if activation == "tanh":
        saturated = float(np.mean(np.abs(acts) > SATURATION["tanh"]))
    elif activation == "sigmoid":
        saturated = float(np.mean(np.abs(acts - 0.5) > SATURATION["sigmoid"] - 0.5))
    return {
        "activation_variance": act_var, "gradient_variance": grad_var,
        "forward_ratio": float(forward), "backward_ratio": float(backward),
        "forward": regime(forward), "backward": regime(backward),
        "per_layer_factor": float(forward ** (1.0 / depth)),
        "saturated_fraction": saturated,
        "critical_scale": CRITICAL_SCALE.get(activation),
    }


def render(scale: float = float(np.sqrt(2.0)), depth: int = 10,
           activation: str = "relu") -> Rendered:
    """Per-layer variance of activations and of gradients for one init scale, depth and φ.

    ``info``: :func:`statistics`' numbers and ylim (the shared variance axis' limits). The
    figure is one shared :class:`InitScaleView`'s: the next call redraws it.
    """
    return shared_view(InitScaleView).render(scale=scale, depth=depth, activation=activation)


class InitScaleView(WidgetView):
    """Both panels, built once; ``update`` moves the variance curves and the power laws, sets
    the shared log axis to the data's range, and rewrites the titles.

    The layer axis is ℓ ∈ [0, L_max], L_max the first of ``DEPTH_AXES`` ≥ depth, so the
    static layer (frame, layer ticks, legend) depends only on L_max and the activation.
    The variance axis follows the data, so its ticks are drawn by hand: one polyline of
    horizontal grid lines per panel and a few plain tick labels (a matplotlib Axis redraw
    measures every label's box, which costs more than drawing them).
    """

    def __init__(self) -> None:
        # laid out once, with the widest labels in place, then frozen (WidgetView fixes it)
        fig = Figure(figsize=(9.0, 5.0 if lecture_style() else 3.6), layout="constrained")
        self.canvas = FigureCanvasAgg(fig)
        self.ax_f, self.ax_b = fig.subplots(1, 2, sharey=True)
        self.ax_f.set_yscale("log")
        self.curves, self.laws = [], []
        for ax in (self.ax_f, self.ax_b):
            self.curves.append(ax.plot([], [], "o-", ms=3)[0])
            # the power law: dark and, on a projector, thick enough for its dashes to show
            self.laws.append(ax.plot([], [], "--", color="0.3",
                                     lw=0.6 * mpl.rcParams["lines.linewidth"])[0])
            ax.set_title("gradients $\\partial L/\\partial a_\\ell$: exploding", y=TITLE_Y)
            ax.set_xlabel("layer $\\ell$")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
            ax.yaxis.set_major_locator(NullLocator())  # drawn by hand: see the class' doc
            ax.yaxis.set_minor_locator(NullLocator())
        grid = {"color": mpl.rcParams["grid.color"], "alpha": mpl.rcParams["grid.alpha"],
                "lw": mpl.rcParams["grid.linewidth"], "zorder": 0.5}
        self.grids = [ax.plot([], [], transform=ax.get_yaxis_transform(), **grid)[0]
                      for ax in (self.ax_f, self.ax_b)]
        size = mpl.rcParams["ytick.labelsize"]
        self.tick_labels = [
            self.ax_f.text(-0.015, 1.0, "", transform=self.ax_f.get_yaxis_transform(),
                           ha="right", va="center", fontsize=size) for _ in range(TICK_LABELS)]
        self.tick_labels[0].set_text("1e-240")
        # the figure's, not the axis' label: the variance axis is redrawn on every move
        fig.supylabel("variance over the batch", fontsize=mpl.rcParams["axes.labelsize"])
        # an empty suptitle keeps the note's room; the note's first half names the activation
        # (static), the second the sliders
        title = fig.suptitle("relu (critical s = 1.41):", fontsize="medium")
        fig.get_layout_engine().set(wspace=0.06)
        fig.get_layout_engine().execute(fig)
        title.set_text(" ")
        self.tick_labels[0].set_text("")
        for ax in (self.ax_f, self.ax_b):
            ax.set_title(" ", y=TITLE_Y)
        super().__init__(fig)
        _, top = title.get_position()
        self.note_static = fig.text(0.5, top, " ", ha="right", va="top", fontsize="medium")
        self.note = fig.text(0.5, top, " ", ha="left", va="top", fontsize="medium", wrap=True)
        self.legends: tuple = ()
        self._activation: str | None = None
        self.canvas.dynamic = [*self.curves, *self.laws, self.ax_f.title, self.ax_b.title,
                               self.note, *self.grids, *self.tick_labels]

    def _set_activation(self, activation: str) -> None:
        """The note's activation half, and the legend naming the power law (ReLU and linear nets
        only)."""
        if activation == self._activation:
            return
        critical = CRITICAL_SCALE.get(activation)
        self.note_static.set_text(activation + (f" (critical s = {critical:.3g}):"
                                                if critical is not None else ":"))
        for legend in self.legends:
            legend.remove()
        self.legends = ()
        if activation in ("relu", "identity"):
            base = "s^2/2" if activation == "relu" else "s^2"
            self.legends = tuple(
                ax.legend([law], [f"$({base})^{{{power}}}$"], loc="upper center", fontsize="small")
                for ax, law, power in zip((self.ax_f, self.ax_b), self.laws,
                                          ("\\ell - 1", "L - \\ell"), strict=True))
        self._activation = activation

    def update(self, scale: float = float(np.sqrt(2.0)), depth: int = 10,
               activation: str = "relu") -> dict:
        """Redraw for these slider values; returns ``render``'s ``info``."""
        _check(scale, depth, activation)
        depth = int(depth)
        info = dict(statistics(float(scale), depth, activation))
        layers = np.arange(depth + 1)
        longest = next(d for d in DEPTH_AXES if d >= depth)
        self._set_activation(activation)
        self.canvas.static_key = (activation, longest)
        for ax in (self.ax_f, self.ax_b):
            ax.set_xlim(-0.02 * longest, 1.02 * longest)
        # limits are set before drawing: autoscaling data that spans 600 decades overflows
        low, high = 1e-300, 1e300
        both = np.concatenate([info["activation_variance"], info["gradient_variance"]])
        ylim = (np.clip(both.min(), low, high) / 3, np.clip(both.max(), low, high) * 3)
        self.ax_f.set_ylim(ylim)
        ticks, labels = variance_ticks(*ylim)
        gridlines = np.repeat(ticks, 3)
        gridlines[2::3] = np.nan
        for line in self.grids:
            line.set_data(np.tile([0.0, 1.0, np.nan], len(ticks)), gridlines)
        for i, text in enumerate(self.tick_labels):
            text.set_text(labels[i] if i < len(labels) else "")
            text.set_y(ticks[i] if i < len(ticks) else 1.0)
        what = ("activations $a_\\ell$", "gradients $\\partial L/\\partial a_\\ell$")
        variances = (info["activation_variance"], info["gradient_variance"])
        regimes = (info["forward"], info["backward"])
        for i, (ax, var, name) in enumerate(zip((self.ax_f, self.ax_b), variances, regimes,
                                                strict=True)):
            color = {"vanishing": "tab:blue", "exploding": "tab:red"}.get(name, "tab:green")
            self.curves[i].set_data(layers, np.clip(var, low, high))
            self.curves[i].set_color(color)
            self.laws[i].set_visible(activation in ("relu", "identity"))
            if activation in ("relu", "identity"):
                # forward anchored at ℓ = 1 (ReLU's outputs have a mean, the input has none)
                gain = scale**2 / (2.0 if activation == "relu" else 1.0)
                shown = layers[1:] if i == 0 else layers
                exponent = (shown - 1 if i == 0 else depth - shown).astype(float)
                with np.errstate(over="ignore", under="ignore"):
                    predicted = var[1 if i == 0 else -1] * gain**exponent
                self.laws[i].set_data(shown, np.clip(predicted, low, high))
            ax.title.set_text(f"{what[i]}: {name}")
            ax.title.set_color(color)
        note = f" depth {depth}, scale s = {scale:.3g}"
        if info["saturated_fraction"] is not None:
            note += f"; saturated units {100 * info['saturated_fraction']:.0f}%"
        self.note.set_text(note)
        info["ylim"] = self.ax_f.get_ylim()
        return info


def variance_ticks(low: float, high: float, most: int = 5) -> tuple[np.ndarray, list[str]]:
    """Ticks on a log axis over [low, high] and plain labels ("1e-40", "0.5", "2e-5"): powers
    of ten (every k-th decade, at most ``most`` + 1), or 1-2-5 (else 1-3) steps when fewer
    than three powers of ten fall inside. No mathtext: labels are redrawn on every move."""
    ticks = _decade_ticks(low, high, most)
    inside = ticks[(ticks >= low) & (ticks <= high)]
    first = int(np.floor(np.log10(low)))
    for mantissas in ((1, 2, 5), (1, 3)) if len(inside) < 3 else ():
        steps = np.array([m * 10.0**k for k in range(first, first + 4) for m in mantissas])
        inside = steps[(steps >= low) & (steps <= high)]
        if len(inside) <= most + 1:
            break
    return inside[:TICK_LABELS], [_tick_label(t) for t in inside[:TICK_LABELS]]


def _tick_label(tick: float) -> str:
    """ "0.5", "20" for ticks in [1e-3, 1e4), else "1e-40", "2e-5"."""
    if 1e-3 <= tick < 1e4:
        return f"{tick:g}"
    exponent = int(np.floor(np.log10(tick) + 1e-9))
    mantissa = round(tick / 10.0**exponent)
    return f"{mantissa}e{exponent}" if mantissa != 1 else f"1e{exponent}"


def _decade_ticks(low: float, high: float, most: int = 8) -> np.ndarray:
    """Powers of ten spanning [low, high], at most ``most`` of them (every k-th decade)."""
    first, last = int(np.floor(np.log10(low))), int(np.ceil(np.log10(high)))
    step = max(1, -(-(last - first) // most))
    return 10.0 ** np.arange(first - first % step, last + 1, step)


def explorer(scale: float = float(np.sqrt(2.0)), depth: int = 10,
             activation: str = "relu") -> widgets.VBox:
    """Sliders for the init scale (log) and the depth, a menu for the activation."""
    low, high = SLIDER_RANGES["scale"]
    d_low, d_high = SLIDER_RANGES["depth"]
    return base_explorer(
        InitScaleView().render,
        scale=log_slider(scale, low, high, "init scale s"),
        depth=widgets.IntSlider(value=depth, min=int(d_low), max=int(d_high),
                                description="depth", continuous_update=False),
        activation=widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                    description="activation"),
    )


def _check(scale: float, depth: int, activation: str) -> None:
    low, high = SCALE_DOMAIN
    if not (np.isfinite(scale) and low <= scale <= high):
        raise ValueError(f"scale must be a number in [{low:g}, {high:g}]; got {scale}")
    if int(depth) != depth or not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be an integer in [1, {MAX_DEPTH}]; got {depth}")
    if 2 * depth * abs(np.log10(scale)) > 280:
        raise ValueError(f"scale={scale:g} with depth={depth} would take the variance "
                         f"(≈ scale^(2·depth)) outside float64's range; use a scale closer "
                         f"to 1 or fewer layers")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")

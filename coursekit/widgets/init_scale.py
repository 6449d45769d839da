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
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator
from threadpoolctl import threadpool_limits

from .. import nn
from .base import Rendered, log_slider
from .base import explorer as base_explorer

SLIDER_RANGES: dict[str, tuple[float, float]] = {"scale": (0.05, 20.0), "depth": (1, 50)}
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}
CRITICAL_SCALE = {"relu": float(np.sqrt(2.0)), "tanh": 1.0, "identity": 1.0}
WIDTH, BATCH = 64, 128
VANISHING, EXPLODING = 1e-2, 1e2
SCALE_DOMAIN, MAX_DEPTH = (1e-3, 1e3), 100  # what render accepts (beyond the sliders)
SATURATION = {"tanh": 0.99, "sigmoid": 0.99}  # |tanh a| > 0.99, or σ(a) outside [0.01, 0.99]


def deep_net(scale: float, depth: int, activation: str = "relu", width: int = WIDTH,
             seed: int = 0) -> nn.Sequential:
    """``depth`` blocks Linear(width, width) → φ with W_ij ~ N(0, scale² / width), zero bias."""
    _check(scale, depth, activation)

    def init(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        return nn.normal(shape, rng, std=scale / np.sqrt(shape[1]))

    rng = np.random.default_rng(seed)
    layers: list[nn.Layer] = []
    for _ in range(int(depth)):
        layers += [nn.Linear(width, width, init=init, rng=rng), ACTIVATIONS[activation]()]
    return nn.Sequential(*layers)


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
    act_var = np.array([x.var(axis=0).mean()] + [h.var(axis=0).mean() for h in outputs])
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
    """Per-layer variance of activations and of gradients for one init scale, depth and φ."""
    _check(scale, depth, activation)
    depth = int(depth)
    info = dict(statistics(float(scale), depth, activation))
    layers = np.arange(depth + 1)
    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    ax_f, ax_b = fig.subplots(1, 2, sharey=True)
    # limits are fixed before drawing: autoscaling data that spans 600 decades overflows
    low, high = 1e-300, 1e300
    both = np.concatenate([info["activation_variance"], info["gradient_variance"]])
    ax_f.set_yscale("log")
    ax_f.set_ylim(np.clip(both.min(), low, high) / 3, np.clip(both.max(), low, high) * 3)
    curves = [(ax_f, info["activation_variance"], info["forward"], "activations $a_\\ell$"),
              (ax_b, info["gradient_variance"], info["backward"],
               "gradients $\\partial L/\\partial a_\\ell$")]
    for ax, var, name, what in curves:
        color = {"vanishing": "tab:blue", "exploding": "tab:red"}.get(name, "tab:green")
        ax.plot(layers, np.clip(var, low, high), "o-", color=color, ms=3)
        if activation in ("relu", "identity"):
            # forward anchored at ℓ = 1 (ReLU's outputs have a mean, the input has none)
            gain = scale**2 / (2.0 if activation == "relu" else 1.0)
            shown = layers[1:] if ax is ax_f else layers
            exponent = (shown - 1 if ax is ax_f else depth - shown).astype(float)
            with np.errstate(over="ignore", under="ignore"):
                predicted = var[1 if ax is ax_f else -1] * gain**exponent
            base = "s^2/2" if activation == "relu" else "s^2"
            power = "\\ell - 1" if ax is ax_f else "L - \\ell"
            ax.plot(shown, np.clip(predicted, low, high), "--", color="gray", lw=1,
                    label=f"$({base})^{{{power}}}$")
            ax.legend(loc="best", fontsize=8)
        ax.set_title(f"{what}: {name}", color=color)
        ax.set_xlabel("layer $\\ell$")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if np.log10(both.max() / max(both.min(), low)) > 4:  # else matplotlib's own ticks
            ax.yaxis.set_major_locator(FixedLocator(_decade_ticks(*ax_f.get_ylim())))
            ax.yaxis.set_minor_locator(NullLocator())  # over 100s of decades they cost seconds
    ax_f.set_ylabel("variance over the batch")
    note = f"{activation}, depth {depth}, scale s = {scale:.3g}"
    if info["critical_scale"] is not None:
        note += f" (critical s = {info['critical_scale']:.3g})"
    if info["saturated_fraction"] is not None:
        note += f"; saturated units {100 * info['saturated_fraction']:.0f}%"
    fig.suptitle(note, fontsize=10)
    info["ylim"] = ax_f.get_ylim()
    return Rendered(fig, info)


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
        render,
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

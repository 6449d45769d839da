"""Lesson 06: race the optimizers on the classic landscapes.

Pick several optimizers and one landscape (Rosenbrock's curved valley, Beale's plateaus, the
saddle x² − y², or a ravine of condition number κ = 50, axis-aligned or rotated by 45°); all
start from the same point and take the same number of steps. Each runs with torch's defaults
except for the controls:

- ``lr_sgd``: α of the gradient-descent family (GD, momentum, Nesterov). Its scale is
  1/curvature: stable only while α < 2/λmax.
- ``momentum``: μ of momentum and Nesterov (μ = 0 makes both plain GD).
- ``lr_adaptive``: α of Adagrad, RMSprop, Adam, AMSGrad and NAdam. These divide the gradient
  by a running root-mean-square of gradients, so α is roughly a distance per step, on a scale
  unrelated to ``lr_sgd``.
- ``beta1`` and ``beta2``: the decays of the gradient and squared-gradient averages of Adam,
  AMSGrad and NAdam.

RMSprop keeps torch's α = 0.99, and Adadelta all of torch's defaults (lr = 1, ρ = 0.9,
ε = 1e-6): it has no learning rate to speak of, and its first steps have length
≈ √(ε/(1 − ρ)) ≈ 0.003 per coordinate, whatever the landscape.

Panels: the paths on the contours (start ○, end ●, minimum ★) and the loss E(θ_k) − E* per
step (log scale; the saddle, which has no minimum, shows E itself). The title names the first
to reach the target loss and every run that diverged or escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from .. import optim
from ..landscapes import Beale, Landscape, Quadratic, Rosenbrock, Saddle, rotation
from ..optim import Trajectory, run
from .base import Rendered, WidgetView, lecture_style, log_slider, shared_view
from .base import explorer as base_explorer

SLIDER_RANGES: dict[str, tuple[float, float]] = {
    "lr_sgd": (1e-5, 1.0),
    "momentum": (0.0, 0.99),
    "lr_adaptive": (1e-4, 1.0),
    "beta1": (0.0, 0.99),
    "beta2": (0.5, 0.9999),
}


@dataclass(frozen=True)
class Track:
    """One landscape of the race: where it starts, what it shows, when a runner has arrived.

    target : a run has arrived when E(θ) ≤ target (E* + tolerance; on the saddle, a value well
        below the saddle's E = 0). bound : |θ| beyond which a run is stopped: diverged, or
        escaped where E is unbounded below.
    """

    f: Landscape
    start: tuple[float, float]
    window: tuple[tuple[float, float], tuple[float, float]]
    steps: int
    lr_sgd: float
    lr_adaptive: float
    target: float
    bound: float = 1e3
    unbounded_below: bool = False
    levels: int = 18
    log_levels: bool = True  # contour levels spaced geometrically above the minimum


KAPPA = 50.0


def _ravine(degrees: float) -> Track:
    angle = np.deg2rad(degrees)
    start = tuple(float(c) for c in rotation(angle) @ np.array([-4.0, 1.0]))
    f = Quadratic.from_eigenvalues([1.0, KAPPA], angle)
    f.name = f"ravine κ = {KAPPA:g}" + (f", rotated {degrees:g}°" if degrees else "")
    return Track(f, start, ((-5.0, 5.0), (-5.0, 5.0)), 150, 0.02, 0.1, target=1e-4)


TRACKS: dict[str, Track] = {
    # 300 steps: long enough to rank the racers, short enough for a ~50 ms slider move.
    "Rosenbrock": Track(Rosenbrock(), (-1.5, 2.0), ((-2.0, 2.0), (-1.0, 3.0)), 300,
                        1e-3, 0.1, target=1e-3),
    "Beale": Track(Beale(), (1.0, 1.5), ((-1.0, 4.5), (-1.5, 2.0)), 300, 5e-3, 0.2,
                   target=1e-4),
    "saddle": Track(Saddle(), (1.5, 1e-3), ((-2.0, 2.0), (-2.0, 2.0)), 150, 0.05, 0.05,
                    target=-1.0, bound=50.0, unbounded_below=True, log_levels=False),
    "ravine": _ravine(0.0),
    "rotated ravine": _ravine(45.0),
}


def _builders() -> dict[str, tuple[tuple[str, ...], Callable[..., optim.Optimizer]]]:
    """Each racer: the controls it reads, and how it is built from them."""
    return {
        "GD": (("lr_sgd",), lambda lr_sgd: optim.SGD(lr=lr_sgd)),
        "momentum": (("lr_sgd", "momentum"),
                     lambda lr_sgd, momentum: optim.SGD(lr=lr_sgd, momentum=momentum)),
        "Nesterov": (("lr_sgd", "momentum"),
                     lambda lr_sgd, momentum: optim.SGD(lr=lr_sgd, momentum=momentum,
                                                        nesterov=momentum > 0)),
        "Adagrad": (("lr_adaptive",), lambda lr_adaptive: optim.Adagrad(lr=lr_adaptive)),
        "RMSprop": (("lr_adaptive",), lambda lr_adaptive: optim.RMSprop(lr=lr_adaptive)),
        "Adadelta": ((), lambda: optim.Adadelta()),
        "Adam": (("lr_adaptive", "beta1", "beta2"),
                 lambda lr_adaptive, beta1, beta2: optim.Adam(lr=lr_adaptive,
                                                              betas=(beta1, beta2))),
        "AMSGrad": (("lr_adaptive", "beta1", "beta2"),
                    lambda lr_adaptive, beta1, beta2: optim.Adam(
                        lr=lr_adaptive, betas=(beta1, beta2), amsgrad=True)),
        "NAdam": (("lr_adaptive", "beta1", "beta2"),
                  lambda lr_adaptive, beta1, beta2: optim.NAdam(lr=lr_adaptive,
                                                                betas=(beta1, beta2))),
    }


OPTIMIZERS: tuple[str, ...] = ("GD", "momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta",
                               "Adam", "AMSGrad", "NAdam")
DEFAULT_PICK: tuple[str, ...] = ("GD", "momentum", "RMSprop", "Adam")
# Okabe–Ito colours (plot.OKABE_ITO), one per family, and a dash pattern telling relatives
# apart: no two racers differ by colour alone, nor by colours a red-green reader confuses.
COLORS = dict(zip(OPTIMIZERS, ("#000000", "#E69F00", "#E69F00", "#56B4E9", "#009E73",
                               "#0072B2", "#D55E00", "#D55E00", "#CC79A7"), strict=True))
LINESTYLES = dict(zip(OPTIMIZERS, ("-", "-", "--", "-", "-", "--", "-", "--", "-"),
                      strict=True))
LOSS_FLOOR = 1e-8


@lru_cache(maxsize=512)
def race_path(landscape: str, name: str, hyper: tuple[tuple[str, float], ...]) -> Trajectory:
    """One runner's Trajectory on TRACKS[landscape]; ``hyper`` holds the controls it reads.

    Cached: a slider move recomputes only the runners that read that slider.
    """
    track = TRACKS[landscape]
    _, build = _builders()[name]
    return run(build(**dict(hyper)), track.f, track.start, track.steps, track.bound)


def race(landscape: str = "Rosenbrock", optimizers: Sequence[str] = DEFAULT_PICK,
         **controls: float) -> dict[str, Trajectory]:
    """Run each named optimizer on ``landscape`` (a key of TRACKS) with the given controls
    (``lr_sgd``, ``momentum``, ``lr_adaptive``, ``beta1``, ``beta2``; missing ones take the
    track's or the widget's defaults). Returns {name: Trajectory}."""
    values = _controls(landscape, controls)
    builders = _builders()
    paths = {}
    for name in optimizers:
        if name not in builders:
            raise ValueError(f"optimizers: unknown name {name!r}; choose from {OPTIMIZERS}")
        keys, _ = builders[name]
        paths[name] = race_path(landscape, name, tuple((k, values[k]) for k in keys))
    return paths


def _controls(landscape: str, given: dict) -> dict[str, float]:
    if landscape not in TRACKS:
        raise ValueError(f"landscape must be one of {list(TRACKS)}; got {landscape!r}")
    track = TRACKS[landscape]
    values = {"lr_sgd": track.lr_sgd, "momentum": 0.9, "lr_adaptive": track.lr_adaptive,
              "beta1": 0.9, "beta2": 0.999}
    unknown = set(given) - set(values)
    if unknown:
        raise ValueError(f"unknown controls {sorted(unknown)}; expected some of {list(values)}")
    values.update({k: float(v) for k, v in given.items() if v is not None})
    for k in ("lr_sgd", "lr_adaptive"):
        if not (math.isfinite(values[k]) and values[k] > 0):
            raise ValueError(f"{k} must be a finite number > 0; got {values[k]}")
    for k in ("momentum", "beta1", "beta2"):
        if not 0 <= values[k] < 1:
            raise ValueError(f"{k} must lie in [0, 1); got {values[k]}")
    return values


def _status(track: Track, path: Trajectory) -> tuple[int | None, str]:
    """(step at which E ≤ target or None, a short verdict)."""
    arrived = np.flatnonzero(path.losses <= track.target)
    step = int(arrived[0]) if arrived.size else None
    if path.diverged is not None:
        verb = "escaped" if track.unbounded_below else "diverged"
        return step, f"{verb} at step {path.diverged}"
    if step is not None:
        return step, f"E ≤ {track.target:g} at step {step}"
    return None, f"E = {path.losses[-1]:.3g} after {path.steps} steps"


def race_info(optimizers: Sequence[str] = DEFAULT_PICK, landscape: str = "Rosenbrock",
              **controls: float | None) -> tuple[dict, dict[str, Trajectory]]:
    """The race's numbers without a figure: (``info`` as in ``render``, {name: Trajectory})."""
    values = _controls(landscape, controls)
    track = TRACKS[landscape]
    paths = race(landscape, list(dict.fromkeys(optimizers)), **values)
    info = {"landscape": landscape, "controls": values, "arrived": {}, "diverged": {},
            "escaped": {}, "final_loss": {}, "status": {}}
    for name, path in paths.items():
        info["arrived"][name], info["status"][name] = _status(track, path)
        stopped = path.diverged
        info["diverged"][name] = None if track.unbounded_below else stopped
        info["escaped"][name] = stopped if track.unbounded_below else None
        info["final_loss"][name] = float(path.losses[-1])
    arrivals = {n: s for n, s in info["arrived"].items() if s is not None}
    info["winner"] = min(arrivals, key=arrivals.get) if arrivals else None
    info["title"] = _title(track, info)
    return info, paths


def render(optimizers: Sequence[str] = DEFAULT_PICK, landscape: str = "Rosenbrock",
           lr_sgd: float | None = None, momentum: float = 0.9,
           lr_adaptive: float | None = None, beta1: float = 0.9,
           beta2: float = 0.999) -> Rendered:
    """Race ``optimizers`` on ``landscape`` and draw paths and loss curves.

    ``lr_sgd`` / ``lr_adaptive`` default to the track's own (TRACKS[landscape]).
    ``info``: landscape, controls (the values used), arrived ({name: step E ≤ target, or
    None}), diverged ({name: step or None}: left |θ| ≤ bound or went non-finite; on the saddle
    this is an escape and sits in ``escaped`` instead), escaped, final_loss ({name: E at the
    last stored step}), status ({name: verdict}), winner (first to arrive, or None),
    title, xlim, ylim, loss_ylim.

    The figure is one shared :class:`RaceView`'s: the next call redraws it.
    """
    return shared_view(RaceView).render(
        optimizers=optimizers, landscape=landscape, lr_sgd=lr_sgd, momentum=momentum,
        lr_adaptive=lr_adaptive, beta1=beta1, beta2=beta2)


def _title(track: Track, info: dict) -> str:
    if not info["status"]:
        return f"{track.f.name}: pick at least one optimizer"
    parts = []
    if info["winner"] is not None:
        parts.append(f"first to E ≤ {track.target:g}: {info['winner']} "
                     f"(step {info['arrived'][info['winner']]})")
    else:
        best = min(info["final_loss"], key=info["final_loss"].get)
        parts.append(f"nobody reached E ≤ {track.target:g} in {track.steps} steps "
                     f"(lowest: {best}, E = {info['final_loss'][best]:.3g})")
    for kind in ("diverged", "escaped"):
        names = [f"{n} (step {k})" for n, k in info[kind].items() if k is not None]
        if names:
            parts.append(f"{kind}: " + ", ".join(names))
    return f"{track.f.name}: " + "\n".join(parts)


@lru_cache(maxsize=8)
def _contours(landscape: str) -> tuple[list[np.ndarray], np.ndarray]:
    """The landscape's contour lines over its window, computed once: (segments, levels)."""
    import contourpy

    from ..plot import contour_levels, grid

    track = TRACKS[landscape]
    X, Y, Z = grid(track.f, track.window, n=120)
    levels = contour_levels(Z, track.levels, track.log_levels)
    gen = contourpy.contour_generator(X, Y, Z)
    segments, values = [], []
    for level in levels:
        for line in gen.lines(level):
            segments.append(line)
            values.append(level)
    return segments, np.array(values)


class RaceView(WidgetView):
    """Both panels built once. The static layer (redrawn only for a new landscape or a new
    set of racers) holds the contours, markers, axes and the target line; each update moves
    every racer's path and loss curve and rewrites the legend and the title."""

    def __init__(self) -> None:
        # A fixed layout: a layout engine would redo its work on every slider move.
        # Room, in inches, for the tick labels and axis label below the panels and for a
        # title of three lines above them (every racer escaping wraps to three).
        height = 6.0 if lecture_style() else 4.4
        em = mpl.rcParams["font.size"] / 72
        bottom, top = 3.2 * em / height, 1.0 - (3 * 1.3 * em + 0.1) / height
        fig = Figure(figsize=(12.0, height), layout="none")
        super().__init__(fig)
        self.ax = fig.add_axes((0.05, bottom, 0.36, top - bottom))
        self.ax_loss = fig.add_axes((0.49, bottom, 0.27, top - bottom))
        self.ax.grid(False)
        self.contours: dict[str, LineCollection] = {}
        self.paths = {n: self.ax.plot([], [], LINESTYLES[n], color=c, lw=1.4)[0]
                      for n, c in COLORS.items()}
        self.ends = {n: self.ax.plot([], [], "o", color=c, ms=6)[0] for n, c in COLORS.items()}
        self.curves = {n: self.ax_loss.plot([], [], LINESTYLES[n], color=c, lw=1.4)[0]
                       for n, c in COLORS.items()}
        # a divergence at step 0 puts its cross on the left edge: drawn whole
        self.crosses = {n: self.ax_loss.plot([], [], "x", color=c, ms=8, clip_on=False)[0]
                        for n, c in COLORS.items()}
        self.start = self.ax.plot([], [], "o", mfc="none", color="black", ms=8)[0]
        self.stars = self.ax.plot([], [], "*", color="gold", mec="black", ms=13)[0]
        self.target = self.ax_loss.axhline(1.0, color="0.5", ls="--", lw=1)
        self.title = fig.suptitle(" ", fontsize="medium", y=0.985, va="top", wrap=True)
        self.ax.set(xlabel="θ₁", ylabel="θ₂")
        self.ax_loss.set_xlabel("step k")
        self.landscape, self._legend_key = None, None

    def update(self, optimizers: Sequence[str] = DEFAULT_PICK, landscape: str = "Rosenbrock",
               **controls: float | None) -> dict:
        """Redraw for these racers and controls; returns ``render``'s ``info``."""
        info, paths = race_info(optimizers, landscape, **controls)
        track = TRACKS[landscape]
        self.canvas.static_key = (landscape, tuple(paths))  # what the static layer shows
        if landscape != self.landscape:
            self._show_track(landscape, track)
        (x0, x1), (y0, y1) = track.window
        far = 3 * max(x1 - x0, y1 - y0)
        floor = _minimum_value(track)
        for name in OPTIMIZERS:
            shown = name in paths
            for artist in (self.paths[name], self.ends[name], self.curves[name],
                           self.crosses[name]):
                artist.set_visible(shown)
            if not shown:
                continue
            path = paths[name]
            pts = np.clip(path.points, -far, far)  # a diverging path runs off the edge
            self.paths[name].set_data(pts[:, 0], pts[:, 1])
            self.ends[name].set_data(pts[-1:, 0], pts[-1:, 1])
            self.ends[name].set_marker("x" if path.diverged is not None else "o")
            if track.unbounded_below:
                y = np.clip(path.losses, -1e3, 1e3)
            else:
                y = np.clip(path.losses - floor, LOSS_FLOOR, 1e12)
            k = np.arange(len(y))
            self.curves[name].set_data(k, y)
            stopped = path.diverged is not None
            low, high = self.ax_loss.get_ylim()  # the cross is unclipped: kept in the view
            self.crosses[name].set_data(k[-1:] if stopped else [],
                                        np.clip(y[-1:], low, high) if stopped else [])
        if self.canvas.static_key != self._legend_key:
            self._legend(paths, track)
        self.title.set_text(info["title"])
        self.canvas.dynamic = [*self.paths.values(), *self.ends.values(), *self.curves.values(),
                               *self.crosses.values(), self.title]
        info.update(xlim=self.ax.get_xlim(), ylim=self.ax.get_ylim(),
                    loss_ylim=self.ax_loss.get_ylim())
        return info

    def _show_track(self, landscape: str, track: Track) -> None:
        """Switch the static layer to ``landscape``: contours, markers, limits, loss scale."""
        if landscape not in self.contours:
            segments, values = _contours(landscape)
            lines = LineCollection(segments, cmap="viridis", linewidths=0.8, alpha=0.8)
            lines.set_array(np.argsort(np.argsort(values)))  # color by level rank
            self.contours[landscape] = self.ax.add_collection(lines)
        for name, lines in self.contours.items():
            lines.set_visible(name == landscape)
        self.start.set_data([track.start[0]], [track.start[1]])
        minima = track.f.minima
        self.stars.set_data(minima[:, 0], minima[:, 1])
        (x0, x1), (y0, y1) = track.window
        self.ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
        _few_ticks(self.ax)
        ax = self.ax_loss
        self.target.set_ydata([track.target, track.target])
        if track.unbounded_below:
            ax.set(yscale="linear", ylim=(-3.0, 3.0), ylabel="E(θₖ)")
            _few_ticks(ax)
        else:
            ax.set(yscale="log", ylim=(LOSS_FLOOR, _loss_top(track)), ylabel="E(θₖ) − E*")
            ax.yaxis.set_major_locator(LogLocator(numticks=6))
            ax.yaxis.set_major_formatter(_exponent_labels())
            ax.yaxis.set_minor_locator(NullLocator())
            _few_ticks(ax, y=False)
        ax.set_xlim(0, track.steps)
        self.landscape = landscape

    def _legend(self, paths: dict[str, Trajectory], track: Track) -> None:
        """Beside the loss panel, so it never hides a path: the racers and the target. It is
        static (verdicts change with every move and go in the title: text is what makes a
        redraw slow, about 8 ms a legend entry)."""
        handles = [self.curves[n] for n in paths] + [self.target]
        labels = [*paths, f"target: E ≤ {track.target:g}"]
        self.ax_loss.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                            fontsize="small", frameon=False, borderaxespad=0.0)
        self._legend_key = self.canvas.static_key


def _few_ticks(ax, x: bool = True, y: bool = True) -> None:
    """At most 5 ticks per axis: tick labels are most of a full redraw's cost."""
    if x:
        ax.xaxis.set_major_locator(MaxNLocator(5))
    if y:
        ax.yaxis.set_major_locator(MaxNLocator(5))


def _exponent_labels() -> FuncFormatter:
    """Log-axis labels as plain text (1e-4): mathtext labels cost ~10 ms each to lay out."""
    return FuncFormatter(lambda v, _: f"1e{math.log10(v):.0f}" if v > 0 else "")


def _minimum_value(track: Track) -> float:
    minima = track.f.minima
    return float(np.min(track.f(minima))) if len(minima) else 0.0


def _loss_top(track: Track) -> float:
    start = float(track.f(np.array(track.start))) - _minimum_value(track)
    return 10.0 ** math.ceil(math.log10(max(start, 1e-3)) + 1)


def explorer(optimizers: Sequence[str] = DEFAULT_PICK, landscape: str = "Rosenbrock",
             **controls: float) -> widgets.VBox:
    """A picker for the racers and the landscape, and sliders for the controls. Choosing a
    landscape resets both learning rates to that track's defaults."""
    values = _controls(landscape, controls)
    picker = widgets.SelectMultiple(options=OPTIMIZERS, value=tuple(optimizers),
                                    rows=len(OPTIMIZERS), description="racers")
    track_menu = widgets.Dropdown(options=list(TRACKS), value=landscape, description="landscape")
    sliders = {
        "lr_sgd": log_slider(values["lr_sgd"], *SLIDER_RANGES["lr_sgd"], "α (GD family)"),
        "lr_adaptive": log_slider(values["lr_adaptive"], *SLIDER_RANGES["lr_adaptive"],
                                  "α (adaptive)"),
    }
    for name, label in (("momentum", "momentum μ"), ("beta1", "β₁"), ("beta2", "β₂")):
        low, high = SLIDER_RANGES[name]
        sliders[name] = widgets.FloatSlider(
            value=values[name], min=low, max=high, step=(high - low) / 500, description=label,
            readout_format=".4f", continuous_update=False)

    def reset_rates(change) -> None:
        track = TRACKS[change["new"]]
        sliders["lr_sgd"].value, sliders["lr_adaptive"].value = track.lr_sgd, track.lr_adaptive

    track_menu.observe(reset_rates, names="value")
    return base_explorer(render, optimizers=picker, landscape=track_menu, **sliders)

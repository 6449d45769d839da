"""Figures for the course: landscapes as surface and contour plots, trajectories on contours.

One look everywhere: ``use_style()`` for a laptop, ``use_style("lecture")`` for a projector
(bigger fonts, thicker lines). Every function returns its Figure or Axes so tests can inspect
what was drawn.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

STYLES: dict[str, dict] = {
    "notebook": {
        "figure.figsize": (6.4, 4.2), "figure.dpi": 80, "font.size": 10,
        "axes.titlesize": 11, "lines.linewidth": 1.6, "lines.markersize": 4,
    },
    "lecture": {
        "figure.figsize": (9.6, 6.0), "figure.dpi": 80, "font.size": 16,
        "axes.titlesize": 18, "axes.labelsize": 16, "xtick.labelsize": 14,
        "ytick.labelsize": 14, "legend.fontsize": 14, "lines.linewidth": 3.0,
        "lines.markersize": 7,
    },
}
COMMON = {
    "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
    "axes.spines.right": False, "image.cmap": "viridis", "figure.autolayout": False,
    "figure.constrained_layout.use": True,
}


def use_style(mode: str = "notebook") -> None:
    """Switch every later figure to the ``"notebook"`` or the ``"lecture"`` (projector) look.

    The environment variable ``COURSEKIT_STYLE`` overrides ``mode`` when set, so a lecture
    server (``coursekit present``) turns every lesson's figures into the projector look
    without editing the notebooks.
    """
    mode = os.environ.get("COURSEKIT_STYLE") or mode
    if mode not in STYLES:
        raise ValueError(f"mode must be one of {sorted(STYLES)}; got {mode!r}")
    mpl.rcParams.update(COMMON)
    mpl.rcParams.update(STYLES[mode])


def grid(f, bounds=None, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a 2D landscape on an n×n grid over ``bounds`` ((x0, x1), (y0, y1)): X, Y, Z."""
    (x0, x1), (y0, y1) = f.bounds if bounds is None else bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    with np.errstate(all="ignore"):
        Z = f(np.stack([X, Y], -1))
    return X, Y, Z


def contour_levels(Z: np.ndarray, n: int = 20, log: bool = False) -> np.ndarray:
    """n contour levels over Z's range: evenly spaced, or geometrically above the minimum
    (for steep valleys, where even spacing crowds the walls and leaves the floor blank)."""
    lo, hi = float(np.nanmin(Z)), float(np.nanmax(Z))
    if hi <= lo:
        return np.array([lo])
    if log:
        return lo + np.geomspace(1e-3 * (hi - lo) + 1e-12, hi - lo, n)
    return np.linspace(lo, hi, n + 2)[1:-1]


def contour(f, ax: Axes | None = None, bounds=None, levels: int | Sequence[float] = 20,
            filled: bool = False, n: int = 200, mark_critical: bool = True) -> Axes:
    """Contour lines of a 2D landscape, critical points marked (● min, ▲ max, ✕ saddle)."""
    ax = plt.figure().add_subplot() if ax is None else ax
    X, Y, Z = grid(f, bounds, n)
    if np.isscalar(levels):
        levels = contour_levels(Z, int(levels), getattr(f, "log_levels", False))
    (ax.contourf if filled else ax.contour)(X, Y, Z, levels=levels, cmap="viridis")
    if mark_critical:
        markers = {"minimum": ("o", "tab:green"), "maximum": ("^", "tab:red"),
                   "saddle": ("x", "black")}
        for kind, points in f.critical_points.items():
            inside = points[(points[:, 0] >= X.min()) & (points[:, 0] <= X.max())
                            & (points[:, 1] >= Y.min()) & (points[:, 1] <= Y.max())]
            marker, color = markers.get(kind, ("s", "gray"))
            if len(inside):
                ax.plot(inside[:, 0], inside[:, 1], marker, color=color, ls="none",
                        ms=8, label=kind)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="box")
    return ax


def surface_and_contour(f, bounds=None, n: int = 60, title: str | None = None) -> Figure:
    """The same landscape twice, side by side: a 3D surface and its contour map."""
    fig = plt.figure(figsize=(11, 4.5))
    ax3d = fig.add_subplot(1, 2, 1, projection="3d")
    X, Y, Z = grid(f, bounds, n)
    ax3d.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
    ax3d.set_xlabel("$x_1$")
    ax3d.set_ylabel("$x_2$")
    contour(f, fig.add_subplot(1, 2, 2), bounds)
    fig.suptitle(title or getattr(f, "name", ""))
    return fig


def trajectory(ax: Axes, points: np.ndarray, label: str | None = None, **style) -> Axes:
    """Draw an optimizer's path (n, 2) on ``ax``: a line through the iterates, start ○, end ●."""
    points = np.asarray(points)
    (line,) = ax.plot(points[:, 0], points[:, 1], "-", marker=".", label=label, **style)
    ax.plot(*points[0], "o", mfc="none", color=line.get_color())
    ax.plot(*points[-1], "o", color=line.get_color())
    return ax

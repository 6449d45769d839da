"""Figures for the course: landscapes as surface and contour plots, trajectories on contours.

One look everywhere: ``use_style()`` for a laptop, ``use_style("lecture")`` for a projector
(bigger fonts, thicker lines). Every function returns its Figure or Axes so tests can inspect
what was drawn.
"""

from __future__ import annotations

import importlib
import os
import re
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
        # x tick labels low enough to clear the y tick label at the corner they share
        "xtick.major.pad": 7.0,
    },
}
# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency (black,
# orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple).
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7")
COMMON = {
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO[1:] + OKABE_ITO[:1]),
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
    attach_alt_text()


_TEX = {r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\eta": "η", r"\theta": "θ",
        r"\lambda": "λ", r"\kappa": "κ", r"\mu": "μ", r"\sigma": "σ", r"\rho": "ρ",
        r"\epsilon": "ε", r"\varepsilon": "ε", r"\nabla": "∇", r"\max": "max",
        r"\min": "min", r"\log": "log", r"\sqrt": "√", r"\cdot": "·", r"\times": "×",
        r"\le": "≤", r"\ge": "≥", r"\infty": "∞", r"\Delta": "Δ", r"\star": "*"}


def plain_text(label: str) -> str:
    """A matplotlib label as a screen reader should hear it: mathtext's $…$ and common TeX
    macros turned into plain Unicode (``$\\theta_2$`` → ``θ2``)."""
    text = label
    for macro, symbol in sorted(_TEX.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(re.escape(macro) + r"(?![A-Za-z])", symbol, text)
    text = re.sub(r"\\(?:mathrm|mathbf|mathit|operatorname|text)\b", "", text)
    text = re.sub(r"\^\{([^{}]*)\}", r"^\1", text)
    text = re.sub(r"_\{([^{}]*)\}|_(\w)", r"\1\2", text)
    text = re.sub(r"[${}\\]", "", text)
    return " ".join(text.split())


def _range(lo: float, hi: float) -> str:
    return f"{lo:.3g} to {hi:.3g}"


def describe_axes(ax: Axes) -> str:
    """One panel in words: its title, what each axis shows and over which range (log scales
    named), the legend's entries, and a colorbar's label."""
    parts = []
    title = plain_text(ax.get_title() or ax.get_title(loc="left") or "")
    if ax.get_label() == "<colorbar>":
        return f"Colorbar {plain_text(ax.get_ylabel() or ax.get_xlabel())}".strip()
    parts.append(f"Panel “{title}”" if title else "Panel")
    for name, label, lim, scale in (("x", ax.get_xlabel(), ax.get_xlim(), ax.get_xscale()),
                                    ("y", ax.get_ylabel(), ax.get_ylim(), ax.get_yscale())):
        what = plain_text(label) or "unlabelled"
        log = ", log scale" if scale == "log" else ""
        parts.append(f"{name}-axis {what} from {_range(*lim)}{log}")
    legend = ax.get_legend()
    if legend is not None:
        entries = [plain_text(t.get_text()) for t in legend.get_texts() if t.get_text()]
        if entries:
            parts.append("legend: " + ", ".join(entries))
    return "; ".join(parts)


def describe_figure(fig: Figure) -> str:
    """Alt text for a figure, generated from what it draws: its suptitle, and for each visible
    panel its title, axis labels and ranges, legend entries and colorbar labels."""
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    head = f"Figure “{plain_text(suptitle)}”" if suptitle else "Figure"
    count = sum(ax.get_label() != "<colorbar>" for ax in panels)
    head += f" with {count} panel{'s' * (count != 1)}"
    return ". ".join([head] + [describe_axes(ax) for ax in panels]) + "."


def attach_alt_text() -> None:
    """Inside IPython, store ``describe_figure(fig)`` as the alt text (``metadata["alt"]``) of
    every PNG a figure is displayed as, so exported pages (``coursekit site``) describe it.
    Outside IPython, or before a PNG formatter exists, this does nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    png = shell.display_formatter.formatters.get("image/png")
    if png is None:
        return
    backend = mpl.get_backend()
    if backend.startswith("module://"):  # the inline backend registers its PNG formatter on import
        importlib.import_module(backend.removeprefix("module://"))
    printer = png.lookup_by_type(Figure) if Figure in png.type_printers else None
    if printer is None or getattr(printer, "coursekit_alt", False):
        return

    def png_with_alt(fig: Figure):
        data = printer(fig)
        return (data, {"alt": describe_figure(fig)}) if data is not None else None

    png_with_alt.coursekit_alt = True
    png.for_type(Figure, png_with_alt)
    html = shell.display_formatter.formatters.get("text/html")
    if os.environ.get(FIGURE_HTML) == "1" and html is not None:
        html.for_type(Figure, lambda fig: figure_html(printer(fig), describe_figure(fig)))


# Set by ``coursekit present``: figures are then also shown as HTML <img alt="…">, which the
# Voilà page renders instead of the bare PNG (JupyterLab's image renderer ignores the alt in
# the PNG's metadata). Not in notebooks: strict nbval would compare the base64 in text/html.
FIGURE_HTML = "COURSEKIT_FIGURE_HTML"


def figure_html(png: bytes | str | None, alt: str) -> str | None:
    """An ``<img>`` showing a PNG inline (bytes, or the base64 text IPython's inline backend
    prints), with ``alt`` as its alternative text."""
    import base64
    import html

    if png is None:
        return None
    encoded = png if isinstance(png, str) else base64.b64encode(png).decode("ascii")
    source = "data:image/png;base64," + "".join(encoded.split())
    return f'<img src="{source}" alt="{html.escape(alt, quote=True)}">'


# Machado, Oliveira & Fernandes (2009): linear-RGB matrices simulating complete protanopia
# and deuteranopia (the red-green deficiencies, about 1 in 12 men between them).
COLOUR_VISION = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear sRGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear_rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def colour_difference(a, b, vision: str = "normal") -> float:
    """ΔE (CIE 1976) between two matplotlib colours as seen with ``vision`` (a key of
    COLOUR_VISION). About 2 is just noticeable; two lines need ≳ 15 to be told apart at a
    glance (tab:green and tab:red: 7 with deuteranopia, 80 without)."""
    from matplotlib.colors import to_rgb

    def seen(colour) -> np.ndarray:
        srgb = np.asarray(to_rgb(colour))
        linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
        return _lab(np.clip(COLOUR_VISION[vision] @ linear, 0.0, 1.0))

    return float(np.linalg.norm(seen(a) - seen(b)))


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

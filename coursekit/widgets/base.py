"""The shell every widget shares: a render function wrapped by ipywidgets controls, and the
persistent figure that makes a slider move cheap.

A widget either draws a new Figure per call of ``render`` (simple, ~150–700 ms a move), or
keeps a :class:`WidgetView`: a figure built once whose artists ``update(**params)`` moves in
place, drawn by a :class:`LayeredCanvas` that repaints only what changed (~10–30 ms a move).
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import ipywidgets as widgets
import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine, PlaceHolderLayoutEngine
from matplotlib.legend import Legend


@dataclass
class Rendered:
    """What one slider position shows: the figure, and the facts drawn in it.

    ``info`` holds plain numbers and labels (e.g. {"regime": "oscillates", "diverged": None}),
    so tests assert on them without reading pixels.
    """

    figure: Figure
    info: dict = field(default_factory=dict)


class LayeredCanvas(FigureCanvasAgg):
    """An Agg canvas that repaints only the artists a slider move changes.

    The figure splits into the artists listed in ``dynamic`` and a static layer (everything
    else: axes, ticks, labels, legends, colour bars). ``draw()`` pastes a bitmap of the static
    layer and draws the dynamic artists over it in z-order. The bitmap is redrawn only for a
    new canvas size or dpi, or a ``static_key`` not seen among the last ``layers`` ones; the
    view that owns the canvas sets ``static_key`` to whatever its static artists depend on.
    Text is what makes a full Agg draw slow (about 2 ms a label), and most of a widget's text
    never changes.

    Dynamic artists are drawn above every static one. Printing (``savefig``, a notebook's
    inline PNG) draws the whole figure the ordinary way.
    """

    def __init__(self, figure: Figure, layers: int = 6) -> None:
        super().__init__(figure)
        self.dynamic: list[Artist] = []
        self.static_key: Hashable = None
        self._layers: OrderedDict = OrderedDict()
        self._capacity = int(layers)

    def draw(self) -> None:
        self.renderer = renderer = self.get_renderer()
        key = (self.static_key, renderer.width, renderer.height, self.figure.dpi)
        layer = self._layers.get(key)
        if layer is None:
            renderer.clear()
            with _hidden(self.dynamic):
                self.figure.draw(renderer)
            layer = self._layers[key] = renderer.copy_from_bbox(self.figure.bbox)
            while len(self._layers) > self._capacity:
                self._layers.popitem(last=False)
        else:
            renderer.restore_region(layer)
            self._layers.move_to_end(key)
        for artist in sorted(self.dynamic, key=lambda a: a.get_zorder()):
            artist.draw(renderer)

    def to_png(self) -> bytes:
        """Draw, and encode the canvas as PNG bytes (fast compression: widgets redraw often)."""
        from PIL import Image

        self.draw()
        width, height = self.get_width_height(physical=True)
        image = Image.frombuffer("RGBA", (width, height), self.buffer_rgba(), "raw", "RGBA", 0, 1)
        png = io.BytesIO()
        image.save(png, format="png", compress_level=1)
        return png.getvalue()


@contextmanager
def _hidden(artists: list[Artist]):
    visible = [a.get_visible() for a in artists]
    for a in artists:
        a.set_visible(False)
    try:
        yield
    finally:
        for a, v in zip(artists, visible, strict=True):
            a.set_visible(v)


class WidgetView:
    """One widget's figure, built once: ``update(**params)`` moves its artists in place.

    A subclass builds its axes and artists in ``__init__``, puts the artists an update changes
    in ``self.canvas.dynamic``, and in ``update`` sets ``self.canvas.static_key`` to the
    parameters the other artists depend on; ``update`` returns the ``info`` dict.
    """

    def __init__(self, figure: Figure) -> None:
        # An explicit "no layout" engine: a figure without any engine takes rcParams' default
        # (constrained, in our styles) the first time it is printed with bbox_inches="tight",
        # and a re-solved layout would move the axes under the cached static layer. A figure
        # built with a constrained layout keeps it for one run, on the first render (panels,
        # labels and legend strips then never overlap), and is frozen after it.
        engine = figure.get_layout_engine()
        self._solver = engine if isinstance(engine, ConstrainedLayoutEngine) else None
        figure.set_layout_engine(PlaceHolderLayoutEngine(
            adjust_compatible=True, colorbar_gridspec=self._solver is None))
        self.figure = figure
        self.canvas = LayeredCanvas(figure)
        self._fitted = False

    def update(self, **params) -> dict:
        raise NotImplementedError

    def widest_texts(self) -> dict:
        """{Text: the longest string it shows at any slider position}: put in place for the
        one layout run, so that a longer title later does not run into a neighbour."""
        return {}

    def render(self, **params) -> Rendered:
        """Update the figure for ``params``; the returned figure is this view's own (the next
        update redraws it). The first render lays the panels out around the widest texts."""
        info = self.update(**params)
        if not self._fitted:
            for text, widest in self.widest_texts().items():
                text.set_text(widest)
            if self._solver is not None:
                self._solver.execute(self.figure)
            fit_to_figure(self.figure)
            self.canvas._layers.clear()
            self._fitted = True
            info = self.update(**params)
        return Rendered(self.figure, info)


def fit_to_figure(figure: Figure, pad_points: float | None = None, rounds: int = 3) -> None:
    """Shrink the panels of a fixed-layout figure until every text drawn lies inside it.

    Fixed margins tuned for the notebook style cut labels off in the lecture style (fonts
    1.6× larger): here the whole arrangement of axes (colour bars included) is scaled into
    the figure minus whatever text sticks out on each side, keeping relative positions.
    Done once per view (a layout engine on every slider move would double its cost).
    """
    width, height = figure.get_size_inches()
    # One em of room: tick labels change width as the sliders move the limits.
    pad = (mpl.rcParams["font.size"] if pad_points is None else pad_points) / 72
    for _ in range(rounds):
        renderer = figure.canvas.get_renderer()
        tight = figure.get_tightbbox(renderer)
        left = max(0.0, pad - tight.x0) / width
        right = max(0.0, tight.x1 - (width - pad)) / width
        bottom = max(0.0, pad - tight.y0) / height
        top = max(0.0, tight.y1 - (height - pad)) / height
        if max(left, right, bottom, top) < 1e-3:
            return
        sx, sy = 1.0 - left - right, 1.0 - bottom - top
        for ax in figure.axes:
            x0, y0, w, h = ax.get_position().bounds
            ax.set_position((left + x0 * sx, bottom + y0 * sy, w * sx, h * sy))


def lecture_style() -> bool:
    """Whether matplotlib's settings are the projector look (``plot.use_style("lecture")``):
    views then give their panels more height and their legends one column, since the fonts
    are 1.6× larger on a screen of the same width."""
    from ..plot import STYLES

    return mpl.rcParams["font.size"] >= STYLES["lecture"]["font.size"]


def legend_strip(figure: Figure, ncols: int, width_ratios: tuple[float, ...] | None = None
                 ) -> tuple[list[Axes], list[Axes]]:
    """A row of ``ncols`` panels over a strip of legend holders, one under each panel.

    A legend inside a panel whose data moves with the sliders covers some of it at some slider
    position; under the panel it never does. Each holder is an invisible axes of almost no
    height: its legend (:func:`legend_below`) hangs below it, and the figure's constrained
    layout (run once, on the first render) makes room for it below the panel's axis label.
    """
    grid = figure.add_gridspec(2, ncols, width_ratios=width_ratios, height_ratios=(1.0, 1e-3))
    panels = [figure.add_subplot(grid[0, i]) for i in range(ncols)]
    holders = [figure.add_subplot(grid[1, i]) for i in range(ncols)]
    for holder in holders:
        holder.set_axis_off()
    return panels, holders


def legend_below(holder: Axes, handles: list, labels: list[str], ncols: int = 1) -> Legend:
    """The legend of the panel above ``holder`` (see :func:`legend_strip`), in ``ncols``
    columns (one in the lecture style)."""
    ncols = 1 if lecture_style() else ncols
    return holder.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0),
                         ncols=ncols, fontsize="small", borderaxespad=0.0)


View = TypeVar("View", bound=WidgetView)
_shared: dict[type, tuple[WidgetView, dict]] = {}


def shared_view(view_class: type[View]) -> View:
    """The one ``view_class()`` that a module's ``render`` reuses.

    Rebuilt when matplotlib's settings changed since it was built (``use_style("lecture")``),
    since fonts and line widths are fixed when artists are created.
    """
    view, style = _shared.get(view_class, (None, None))
    if view is None or mpl.rcParams != style:
        view = view_class()
        _shared[view_class] = (view, mpl.rcParams.copy())
    return view


def log_slider(value: float, low: float, high: float, description: str,
               readout_format: str = ".3g") -> widgets.FloatLogSlider:
    """A slider over [low, high] on a log scale (for learning rates, condition numbers)."""
    import numpy as np

    return widgets.FloatLogSlider(
        value=value, base=10, min=float(np.log10(low)), max=float(np.log10(high)),
        step=(np.log10(high) - np.log10(low)) / 200, description=description,
        readout_format=readout_format, continuous_update=False,
        style={"description_width": "initial"},
    )


def explorer(render: Callable[..., Rendered], **controls) -> widgets.VBox:
    """Controls above one output area; every change re-renders and shows the new figure.

    ``controls`` maps render's keyword names to ipywidgets controls. Returns the widget box
    (display it, or serve it with Voilà). Pass a view's ``render`` (``SomeView().render``) to
    redraw one persistent figure; other figures are closed after display so a long session of
    slider moves does not pile up open figures.
    """
    output = widgets.Output()

    def update(_change=None) -> None:
        rendered = render(**{name: control.value for name, control in controls.items()})
        with output:
            output.clear_output(wait=True)
            display_figure(rendered.figure)
        plt.close(rendered.figure)

    for control in controls.values():
        control.observe(update, names="value")
        if hasattr(control, "style") and hasattr(control.style, "description_width"):
            control.style.description_width = "initial"  # full labels, never "momentu…"
    update()
    row = widgets.Layout(flex_flow="row wrap")  # many sliders wrap instead of overflowing
    controls_row = widgets.HBox(list(controls.values()), layout=row)
    box = widgets.VBox([controls_row, output])
    box.add_class("coursekit-explorer")
    return box


def display_figure(figure: Figure) -> None:
    """Show a figure in the current output, independent of the active backend: an HTML
    ``<img>`` whose alt text describes the figure (``plot.describe_figure``), since JupyterLab's
    and Voilà's renderer of a bare PNG writes no alt attribute for screen readers.

    A view's figure is the PNG of its layered canvas, which repaints only what moved.
    """
    from IPython.display import HTML, display

    from ..plot import describe_figure, figure_html

    if isinstance(figure.canvas, LayeredCanvas):
        png = figure.canvas.to_png()
    else:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        png = buffer.getvalue()
    display(HTML(figure_html(png, describe_figure(figure))))

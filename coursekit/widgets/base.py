"""The shell every widget shares: a pure render function wrapped by ipywidgets controls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


@dataclass
class Rendered:
    """What one slider position shows: the figure, and the facts drawn in it.

    ``info`` holds plain numbers and labels (e.g. {"regime": "oscillates", "diverged": None}),
    so tests assert on them without reading pixels.
    """

    figure: Figure
    info: dict = field(default_factory=dict)


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
    (display it, or serve it with Voilà). Figures are closed after display so a long session
    of slider moves does not pile up open figures.
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
    update()
    box = widgets.VBox([widgets.HBox(list(controls.values())), output])
    box.add_class("coursekit-explorer")
    return box


def display_figure(figure: Figure) -> None:
    """Show a figure in the current output (inline PNG), independent of the active backend."""
    from IPython.display import display

    display(figure)

"""Interactive explorers: each module holds one widget, a pure ``render`` plus a thin shell.

``render(**params)`` computes and draws, returning a :class:`Rendered` (the Figure and the
numbers it shows, so tests can check them); ``explorer()`` wraps it in ipywidgets sliders.
"""

from .base import Rendered, explorer, log_slider

__all__ = ["Rendered", "explorer", "log_slider"]

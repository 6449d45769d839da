"""Plots return their figures, draw what they claim, and the lecture style is larger."""

import matplotlib

matplotlib.use("Agg")
import matplotlib as mpl  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursekit import landscapes, plot  # noqa: E402


def test_lecture_style_has_larger_fonts_and_lines_than_notebook_style():
    plot.use_style("notebook")
    small = mpl.rcParams["font.size"], mpl.rcParams["lines.linewidth"]
    plot.use_style("lecture")
    large = mpl.rcParams["font.size"], mpl.rcParams["lines.linewidth"]
    plot.use_style("notebook")
    assert large[0] > small[0] and large[1] > small[1]
    with pytest.raises(ValueError, match="mode must be one of"):
        plot.use_style("poster")


def test_grid_evaluates_the_landscape_pointwise():
    f = landscapes.Himmelblau()
    X, Y, Z = plot.grid(f, n=7)
    assert Z.shape == (7, 7)
    assert Z[3, 5] == pytest.approx(f(np.array([X[3, 5], Y[3, 5]])))


def test_contour_marks_every_listed_critical_point_inside_the_window():
    f = landscapes.Himmelblau()
    ax = plot.contour(f)
    marked = {line.get_label(): len(line.get_xdata()) for line in ax.get_lines()}
    assert marked == {"minimum": 4, "maximum": 1, "saddle": 4}


def test_log_levels_are_increasing_and_span_the_range():
    Z = np.array([[0.0, 1.0], [10.0, 1000.0]])
    levels = plot.contour_levels(Z, 10, log=True)
    assert np.all(np.diff(levels) > 0) and levels[-1] == pytest.approx(1000.0)


def test_surface_and_contour_returns_a_figure_with_a_3d_and_a_2d_axes():
    fig = plot.surface_and_contour(landscapes.Saddle())
    assert [ax.name for ax in fig.axes] == ["3d", "rectilinear"]


def test_trajectory_draws_every_point():
    ax = plot.contour(landscapes.Saddle())
    points = np.array([[1.0, 0.1], [0.5, 0.2], [0.25, 0.4]])
    plot.trajectory(ax, points, label="path")
    (path,) = [line for line in ax.get_lines() if line.get_label() == "path"]
    np.testing.assert_array_equal(path.get_xydata(), points)


def test_coursekit_style_environment_variable_overrides_the_notebooks_choice(monkeypatch):
    plot.use_style("lecture")
    lecture_font = mpl.rcParams["font.size"]
    monkeypatch.setenv("COURSEKIT_STYLE", "lecture")
    plot.use_style("notebook")
    assert mpl.rcParams["font.size"] == lecture_font
    monkeypatch.delenv("COURSEKIT_STYLE")
    plot.use_style("notebook")
    assert mpl.rcParams["font.size"] < lecture_font


def test_describe_figure_names_titles_axes_ranges_scales_legends_and_colorbars():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    fig.suptitle("Momentum on a ravine")
    left.semilogy([1, 10], [1e-3, 1.0], label=r"$\beta = 0.9$")
    left.set(xlim=(0, 10), xlabel=r"step $k$", ylabel=r"$E(\theta_k) - E^*$", title="loss")
    left.legend()
    image = right.imshow(np.zeros((2, 2)), extent=(-2, 2, -1, 3))
    right.set(xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
    fig.colorbar(image, ax=right, label=r"rate $\rho$")
    text = plot.describe_figure(fig)
    plt.close(fig)
    assert text.startswith("Figure “Momentum on a ravine” with 2 panels.")
    assert "Panel “loss”; x-axis step k from 0 to 10; y-axis E(θk) - E^* from" in text
    assert "log scale; legend: β = 0.9" in text
    assert "x-axis θ1 from -2 to 2; y-axis θ2 from -1 to 3" in text
    assert "Colorbar rate ρ" in text and "$" not in text and "\\" not in text


def least_told_apart(colours) -> tuple[float, str, str, str]:
    """(ΔE, a, b, vision): the pair of ``colours`` closest to each other with any vision."""
    import itertools

    return min((plot.colour_difference(a, b, vision), a, b, vision)
               for a, b in itertools.combinations(colours, 2) for vision in plot.COLOUR_VISION)


@pytest.mark.parametrize("mode", ["notebook", "lecture"])
def test_style_colour_cycle_is_told_apart_with_protanopia_and_deuteranopia(mode):
    with mpl.rc_context():
        plot.use_style(mode)
        colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    assert len(colours) >= 8
    worst = least_told_apart(colours)
    assert worst[0] >= 15, f"{worst[1]}, {worst[2]} alike with {worst[3]}: ΔE {worst[0]:.1f}"


def test_colour_difference_sees_what_red_green_deficiencies_confuse():
    # matplotlib's default colours: far apart normally, close without red or green cones
    assert plot.colour_difference("tab:orange", "tab:green") > 40
    assert plot.colour_difference("tab:orange", "tab:green", "protanopia") < 15
    assert plot.colour_difference("tab:green", "tab:red") > 40
    assert plot.colour_difference("tab:green", "tab:red", "deuteranopia") < 15
    assert plot.colour_difference("black", "white") == pytest.approx(100, abs=0.1)
    assert plot.colour_difference("#E69F00", "#E69F00", "protanopia") == 0


@pytest.mark.parametrize("presenting", [False, True])
def test_figures_are_shown_as_img_with_alt_only_when_presenting(presenting, monkeypatch):
    import base64
    import html
    import re

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    try:  # the PNG printer the inline backend registers (it prints base64 text)
        shell.display_formatter.formatters["image/png"].for_type(
            Figure, lambda fig: print_figure(fig, "png", base64=True))
        if presenting:
            monkeypatch.setenv(plot.FIGURE_HTML, "1")
        else:
            monkeypatch.delenv(plot.FIGURE_HTML, raising=False)
        with mpl.rc_context():
            plot.use_style("notebook")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots()
            ax.set(xlabel="step k", title="loss")
            data, metadata = shell.display_formatter.format(fig)
            plt.close(fig)
    finally:
        InteractiveShell.clear_instance()
    assert metadata["image/png"]["alt"] == plot.describe_figure(fig)
    if not presenting:
        assert "text/html" not in data  # strict nbval would compare the base64 in HTML
        return
    match = re.fullmatch(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)">',
                         data["text/html"])
    assert match and html.unescape(match.group(2)) == plot.describe_figure(fig)
    png = data["image/png"]
    assert base64.b64decode(match.group(1)) == (png if isinstance(png, bytes)
                                                else base64.b64decode(png))


def lesson_cell_colours() -> list[tuple[str, list[str]]]:
    """(lesson and cell, the distinct colours the cell's code names) for every lesson cell
    naming two or more: ``color="tab:red"``, ``c="0.5"``, or a bare ``"tab:blue"`` in a
    list of colours. Lines drawn from the style's cycle are checked by the test above."""
    import re
    from pathlib import Path

    import nbformat
    from matplotlib.colors import is_color_like

    named = re.compile(r"""\b(?:color|c)\s*=\s*["']([^"']+)["']|["'](tab:[a-z]+)["']""")
    cells = []
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code":
                continue
            found = {a or b for a, b in named.findall(cell.source)}
            colours = sorted(c for c in found if is_color_like(c) and c != "none")
            if len(colours) >= 2:
                cells.append((f"{path.stem} cell {i}", colours))
    return cells


def test_lesson_figures_colours_are_told_apart_with_protanopia_and_deuteranopia():
    cells = lesson_cell_colours()
    assert len(cells) >= 10  # the lessons do name their colours: the scan finds them
    for where, colours in cells:
        delta, a, b, vision = least_told_apart(colours)
        assert delta >= 15, f"{where}: {a} and {b} alike with {vision}: ΔE {delta:.1f}"

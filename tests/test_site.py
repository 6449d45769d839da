"""The static site: every lesson has a page holding every figure the notebook stores (widget
figures included, frozen in their saved state), and the index lists the lessons in order with
their own titles and first paragraphs."""

from __future__ import annotations

import re

import nbformat
import pytest

from coursekit.site import (
    NOTEBOOKS,
    build_site,
    describe_figures,
    freeze_widgets,
    title_and_summary,
    widget_snapshot,
)

LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJ"
       "RU5ErkJggg==")  # a 1x1 PNG


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return out, build_site(NOTEBOOKS, out)


def first_heading(nb) -> str:
    """The text of the first '# ' line of the notebook's Markdown (read here independently)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def stored_pngs(nb) -> list[str]:
    """Every PNG the notebook stores: cell outputs, and Output widgets in the saved state."""
    pngs = [o["data"]["image/png"] for c in nb.cells for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]
    state = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    for model in state.values():
        if model.get("model_name") == "OutputModel":
            pngs += [o["data"]["image/png"] for o in model["state"].get("outputs", [])
                     if "image/png" in o.get("data", {})]
    return ["".join(p.split()) for p in pngs]


def test_site_has_a_page_per_lesson_and_an_index(site):
    out, pages = site
    assert LESSONS, "no lessons in notebooks/"
    assert [p.notebook for p in pages] == LESSONS
    assert sorted(p.name for p in out.glob("*.html")) == sorted(
        ["index.html"] + [f"{nb.stem}.html" for nb in LESSONS])


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_page_has_its_title_and_every_stored_figure(site, lesson):
    out, _ = site
    nb = nbformat.read(lesson, as_version=4)
    html = (out / f"{lesson.stem}.html").read_text(encoding="utf-8")
    title = first_heading(nb)
    assert title and f"<title>{title}</title>" in html.replace("&amp;", "&")
    pngs = stored_pngs(nb)
    missing = [i for i, png in enumerate(pngs) if png not in html]
    assert not missing, f"{len(missing)} of {len(pngs)} stored figures missing from the page"
    assert html.count("data:image/png;base64,") >= len(pngs)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_widgets_are_frozen_with_saved_values_and_need_no_widget_manager(site, lesson):
    out, _ = site
    nb = nbformat.read(lesson, as_version=4)
    html = (out / f"{lesson.stem}.html").read_text(encoding="utf-8")
    views = [o for c in nb.cells for o in c.get("outputs", []) if VIEW in o.get("data", {})]
    assert html.count('class="ck-widget"') == len(views)
    assert VIEW not in html and "html-manager" not in html
    state = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    for model in state.values():
        if model.get("model_name", "").endswith("SliderModel"):
            assert model["state"]["description"] in html


def test_index_lists_lessons_in_order_with_their_titles_and_first_paragraphs(site):
    out, _ = site
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(\d\d_[^"]+\.html)"', index)
    assert links == [f"{nb.stem}.html" for nb in LESSONS]
    for lesson in LESSONS:
        nb = nbformat.read(lesson, as_version=4)
        assert first_heading(nb) in index.replace("&amp;", "&")
        # The opening words of the first prose paragraph, up to the first Markdown markup.
        prose = next(b for c in nb.cells if c.cell_type == "markdown"
                     for b in re.split(r"\n\s*\n", c.source) if b.strip()
                     and not b.lstrip().startswith(("#", "$$")))
        opening = re.split(r"[*_$`\[\\]", prose.strip())[0][:40]
        if len(opening) >= 10:
            assert opening in index.replace("&#x27;", "'").replace("&amp;", "&"), opening


def _notebook(title_cell: str, *cells, widgets=None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(title_cell), *cells]
    if widgets is not None:
        nb.metadata["widgets"] = {STATE: {"state": widgets, "version_major": 2,
                                          "version_minor": 0}}
    return nb


def test_title_and_summary_skip_headings_and_display_math():
    nb = _notebook("# 07 · Topic\n\n## Plan\n\n$$x$$\n\nFirst *real* paragraph.\n\nSecond.")
    assert title_and_summary(nb) == ("07 · Topic", "First *real* paragraph.")
    nb = _notebook("# Only a title", nbformat.v4.new_markdown_cell("Then prose."))
    assert title_and_summary(nb) == ("Only a title", "Then prose.")


def _widget_state() -> dict:
    return {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_row",
                                                                  "IPY_MODEL_out"]}},
        "row": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_lr", "IPY_MODEL_f"]}},
        "lr": {"model_name": "FloatLogSliderModel", "state": {
            "description": "learning rate", "value": 0.02, "min": -3.0, "max": 1.0, "base": 10.0,
            "readout_format": ".3g"}},
        "f": {"model_name": "DropdownModel", "state": {
            "description": "function", "index": 1, "_options_labels": ["parabola", "well"]}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [
            {"output_type": "display_data", "data": {"image/png": PNG, "text/plain": "fig"},
             "metadata": {}}]}},
    }


def test_widget_snapshot_shows_saved_values_and_the_saved_figure():
    html, pngs = widget_snapshot("IPY_MODEL_box", _widget_state())
    assert pngs == 1 and f"data:image/png;base64,{PNG}" in html
    assert "learning rate" in html and "<b>0.02</b>" in html
    assert 'min="-3.0" max="1.0"' in html and 'value="-1.69' in html  # log10(0.02)
    assert "function <b>well</b>" in html


def test_freeze_widgets_replaces_views_and_drops_the_state():
    view = nbformat.v4.new_output("display_data", data={
        VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0}, "text/plain": "VBox"})
    lost = nbformat.v4.new_output("display_data", data={
        VIEW: {"model_id": "gone", "version_major": 2, "version_minor": 0}})
    cell = nbformat.v4.new_code_cell("explorer()", outputs=[view, lost])
    nb = _notebook("# T", cell, widgets=_widget_state())
    frozen, widgets, pngs = freeze_widgets(nb)
    assert (widgets, pngs) == (2, 1)
    assert "widgets" not in frozen.metadata and "widgets" in nb.metadata  # input untouched
    first, second = (o.data["text/html"] for o in frozen.cells[1].outputs)
    assert PNG in first and "run the notebook to use it" in second
    assert all(VIEW not in o.data for o in frozen.cells[1].outputs)


def test_build_site_removes_stale_pages_and_refuses_an_empty_folder(tmp_path):
    notebooks, out = tmp_path / "nb", tmp_path / "site"
    notebooks.mkdir()
    with pytest.raises(ValueError, match=f"no lessons .* in {re.escape(str(notebooks))}"):
        build_site(notebooks, out)
    nbformat.write(_notebook("# 01 · One\n\nHello there, reader."), notebooks / "01_one.ipynb")
    out.mkdir()
    (out / "02_gone.html").write_text("old")
    pages = build_site(notebooks, out)
    assert [p.title for p in pages] == ["01 · One"]
    assert sorted(p.name for p in out.iterdir()) == ["01_one.html", "index.html", "mathjax"]
    assert "Hello there, reader." in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_page_loads_no_script_from_another_host_and_bundles_mathjax(site, lesson):
    out, _ = site
    html = (out / f"{lesson.stem}.html").read_text(encoding="utf-8")
    remote = re.findall(r"<(?:script|link)[^>]*(?:src|href)=[\"']?(?:https?:)?//[^>]*>", html)
    assert not remote, remote
    local = re.findall(r'<script[^>]*src="([^"?]+)', html)
    assert "mathjax/MathJax.js" in local
    assert all((out / src).is_file() for src in local), local
    assert (out / "mathjax/jax/output/HTML-CSS/fonts/STIX-Web").is_dir()


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_image_has_an_alt_text_with_its_section(site, lesson):
    out, _ = site
    html = (out / f"{lesson.stem}.html").read_text(encoding="utf-8")
    imgs = re.findall(r"<img\b[^>]*>", html)
    assert imgs
    for img in imgs:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and len(alt.group(1)) >= 20, img[-200:]
        assert "No description" not in alt.group(1)


def test_alt_text_joins_what_the_figure_drew_to_the_prose_above():
    drawn = {"image/png": {"alt": "Figure with 1 panel. Panel “speed”; x-axis step k."}}
    figure = nbformat.v4.new_output("display_data", data={"image/png": PNG}, metadata=drawn)
    bare = nbformat.v4.new_output("display_data", data={"image/png": PNG})
    nb = _notebook("# 05 · T\n\n## Terminal velocity\n\nThe speed holds at $\\alpha/(1-\\beta)$:",
                   nbformat.v4.new_code_cell("plot()", outputs=[figure, bare]))
    assert describe_figures(nb) == 2
    first, second = (o.metadata["image/png"]["alt"] for o in nb.cells[1].outputs)
    assert first.startswith("Figure with 1 panel. Panel “speed”; x-axis step k.")
    assert "Section “Terminal velocity”. The speed holds at α/(1-β):" in first
    assert second == "Section “Terminal velocity”. The speed holds at α/(1-β):"


def test_frozen_widget_figure_alt_names_the_saved_control_values():
    view = nbformat.v4.new_output("display_data", data={
        VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0}})
    nb = _notebook("# T\n\n## Rates\n\nMove the rate.", nbformat.v4.new_code_cell(
        "explorer()", outputs=[view]), widgets=_widget_state())
    frozen, _, _ = freeze_widgets(nb)
    html = frozen.cells[1].outputs[0].data["text/html"]
    alt = re.search(r'<img [^>]*alt="([^"]*)"', html).group(1)
    assert "learning rate = 0.02" in alt and "function = well" in alt
    assert "Section “Rates”. Move the rate." in alt

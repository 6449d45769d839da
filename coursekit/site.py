"""A static site of the course for reading without installing anything: every lesson rendered
with its stored outputs to HTML by nbconvert, and an index built from the lessons' own titles
and first paragraphs.

    coursekit site              # writes _site/index.html and _site/NN_topic.html

Nothing is executed: pages show what the committed notebooks store. A widget is frozen in its
saved state: its controls with their saved values (sliders as disabled range inputs) and the
figure its output area held, as plain HTML, so pages need no JavaScript and no widget
manager from a CDN.
"""

from __future__ import annotations

import copy
import html
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SITE = REPO / "_site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"

CSS = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }
h1 { font-size: 1.8rem; } li { margin-bottom: 1.2rem; } a { color: #1a5fb4; }
.lesson-title { font-size: 1.15rem; font-weight: 600; } .note { color: #666; font-size: .9rem; }
"""
WIDGET_CSS = """<style>
.ck-widget { border-left: 3px solid #1a5fb4; padding: .4rem .8rem; margin: .4rem 0; }
.ck-controls { display: flex; flex-wrap: wrap; gap: .3rem 1.5rem; font-size: .9rem; }
.ck-control input[type=range] { vertical-align: middle; width: 9rem; }
.ck-note { color: #666; font-size: .85rem; font-style: italic; }
.ck-nav { font-family: system-ui, sans-serif; padding: .5rem 1rem; border-bottom: 1px solid #ddd; }
.ck-nav a { margin-right: 1.5rem; }
</style>"""
BOXES = {"VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "AccordionModel", "TabModel"}
SLIDERS = {"FloatSliderModel", "IntSliderModel", "FloatLogSliderModel"}
CHOICES = {"DropdownModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectModel"}


@dataclass
class Page:
    """One rendered lesson."""

    notebook: Path
    html: Path
    title: str
    summary: str
    images: int  # PNG figures stored in the notebook, frozen widgets included
    widgets: int


def lesson_notebooks(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The lessons, in course order (``NN_topic.ipynb``)."""
    return sorted(notebooks.glob(LESSON_GLOB))


def title_and_summary(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """The lesson's title (its first ``# `` heading) and its first prose paragraph (Markdown),
    taken from the notebook's opening Markdown cells."""
    title, summary = "", ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if title:
                break
            continue
        for block in re.split(r"\n\s*\n", cell.source.strip()):
            block = block.strip()
            heading = re.match(r"#\s+(.+)", block)
            if heading and not title:
                title = heading.group(1).strip()
                rest = block[heading.end():].strip()
                if rest and not summary and not rest.startswith("#"):
                    summary = rest
            elif block and not block.startswith(("#", "$$", "|", "```", ">")) and not summary:
                summary = block
            if title and summary:
                return title, summary
    return title, summary


def _model(state: dict, ref: str) -> dict | None:
    entry = state.get(ref.removeprefix("IPY_MODEL_"))
    return entry if isinstance(entry, dict) else None


def _format(value: object, spec: str | None) -> str:
    if isinstance(value, float) and spec:
        try:
            return format(value, spec)
        except ValueError:
            pass
    return str(value)


def _control_html(name: str, s: dict) -> str | None:
    label = html.escape(str(s.get("description", "")))
    value = s.get("value")
    if name in SLIDERS:
        if name == "FloatLogSliderModel":
            position = math.log(value, s.get("base", 10)) if value and value > 0 else s["min"]
        else:
            position = value
        shown = _format(value, s.get("readout_format"))
        return (f'<label class="ck-control">{label} <input type="range" disabled '
                f'min="{s.get("min")}" max="{s.get("max")}" step="any" value="{position}"> '
                f"<b>{html.escape(shown)}</b></label>")
    labels = s.get("_options_labels", [])
    if name in CHOICES:
        index = s.get("index")
        shown = labels[index] if isinstance(index, int) and index < len(labels) else ""
    elif name == "SelectMultipleModel":
        shown = ", ".join(labels[i] for i in s.get("index", []) if i < len(labels))
    elif name in {"CheckboxModel", "ToggleButtonModel"}:
        shown = "on" if value else "off"
    elif name in {"LabelModel", "HTMLModel", "HTMLMathModel", "TextModel"}:
        shown = str(value or "")
    else:
        return None
    return f'<span class="ck-control">{label} <b>{html.escape(str(shown))}</b></span>'


def _output_html(output: dict) -> str:
    data = output.get("data", {})
    if "image/png" in data:
        png = "".join(data["image/png"]) if isinstance(data["image/png"], list) else \
            data["image/png"]
        return f'<img src="data:image/png;base64,{png.strip()}" alt="figure">'
    if "image/svg+xml" in data:
        return "".join(data["image/svg+xml"])
    if "text/html" in data:
        return "".join(data["text/html"])
    text = data.get("text/plain") or output.get("text") or "\n".join(output.get("traceback", []))
    text = "".join(text) if isinstance(text, list) else text
    return f"<pre>{html.escape(text)}</pre>" if text else ""


def widget_snapshot(model_id: str, state: dict, _depth: int = 0) -> tuple[str, int]:
    """Static HTML for a widget in its saved state, and how many PNGs it holds: boxes become
    divs, controls show their saved values, Output widgets their stored outputs."""
    model = _model(state, model_id)
    if model is None or _depth > 20:
        return "", 0
    name, s = model.get("model_name", ""), model.get("state", {})
    if name in BOXES:
        parts = [widget_snapshot(child, state, _depth + 1) for child in s.get("children", [])]
        flex = "ck-controls" if name == "HBoxModel" else "ck-box"
        return (f'<div class="{flex}">' + "".join(p for p, _ in parts) + "</div>",
                sum(n for _, n in parts))
    if name == "OutputModel":
        outputs = s.get("outputs", [])
        pngs = sum("image/png" in o.get("data", {}) for o in outputs)
        return "".join(_output_html(o) for o in outputs), pngs
    return _control_html(name, s) or "", 0


def freeze_widgets(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int, int]:
    """A copy of ``nb`` whose widget outputs are static HTML snapshots of the saved widget
    state (and without the widget state itself, so nbconvert adds no widget-manager script).
    Returns (notebook, widgets frozen, PNGs inside them)."""
    nb = copy.deepcopy(nb)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    frozen = pngs = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            snapshot, n = widget_snapshot(view.get("model_id", ""), state)
            if not snapshot:
                snapshot = '<p class="ck-note">Interactive widget: run the notebook to use it.</p>'
            note = ('<p class="ck-note">Interactive widget, shown as saved; run the notebook '
                    "(or <code>coursekit present</code>) to move its controls.</p>")
            output.data = {"text/html": f'<div class="ck-widget">{snapshot}{note}</div>',
                           "text/plain": "widget"}
            frozen, pngs = frozen + 1, pngs + n
    nb.metadata.pop("widgets", None)
    return nb, frozen, pngs


def count_pngs(nb: nbformat.NotebookNode) -> int:
    """PNG outputs stored in the notebook's cells (widget internals not included)."""
    return sum("image/png" in o.get("data", {})
               for c in nb.cells for o in c.get("outputs", []))


def _nav(pages: list[Page], i: int) -> str:
    links = ['<a href="index.html">All lessons</a>']
    if i > 0:
        links.append(f'<a href="{pages[i - 1].html.name}">← {html.escape(pages[i - 1].title)}</a>')
    if i + 1 < len(pages):
        links.append(f'<a href="{pages[i + 1].html.name}">{html.escape(pages[i + 1].title)} →'
                     "</a>")
    return f'<nav class="ck-nav">{"".join(links)}</nav>'


def _clean_html(element: object) -> str:
    """nbconvert's clean_html, skipped for Pygments-highlighted code (already escaped; running
    bleach over every code cell was most of the build time)."""
    from nbconvert.filters import clean_html

    text = element.decode() if isinstance(element, bytes) else str(element)
    highlighted = re.match(r'<div class="\s*highlight[ "]', text)
    return text if highlighted else clean_html(text)


def html_exporter():
    """nbconvert's HTML exporter with the lab template (build it once: loading the templates
    costs a quarter of a second)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", filters={"clean_html": _clean_html})


def render_lesson(nb: nbformat.NotebookNode, title: str, exporter=None) -> str:
    """One lesson as a standalone HTML page (nbconvert's lab template, stored outputs)."""
    exporter = exporter or html_exporter()
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body.replace("</head>", WIDGET_CSS + "\n</head>", 1)


def index_html(pages: list[Page], heading: str) -> str:
    from nbconvert.filters import markdown2html

    items = []
    for page in pages:
        extras = [f"{page.images} figure{'s' * (page.images != 1)}"]
        if page.widgets:
            extras.append(f"{page.widgets} widget{'s' * (page.widgets != 1)} (saved state)")
        items.append(f'<li><a class="lesson-title" href="{page.html.name}">'
                     f"{html.escape(page.title)}</a>{markdown2html(page.summary)}"
                     f'<div class="note">{", ".join(extras)}</div></li>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(heading)}</title><style>{CSS}</style>"
            '<script src="https://cdn.jsdelivr.net/npm/mathjax@2.7.9/MathJax.js?config='
            'TeX-AMS_CHTML-full" async></script>'
            '<script type="text/x-mathjax-config">MathJax.Hub.Config({tex2jax: {inlineMath: '
            "[['$','$']], processEscapes: true}});</script></head><body>"
            f"<h1>{html.escape(heading)}</h1><ol>{''.join(items)}</ol></body></html>\n")


def _heading() -> str:
    try:
        from importlib.metadata import metadata

        return metadata("coursekit")["Summary"] or "coursekit"
    except Exception:  # noqa: BLE001 - not installed: a plain heading will do
        return "coursekit: the lessons"


def build_site(notebooks: Path = NOTEBOOKS, out: Path = SITE) -> list[Page]:
    """Render every lesson in ``notebooks`` to ``out``/NN_topic.html and write
    ``out``/index.html; lesson pages left over from earlier builds are removed."""
    paths = lesson_notebooks(notebooks)
    if not paths:
        raise ValueError(f"notebooks: no lessons ({LESSON_GLOB}) in {notebooks}")
    out.mkdir(parents=True, exist_ok=True)
    pages, frozen_nbs = [], []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        title, summary = title_and_summary(nb)
        frozen, widgets, widget_pngs = freeze_widgets(nb)
        pages.append(Page(path, out / f"{path.stem}.html", title or path.stem, summary,
                          count_pngs(nb) + widget_pngs, widgets))
        frozen_nbs.append(frozen)
    exporter = html_exporter()
    for i, (page, nb) in enumerate(zip(pages, frozen_nbs, strict=True)):
        body = render_lesson(nb, page.title, exporter)
        nav = _nav(pages, i)
        body = re.sub(r"(<body[^>]*>)", lambda m, nav=nav: m.group(1) + nav, body, count=1)
        page.html.write_text(body, encoding="utf-8")
    keep = {p.html.name for p in pages} | {"index.html"}
    for stale in out.glob("[0-9][0-9]_*.html"):
        if stale.name not in keep:
            stale.unlink()
    (out / "index.html").write_text(index_html(pages, _heading()), encoding="utf-8")
    return pages

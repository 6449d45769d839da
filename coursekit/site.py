"""A static site of the course for reading without installing anything: every lesson rendered
with its stored outputs to HTML by nbconvert, and an index built from the lessons' own titles
and first paragraphs.

    coursekit site              # writes _site/index.html and _site/NN_topic.html

Nothing is executed: pages show what the committed notebooks store. A widget is frozen in its
saved state: its controls with their saved values (sliders as disabled range inputs) and the
figure its output area held, as plain HTML, so pages need no widget manager from a CDN.

Pages work with no network: the math is typeset by the MathJax 2.7 that the PyPI package
``jupyter-server-mathjax`` ships, copied into ``_site/mathjax/``, and no script is loaded
from another site. Every figure has an alt text: the one the figure stored when it was drawn
(``coursekit.plot.describe_figure``: panels, axes, ranges, legends), else one made from its
context (the lesson's section, the prose above the cell, a widget's saved control values).
"""

from __future__ import annotations

import copy
import html
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SITE = REPO / "_site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
MATHJAX_DIR = "mathjax"
MATHJAX_URL = f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
# nbconvert's lab template writes no alt attribute of its own: this one adds the stored alt.
ALT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
alt="{{ (output | get_metadata('alt', 'image/png')) or 'Figure.' | escape_html }}">
</div>
{%- endblock data_png %}
"""
# jupyter-server-mathjax ships only the STIX-Web fonts: say so, or MathJax looks for TeX fonts.
MATHJAX_FONTS = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web",
                                 imageFont: null}, messageStyle: "none"});
</script>"""
REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)

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
/* WCAG 2.1 AA contrast (≥ 4.5:1 on the code background #f5f5f5): the lab theme's prompts
   (#b0b0b0), numbers (#080), operators (#a2f) and comments (#408080) fall short. */
:root { --jp-mirror-editor-number-color: #006400; --jp-mirror-editor-operator-color: #7a1fb8;
        --jp-mirror-editor-meta-color: #7a1fb8; --jp-mirror-editor-comment-color: #2f5f5f;
        --jp-mirror-editor-atom-color: #3030c0; --jp-mirror-editor-bracket-color: #5c5c45;
        --jp-mirror-editor-quote-color: #006400; --jp-mirror-editor-hr-color: #5c5c5c;
        --jp-mirror-editor-keyword-color: #006400; --jp-mirror-editor-builtin-color: #006400;
        --jp-mirror-editor-error-color: #c00000; --jp-cell-prompt-not-active-font-color: #595959;
        --jp-cell-inprompt-font-color: #1f5f95; --jp-cell-outprompt-font-color: #9c4127; }
.jp-InputPrompt, .jp-OutputPrompt { color: #595959 !important; opacity: 1 !important; }
.highlight .c, .highlight .c1, .highlight .cm, .highlight .ch, .highlight .cs,
.highlight .cpf { color: #2f5f5f !important; }
.highlight .m, .highlight .mf, .highlight .mi, .highlight .mh, .highlight .mo,
.highlight .il { color: #006400 !important; }
.highlight .o, .highlight .ow { color: #7a1fb8 !important; }
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


def stored_alt(output: dict) -> str:
    """The alt text a figure stored with its PNG (``metadata["image/png"]["alt"]``), or ""."""
    meta = output.get("metadata", {}).get("image/png", {})
    return str(meta.get("alt", "")) if isinstance(meta, dict) else ""


def _output_html(output: dict, alt: str = "") -> str:
    data = output.get("data", {})
    if "image/png" in data:
        png = "".join(data["image/png"]) if isinstance(data["image/png"], list) else \
            data["image/png"]
        text = stored_alt(output) or alt or "figure"
        return f'<img src="data:image/png;base64,{png.strip()}" alt="{html.escape(text)}">'
    if "image/svg+xml" in data:
        return "".join(data["image/svg+xml"])
    if "text/html" in data:
        return "".join(data["text/html"])
    text = data.get("text/plain") or output.get("text") or "\n".join(output.get("traceback", []))
    text = "".join(text) if isinstance(text, list) else text
    return f"<pre>{html.escape(text)}</pre>" if text else ""


def control_values(model_id: str, state: dict, _depth: int = 0) -> list[str]:
    """The saved settings of a widget's controls as "description = value" strings."""
    model = _model(state, model_id)
    if model is None or _depth > 20:
        return []
    name, s = model.get("model_name", ""), model.get("state", {})
    if name in BOXES:
        return [v for child in s.get("children", [])
                for v in control_values(child, state, _depth + 1)]
    if name in SLIDERS | CHOICES | {"CheckboxModel", "ToggleButtonModel"}:
        shown = re.sub(r"<[^>]+>", "", _control_html(name, s) or "").strip()
        label = str(s.get("description", "")).strip()
        value = shown.removeprefix(label).strip() if label else shown
        return [f"{label} = {value}" if label else value]
    return []


def widget_snapshot(model_id: str, state: dict, _depth: int = 0,
                    alt: str = "") -> tuple[str, int]:
    """Static HTML for a widget in its saved state, and how many PNGs it holds: boxes become
    divs, controls show their saved values, Output widgets their stored outputs (figures with
    ``alt``, or by default a text naming the saved control values)."""
    model = _model(state, model_id)
    if model is None or _depth > 20:
        return "", 0
    if _depth == 0 and not alt:
        values = control_values(model_id, state)
        alt = ("Widget figure as saved, with " + ", ".join(values)) if values else ""
    name, s = model.get("model_name", ""), model.get("state", {})
    if name in BOXES:
        parts = [widget_snapshot(child, state, _depth + 1, alt)
                 for child in s.get("children", [])]
        flex = "ck-controls" if name == "HBoxModel" else "ck-box"
        return (f'<div class="{flex}">' + "".join(p for p, _ in parts) + "</div>",
                sum(n for _, n in parts))
    if name == "OutputModel":
        outputs = s.get("outputs", [])
        pngs = sum("image/png" in o.get("data", {}) for o in outputs)
        return "".join(_output_html(o, alt) for o in outputs), pngs
    return _control_html(name, s) or "", 0


def freeze_widgets(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int, int]:
    """A copy of ``nb`` whose widget outputs are static HTML snapshots of the saved widget
    state (and without the widget state itself, so nbconvert adds no widget-manager script).
    Returns (notebook, widgets frozen, PNGs inside them)."""
    nb = copy.deepcopy(nb)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    frozen = pngs = 0
    contexts = figure_contexts(nb)
    for cell, context in zip(nb.cells, contexts, strict=True):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            model_id = view.get("model_id", "")
            values = control_values(model_id, state)
            alt = " ".join(filter(None, [
                ("Widget figure as saved, with " + ", ".join(values) + ".") if values else
                "Widget figure as saved.", context]))
            snapshot, n = widget_snapshot(model_id, state, alt=alt)
            if not snapshot:
                snapshot = '<p class="ck-note">Interactive widget: run the notebook to use it.</p>'
            note = ('<p class="ck-note">Interactive widget, shown as saved; run the notebook '
                    "(or <code>coursekit present</code>) to move its controls.</p>")
            output.data = {"text/html": f'<div class="ck-widget">{snapshot}{note}</div>',
                           "text/plain": "widget"}
            frozen, pngs = frozen + 1, pngs + n
    nb.metadata.pop("widgets", None)
    return nb, frozen, pngs


def _plain(markdown: str) -> str:
    """Markdown prose as plain text for an alt attribute (math and markup reduced)."""
    from coursekit.plot import plain_text

    text = re.sub(r"\$\$.*?\$\$", " (formula) ", markdown, flags=re.S)
    text = re.sub(r"\$[^$]*\\begin[^$]*\$", " (matrix) ", text)
    text = re.sub(r"\$([^$]+)\$", lambda m: plain_text(m.group(1)), text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*`#>|]", "", text)
    return " ".join(text.split())


def figure_contexts(nb: nbformat.NotebookNode) -> list[str]:
    """For each cell, the context a figure it draws is shown in: the lesson's section heading
    and the last paragraph of prose above the cell (which, in these lessons, says what the
    figure is for). Empty for Markdown cells."""
    contexts, section, prose = [], "", ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            contexts.append("")
            for block in re.split(r"\n\s*\n", cell.source.strip()):
                heading = re.match(r"#+\s+(.+)", block.strip())
                if heading:
                    section = _plain(heading.group(1))
                    rest = block.strip()[heading.end():].strip()
                    prose = _plain(rest) if rest else ""
                elif block.strip() and not block.strip().startswith("$$"):
                    prose = _plain(block)
            continue
        parts = []
        if section:
            parts.append(f"Section “{section}”.")
        if prose:
            parts.append(prose if len(prose) <= 400 else prose[:397] + "…")
        contexts.append(" ".join(parts))
    return contexts


def describe_figures(nb: nbformat.NotebookNode) -> int:
    """Give every PNG output of ``nb`` (in place) an alt text: the stored description of what
    it draws when there is one, joined to its context (section and prose above). Returns how
    many figures were described."""
    described = 0
    for cell, context in zip(nb.cells, figure_contexts(nb), strict=True):
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            meta = output.setdefault("metadata", {}).setdefault("image/png", {})
            drawn = stored_alt(output)
            meta["alt"] = " ".join(filter(None, [drawn, context])) or "Figure."
            described += 1
    return described


def copy_mathjax(out: Path) -> Path:
    """Copy the MathJax that ``jupyter-server-mathjax`` ships to ``out``/mathjax (skipped when
    the same version is already there), so the pages typeset math with no network."""
    try:
        import jupyter_server_mathjax
    except ImportError as exc:
        raise RuntimeError("coursekit site needs the package jupyter-server-mathjax (MathJax "
                           "for offline pages): pip install jupyter-server-mathjax") from exc
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    dest = out / MATHJAX_DIR
    marker = dest / "MathJax.js"
    if not (marker.is_file() and marker.read_bytes() == (source / "MathJax.js").read_bytes()):
        shutil.copytree(source, dest, dirs_exist_ok=True)
    return dest


def without_remote_scripts(page: str) -> str:
    """The page with every <script src="http…"> removed (nbconvert's template adds require.js
    from a CDN; nothing on these pages needs it)."""
    return REMOTE_SCRIPT.sub("", page)


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
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    loader = DictLoader({"coursekit.html.j2": ALT_TEMPLATE})
    return HTMLExporter(template_name="lab", template_file="coursekit.html.j2",
                        extra_loaders=[loader], filters={"clean_html": _clean_html},
                        mathjax_url=MATHJAX_URL)


def render_lesson(nb: nbformat.NotebookNode, title: str, exporter=None) -> str:
    """One lesson as a standalone HTML page (nbconvert's lab template, stored outputs)."""
    exporter = exporter or html_exporter()
    nb = copy.deepcopy(nb)
    describe_figures(nb)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    head = WIDGET_CSS + "\n" + MATHJAX_FONTS + "\n</head>"
    return without_remote_scripts(body.replace("</head>", head, 1))


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
            f'<script src="{MATHJAX_URL}" async></script>'
            '<script type="text/x-mathjax-config">MathJax.Hub.Config({tex2jax: {inlineMath: '
            "[['$','$']], processEscapes: true}});</script>"
            f"{MATHJAX_FONTS}</head><body>"
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
    copy_mathjax(out)
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

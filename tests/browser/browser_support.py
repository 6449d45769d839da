"""Servers, kernel messages and JupyterLab actions for the real-browser tests.

Every server runs from this interpreter's environment (the project's .venv) on a free localhost
port, with its own Jupyter config/data/runtime dirs under a temp dir, and is stopped by its own
PID. Kernel traffic is read off the page's websockets, so a traceback raised by a widget
callback (which JupyterLab sends to its log console, not to the cell) is still seen.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit.present import LABEXTENSIONS

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
# Debian's Chromium; COURSEKIT_CHROMIUM points elsewhere (another distro's path).
CHROMIUM = Path(os.environ.get("COURSEKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = (f"Chromium not found at {CHROMIUM}: install it with "
                "`apt-get install chromium` to run the browser tests")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    if not CHROMIUM.exists():
        return INSTALL_HINT
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("the playwright Python package is missing: `.venv/bin/pip install playwright` "
                "(never `playwright install`; the tests drive /usr/bin/chromium)")
    return None


MISSING = browser_missing()
REQUIRED = os.environ.get("COURSEKIT_REQUIRE_BROWSER") == "1"  # set by .ci/run
# A code cell showing a widget: our explorers, or ipywidgets' interact family.
WIDGET_CALL = re.compile(r"\b(?:explorer|interact|interactive|interact_manual)\s*\(")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def widget_lessons(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Lessons (``NN_topic.ipynb``) with at least one code cell that shows a widget."""
    found = []
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any(c.cell_type == "code" and WIDGET_CALL.search(c.source) for c in nb.cells):
            found.append(path)
    return found


def free_port() -> int:
    """A localhost TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(base: Path) -> dict[str, str]:
    """The environment for a server: own config/data/runtime/IPython dirs under ``base``,
    this venv's bin first on PATH (kernels then run the venv's python)."""
    dirs = {name: base / name for name in ("config", "data", "runtime", "ipython")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_DATA_DIR=str(dirs["data"]),
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), IPYTHONDIR=str(dirs["ipython"]),
               PYTHONUNBUFFERED="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    env.pop("COURSEKIT_STYLE", None)
    return env


@dataclass
class Server:
    """A Jupyter-family server process we started (JupyterLab or ``coursekit present``)."""

    process: subprocess.Popen
    port: int
    base: Path  # temp dir holding its config/data/runtime dirs and its log
    token: str = ""
    log_path: Path = field(default=Path("/dev/null"))

    def url(self, path: str = "", **query: str) -> str:
        params = dict(query, token=self.token) if self.token else dict(query)
        qs = "&".join(f"{k}={v}" if v != "" else k for k, v in params.items())
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}" + (f"?{qs}" if qs else "")

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def wait_ready(self, path: str | None, timeout: float) -> None:
        """Poll ``path`` until it answers 200 (``None``: until the port accepts connections,
        for Voilà, where a GET runs the notebook); fail with the log if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode} before it "
                                   f"answered:\n{self.log_tail()}")
            try:
                if path is None:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=5):
                        return
                with urllib.request.urlopen(self.url(path), timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server did not answer {path} within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def kernel_pids(self) -> list[int]:
        """PIDs of live processes whose command line names a file in our runtime dirs: the
        kernels this server started (their connection files live there)."""
        marker = str(self.base).encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.process.pid:
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline and b"kernel" in cmdline:
                pids.append(int(entry.name))
        return pids

    def stop(self, timeout: float = 30.0) -> list[int]:
        """SIGTERM our server by PID (it shuts its kernels down), SIGKILL if it hangs; then
        kill any kernel it left behind, by PID. Returns the PIDs of such stray kernels."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        strays = self.kernel_pids()
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return strays


def _start(argv: list[str], base: Path, env: dict[str, str], cwd: Path, port: int,
           token: str) -> Server:
    log_path = base / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    return Server(process=process, port=port, base=base, token=token, log_path=log_path)


LAB_SETTINGS = {
    # Never write back into the copied notebooks behind the test's back.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # Start the notebook's own kernel (python3, the venv's) without asking.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "autoStartDefaultKernel": True},
    # No news/update toast over the notebook, and no request to the internet.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False, "fetchNews": "false"},
}


def start_lab(base: Path, notebooks: Iterable[Path], timeout: float = 180.0) -> Server:
    """JupyterLab on a free port with a random token, serving copies of ``notebooks``."""
    root, settings = base / "root", base / "settings"
    root.mkdir(parents=True)
    for nb in notebooks:
        shutil.copy2(nb, root / nb.name)
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            # coursekit's front-end extension, as `make lab` loads it
            f"--LabApp.extra_labextensions_path={LABEXTENSIONS}"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    server = _start(argv, base, jupyter_env(base), root, port, token)
    try:
        server.wait_ready("api/status", timeout)
    except RuntimeError:
        server.stop()
        raise
    return server


def start_present(base: Path, lesson: str, timeout: float = 180.0,
                  extra: Iterable[str] = ()) -> Server:
    """``coursekit present LESSON`` (Voilà) on a free port, as a student's command would."""
    port = free_port()
    argv = [sys.executable, "-m", "coursekit.cli", "present", lesson, f"--port={port}",
            "--no-browser", *extra]
    server = _start(argv, base, jupyter_env(base), REPO, port, token="")
    try:
        server.wait_ready(None, timeout)
    except RuntimeError:
        server.stop()
        raise
    return server


# ---------------------------------------------------------------------------- kernel traffic


def parse_frame(payload: str | bytes) -> dict | None:
    """One websocket frame of the Jupyter kernel protocol as a message dict (None if it is
    not one, e.g. a bare buffer). Handles the JSON protocol, its binary-buffer variant and
    jupyter_server's v1 binary protocol."""
    try:
        if isinstance(payload, str):
            return json.loads(payload)
        data = bytes(payload)
        count = int.from_bytes(data[:8], "little")
        if 2 < count < 64:  # v1: offsets table, then channel, header, parent, metadata, content
            offsets = [int.from_bytes(data[8 * (i + 1):8 * (i + 2)], "little")
                       for i in range(count)]
            parts = [data[offsets[i]:offsets[i + 1]] for i in range(count - 1)]
            return {"channel": parts[0].decode(), "header": json.loads(parts[1]),
                    "parent_header": json.loads(parts[2]), "content": json.loads(parts[4])}
        nbufs = int.from_bytes(data[:4], "big")  # legacy: JSON message followed by buffers
        offsets = [int.from_bytes(data[4 * (i + 1):4 * (i + 2)], "big") for i in range(nbufs)]
        return json.loads(data[offsets[0]:offsets[1]])
    except (ValueError, IndexError, UnicodeDecodeError, KeyError):
        return None


@dataclass
class Message:
    direction: str  # "sent" (browser -> kernel) or "received"
    channel: str
    msg_type: str
    msg_id: str
    parent_id: str
    parent_type: str
    content: dict

    def problem(self) -> str | None:
        """The error text if this is a traceback or stderr output, else None."""
        if self.direction != "received":
            return None
        if self.msg_type == "error":
            tb = "\n".join(self.content.get("traceback", []))
            return ANSI.sub("", tb) or f"{self.content.get('ename')}: {self.content.get('evalue')}"
        if self.msg_type == "stream" and self.content.get("name") == "stderr":
            return "stderr: " + self.content.get("text", "")
        if self.msg_type == "execute_reply" and self.content.get("status") == "error":
            return f"{self.content.get('ename')}: {self.content.get('evalue')}"
        return None


class KernelTraffic:
    """Every kernel message crossing the page's websockets, in order."""

    def __init__(self, page) -> None:
        self.messages: list[Message] = []
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        ws.on("framesent", lambda payload: self._record("sent", payload))
        ws.on("framereceived", lambda payload: self._record("received", payload))

    def _record(self, direction: str, payload: str | bytes) -> None:
        msg = parse_frame(payload)
        if not isinstance(msg, dict) or "header" not in msg:
            return
        header, parent = msg.get("header") or {}, msg.get("parent_header") or {}
        self.messages.append(Message(direction, msg.get("channel", ""),
                                     header.get("msg_type", ""), header.get("msg_id", ""),
                                     parent.get("msg_id", ""), parent.get("msg_type", ""),
                                     msg.get("content") or {}))

    def mark(self) -> int:
        return len(self.messages)

    def since(self, mark: int) -> list[Message]:
        return self.messages[mark:]

    def requests(self, mark: int, msg_type: str) -> set[str]:
        return {m.msg_id for m in self.since(mark) if m.direction == "sent"
                and m.msg_type == msg_type}

    def finished(self, mark: int, msg_type: str) -> tuple[set[str], set[str]]:
        """(sent request ids of ``msg_type`` since mark, those the kernel finished: idle)."""
        sent = self.requests(mark, msg_type)
        done = {m.parent_id for m in self.since(mark) if m.msg_type == "status"
                and m.content.get("execution_state") == "idle" and m.parent_id in sent}
        return sent, done

    def problems(self, mark: int, parents: set[str] | None = None) -> list[str]:
        """Tracebacks and stderr since mark (only those answering ``parents`` if given)."""
        return [text for m in self.since(mark)
                if (parents is None or m.parent_id in parents) and (text := m.problem())]


# ------------------------------------------------------------------------- JupyterLab pages

MENU = '.lm-MenuBar-itemLabel:text-is("{}")'
MENU_ITEM = '.lm-Menu-itemLabel:text-is("{}")'
IMAGES_JS = """box => Array.from(box.querySelectorAll('.widget-output img')).map(i => i.src)
    .join('|')"""
CHANGED_JS = """([box, before]) => {
    const now = Array.from(box.querySelectorAll('.widget-output img')).map(i => i.src).join('|');
    return now.length > 0 && now !== before;
}"""


class Lab:
    """One JupyterLab page, reused lesson after lesson: a page load costs ~7 s of Chromium
    CPU, opening a notebook in a loaded page ~1 s."""

    def __init__(self, browser, server: Server, timeout_ms: float = 60_000) -> None:
        self.browser, self.server, self.timeout_ms = browser, server, timeout_ms
        self.context = self.page = self.traffic = None
        self.reload()

    def reload(self) -> None:
        """A fresh page (and browser context) with JupyterLab loaded and its file list shown."""
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(self.timeout_ms)
        self.page = self.context.new_page()
        self.traffic = KernelTraffic(self.page)
        self.page.goto(self.server.url("lab", reset=""), timeout=3 * self.timeout_ms)
        self.page.locator(".jp-DirListing-item").first.wait_for(timeout=3 * self.timeout_ms)

    def menu(self, menu: str, item: str) -> None:
        """Click ``menu`` in the menu bar, then its ``item`` once that item is enabled."""
        self.page.click(MENU.format(menu))
        self.page.click(f".lm-Menu-item:not(.lm-mod-disabled) {MENU_ITEM.format(item)}")

    def open_notebook(self, name: str):
        """Open ``name`` by File > Open from Path…; returns the notebook panel once its kernel
        is idle."""
        mark = self.traffic.mark()
        self.menu("File", "Open from Path…")
        field_ = self.page.locator(".jp-Dialog input")
        field_.fill(name)
        field_.press("Enter")
        panel = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
        panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            timeout=3 * self.timeout_ms)
        deadline = time.monotonic() + 3 * self.timeout_ms / 1000
        while not any(m.msg_type == "kernel_info_reply" for m in self.traffic.since(mark)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: the kernel never answered kernel_info")
            self.page.wait_for_timeout(200)
        return panel

    def run_all(self, code_cells: int, timeout_s: float = 300.0) -> list[str]:
        """Run > Run All Cells, wait until the browser has sent one execute request per
        non-empty code cell and the kernel has answered each. Returns the tracebacks raised
        meanwhile (after one, the kernel aborts the queued cells, answering them at once)."""
        mark = self.traffic.mark()
        for _ in range(3):  # the click may land before the notebook is ready to run
            self.menu("Run", "Run All Cells")
            for _ in range(40):
                if self.traffic.requests(mark, "execute_request"):
                    break
                self.page.wait_for_timeout(250)
            else:
                self.page.keyboard.press("Escape")
                continue
            break
        deadline = time.monotonic() + timeout_s
        while True:
            sent = self.traffic.requests(mark, "execute_request")
            replied = {m.parent_id for m in self.traffic.since(mark)
                       if m.msg_type == "execute_reply"}
            if len(sent) >= code_cells and sent <= replied:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"Run All Cells: {len(sent - replied)} of {len(sent)} "
                                     f"cells unfinished after {timeout_s:.0f} s")
            self.page.wait_for_timeout(250)
        return [p for p in self.traffic.problems(mark) if not p.startswith("stderr:")]

    def close_notebook(self) -> None:
        """File > Close and Shut Down Notebook…, answering its dialogs (confirm, discard the
        unsaved run); then make sure through the REST API that no session is left."""
        try:
            self.menu("File", "Close and Shut Down Notebook…")
            panels = self.page.locator(".jp-NotebookPanel")
            dialogs = self.page.locator(".jp-Dialog")
            deadline = time.monotonic() + self.timeout_ms / 1000
            while panels.count() and time.monotonic() < deadline:
                if dialogs.count():
                    buttons = dialogs.first.locator("button")
                    labels = [b.strip() for b in buttons.all_text_contents()]
                    wanted = next((w for w in ("Ok", "Shut Down", "Discard", "Don't Save")
                                   if w in labels), None)
                    if wanted is None:
                        break
                    buttons.nth(labels.index(wanted)).click()
                self.page.wait_for_timeout(100)
        finally:
            self.shutdown_sessions()

    def shutdown_sessions(self) -> None:
        for session in self.server.api("GET", "api/sessions") or []:
            self.server.api("DELETE", f"api/sessions/{session['id']}")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))


@dataclass
class SliderMove:
    """One keyboard move of one slider and what the page did."""

    slider: str
    how: str  # "Home", "End" or "type 0.316"
    readout_before: str
    readout_after: str
    figure_changed: bool | None  # None: the value did not change, so no redraw was due
    seconds: float
    problems: list[str]

    def __str__(self) -> str:
        changed = {True: "figure redrawn", False: "FIGURE UNCHANGED",
                   None: "already there"}[self.figure_changed]
        return (f"{self.slider!r:28} {self.how:>12}: {self.readout_before:>9} -> "
                f"{self.readout_after:<9} {changed} ({self.seconds:.1f} s)"
                + "".join(f"\n      ! {p}" for p in self.problems))


def _middle(handle, low_readout: str, high_readout: str) -> str:
    """A value between the slider's ends to type into its readout: the midpoint, in log space
    for a FloatLogSlider (its handle's aria values are exponents, not the readout values)."""
    a_lo, a_hi = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
    lo, hi = float(low_readout), float(high_readout)
    is_log = abs(a_lo - lo) > 1e-3 * max(1.0, abs(lo)) and abs(10 ** a_lo - lo) <= 0.02 * lo
    if is_log:
        return f"{10 ** ((a_lo + a_hi) / 2):.4g}"
    middle = (lo + hi) / 2
    if re.fullmatch(r"-?\d+", low_readout) and re.fullmatch(r"-?\d+", high_readout):
        return str(round(middle))
    return f"{middle:.4g}"


def move_slider(page, traffic: KernelTraffic, box, slider, label: str, how: str,
                timeout_ms: float) -> SliderMove:
    """Move one slider by keyboard (Home/End on the focused handle, or typing a value into the
    readout and Enter), then wait for the kernel to finish every message the move sent and
    for the figure to be redrawn if the value changed."""
    handle, readout = slider.locator(".noUi-handle"), slider.locator(".widget-readout")
    before_readout = readout.text_content().strip()
    before_images = box.evaluate(IMAGES_JS)
    mark, start = traffic.mark(), time.monotonic()
    if how in ("Home", "End"):
        handle.focus()
        handle.press(how)
    else:
        readout.click()
        readout.press("Control+a")
        readout.type(how.removeprefix("type "))
        readout.press("Enter")
    after_readout = readout.text_content().strip()
    changed = None
    if after_readout != before_readout:
        try:
            page.wait_for_function(CHANGED_JS, arg=[box.element_handle(), before_images],
                                   timeout=timeout_ms)
            changed = True
        except Exception:  # noqa: BLE001 - reported as a finding below
            changed = False
    deadline = time.monotonic() + timeout_ms / 1000
    while True:  # every comm message this move sent has been handled (kernel went idle)
        sent, done = traffic.finished(mark, "comm_msg")
        if sent <= done or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    problems = traffic.problems(mark, sent)
    problems += [f"stderr in the widget's output: {t}" for t in box.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).all_text_contents()]
    if sent - done:
        problems.append(f"kernel still busy with {len(sent - done)} slider message(s) after "
                        f"{timeout_ms / 1000:.0f} s")
    return SliderMove(label, how, before_readout, after_readout, changed,
                      time.monotonic() - start, problems)


def exercise_sliders(page, traffic: KernelTraffic, box, timeout_ms: float,
                     shots: str | None = None) -> list[SliderMove]:
    """Every slider in ``box`` to its minimum (Home), maximum (End) and a middle value (typed
    into its readout). With ``shots`` (a path prefix), the widget is photographed after each
    move: ``{shots}-s{slider}-{min|max|mid}.png``."""
    moves = []
    sliders = box.locator(".widget-slider")
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        slider.scroll_into_view_if_needed()
        label = slider.locator(".widget-label").text_content().strip() or f"slider {i}"
        for end, how in (("min", "Home"), ("max", "End"), ("mid", None)):
            if how is None:
                how = "type " + _middle(slider.locator(".noUi-handle"),
                                        moves[-2].readout_after, moves[-1].readout_after)
            moves.append(move_slider(page, traffic, box, slider, label, how, timeout_ms))
            if shots:
                box.screenshot(path=f"{shots}-s{i}-{end}.png")
    return moves


# ---------------------------------------------------------------------------- accessibility

AXE = Path(os.environ.get("COURSEKIT_AXE",
                          REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"))
AXE_HINT = (f"axe-core not found at {AXE}: install it with `make axe` "
            "(npm install --prefix .cache/npm axe-core)")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN_JS = """async ([tags, scope]) => {
    const context = scope ? document.querySelector(scope) : document;
    const result = await axe.run(context, {runOnly: {type: 'tag', values: tags}});
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.length, target: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical"),
                   scope: str | None = None) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page (or inside the element ``scope``
    selects), those of the given impacts."""
    if not AXE.is_file():
        import pytest

        if REQUIRED:
            pytest.fail(f"COURSEKIT_REQUIRE_BROWSER=1 but {AXE_HINT}", pytrace=False)
        pytest.skip(AXE_HINT)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(AXE_RUN_JS, [AXE_TAGS, scope]) if v["impact"] in impacts]


def format_violations(violations: list[dict]) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}) ×{v['nodes']}: {v['help']} e.g. {v['target']}"
                     for v in violations)


HANDLE_NAMES_JS = """box => Array.from(box.querySelectorAll('.widget-slider')).map(s => [
    (s.querySelector('.widget-label') || {}).textContent || '',
    Array.from(s.querySelectorAll('.noUi-handle')).map(h => h.getAttribute('aria-label'))])"""


def misnamed_handles(box) -> list[tuple[str, list]]:
    """Sliders in ``box`` whose handle is not named by the slider's visible label, as
    (label, handle names); empty when every handle (role=slider) reads as its label."""
    return [(label, names) for label, names in box.evaluate(HANDLE_NAMES_JS)
            if not label.strip() or names != [label.strip()]]


def check_accessibility(page, where: str, scope: str | None = None) -> None:
    """Fail on any serious or critical WCAG 2.1 A/AA violation axe-core finds. JupyterLab's and
    ipywidgets' own gaps (unnamed slider handles and editors, the cells of the notebook's feed,
    the collapse-heading button, images without alt) are closed by coursekit's front-end
    extension (coursekit/labextensions/coursekit-a11y), which both servers here load."""
    violations = axe_violations(page, scope=scope)
    assert not violations, f"{where}: " + format_violations(violations)

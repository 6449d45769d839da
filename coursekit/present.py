"""Serve one lesson as a live lecture dashboard with Voilà: code hidden, widgets live, figures
in the projector look.

    coursekit present 05            # notebooks/05_*.ipynb at http://127.0.0.1:8866/

Voilà runs every cell in a fresh kernel when the page is opened, shows the outputs without the
code and keeps the widgets connected to that kernel. The kernel inherits
``COURSEKIT_STYLE=lecture`` from this process, so ``coursekit.plot.use_style`` gives every
figure the lecture look (bigger fonts, thicker lines) whatever the notebook asks for.
Stopping the process (Ctrl-C, or SIGTERM to its PID) shuts its kernels down, and a page that
is closed gives its kernel back: a kernel with no page connected is shut down once it has been
idle for ``cull_after`` seconds (120 by default), so reloading a lesson all morning does not
pile up kernels.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
DEFAULT_PORT = 8866  # Voilà's usual port
DEFAULT_CULL_AFTER = 120.0  # seconds a kernel with no page connected stays alive
# coursekit's front-end extension (accessible names for slider handles and more, issue 19),
# shipped inside the package; JupyterLab (`make lab`) and Voilà load it from here.
LABEXTENSIONS = Path(__file__).resolve().parent / "labextensions"


def find_lesson(lesson: str, notebooks: Path = NOTEBOOKS) -> Path:
    """The notebook meant by ``lesson``: a lesson number ("05", "5"), a file stem
    ("05_momentum"), or a path to an .ipynb file."""
    path = Path(lesson)
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise ValueError(f"lesson {lesson!r}: no such notebook file")
        return path.resolve()
    lessons = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if re.fullmatch(r"\d{1,2}", lesson):
        matches = [p for p in lessons if p.name.startswith(f"{int(lesson):02d}_")]
    else:
        matches = [p for p in lessons if p.stem == lesson]
    if len(matches) != 1:
        known = ", ".join(p.stem for p in lessons) or f"none in {notebooks}"
        raise ValueError(f"lesson {lesson!r} matches {len(matches)} notebooks; "
                         f"give a number or one of: {known}")
    return matches[0]


def voila_argv(notebook: Path, port: int = DEFAULT_PORT, ip: str = "127.0.0.1",
               open_browser: bool = True, cull_after: float = DEFAULT_CULL_AFTER) -> list[str]:
    """Voilà's command-line arguments for serving ``notebook`` as a dashboard on ip:port.

    The port is exact (no silent fallback to a neighbour), tracebacks are shown (a lecturer
    wants to see what broke), the code cells are stripped from the page, and the kernels'
    connection files go to Jupyter's runtime dir (``JUPYTER_RUNTIME_DIR``) instead of /tmp.
    Jupyter Server's culler shuts down a kernel that no page is connected to after
    ``cull_after`` seconds idle (checked every quarter of that); a connected kernel is never
    culled, however long the lecturer talks, and neither is one no page has connected to yet
    (Voilà runs the lesson before the browser connects: :mod:`coursekit.present_kernels`).
    """
    from jupyter_core.paths import jupyter_runtime_dir

    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535; got {port}")
    if not cull_after >= 1:
        raise ValueError(f"cull_after must be at least 1 second; got {cull_after}")
    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True)
    argv = [str(notebook), f"--port={port}", f"--Voila.ip={ip}", "--Voila.port_retries=0",
            f"--Voila.connection_dir_root={runtime}", "--strip_sources=True",
            "--show_tracebacks=True", "--theme=light",
            f"--VoilaConfiguration.extra_labextensions_path={LABEXTENSIONS}",
            "--VoilaConfiguration.multi_kernel_manager_class="
            "coursekit.present_kernels.ClosedPageKernelManager",
            f"--MappingKernelManager.cull_idle_timeout={int(cull_after)}",
            f"--MappingKernelManager.cull_interval={max(1, int(cull_after) // 4)}",
            "--MappingKernelManager.cull_connected=False"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def present(lesson: str, port: int = DEFAULT_PORT, ip: str = "127.0.0.1",
            open_browser: bool = True, notebooks: Path = NOTEBOOKS,
            cull_after: float = DEFAULT_CULL_AFTER) -> int:
    """Serve ``lesson`` with Voilà in this process until it is interrupted; returns 0."""
    notebook = find_lesson(lesson, notebooks)
    argv = voila_argv(notebook, port, ip, open_browser, cull_after)
    os.environ["COURSEKIT_STYLE"] = "lecture"  # inherited by the kernels Voilà starts
    from .plot import FIGURE_HTML

    os.environ[FIGURE_HTML] = "1"  # figures as <img alt="…">: see coursekit.plot
    from voila.app import Voila

    print(f"coursekit present: {notebook.name} at http://{ip}:{port}/ (lecture style; "
          "Ctrl-C stops it)", flush=True)
    Voila.launch_instance(argv=argv)
    return 0

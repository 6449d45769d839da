"""coursekit.present without a browser: which notebook a lesson name means, Voilà's arguments,
and the lecture style handed to the kernels. (tests/browser/test_voila_present.py serves a lesson
for real.)"""

from __future__ import annotations

import matplotlib as mpl
import pytest

from coursekit import plot
from coursekit.cli import build_parser
from coursekit.present import LABEXTENSIONS, NOTEBOOKS, find_lesson, present, voila_argv


@pytest.fixture
def notebooks(tmp_path):
    for name in ("02_one_dimension.ipynb", "05_momentum.ipynb", "12_curvature.ipynb",
                 "notes.ipynb"):
        (tmp_path / name).write_text("{}")
    return tmp_path


@pytest.mark.parametrize("lesson", ["5", "05", "05_momentum"])
def test_find_lesson_accepts_number_or_stem(notebooks, lesson):
    assert find_lesson(lesson, notebooks) == notebooks / "05_momentum.ipynb"


def test_find_lesson_accepts_a_path(notebooks):
    path = notebooks / "notes.ipynb"
    assert find_lesson(str(path), notebooks) == path.resolve()


@pytest.mark.parametrize("lesson", ["7", "momentum", "5_momentum", "123"])
def test_find_lesson_refuses_unknown_lessons_and_lists_the_known_ones(notebooks, lesson):
    with pytest.raises(ValueError, match=rf"lesson '{lesson}' matches 0 .*05_momentum"):
        find_lesson(lesson, notebooks)


def test_find_lesson_refuses_an_ambiguous_number(notebooks):
    (notebooks / "05_momentum_extra.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="matches 2 notebooks"):
        find_lesson("05", notebooks)


def test_find_lesson_refuses_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such notebook file"):
        find_lesson(str(tmp_path / "nope.ipynb"), tmp_path)


def test_every_repo_lesson_resolves_by_its_number():
    lessons = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert lessons, "no lessons in notebooks/"
    for path in lessons:
        assert find_lesson(path.name[:2]) == path


def test_voila_argv_hides_code_pins_the_port_and_shows_tracebacks(tmp_path):
    argv = voila_argv(tmp_path / "05_x.ipynb", port=9123, ip="0.0.0.0", open_browser=False)
    assert argv[0] == str(tmp_path / "05_x.ipynb")
    for flag in ("--port=9123", "--Voila.ip=0.0.0.0", "--Voila.port_retries=0",
                 "--strip_sources=True", "--show_tracebacks=True", "--no-browser"):
        assert flag in argv
    assert "--no-browser" not in voila_argv(tmp_path / "x.ipynb")


def test_voila_argv_culls_kernels_whose_page_is_gone_but_never_a_connected_one(tmp_path):
    argv = voila_argv(tmp_path / "x.ipynb", cull_after=20)
    assert "--MappingKernelManager.cull_idle_timeout=20" in argv
    assert "--MappingKernelManager.cull_interval=5" in argv
    assert "--MappingKernelManager.cull_connected=False" in argv
    assert ("--VoilaConfiguration.multi_kernel_manager_class="
            "coursekit.present_kernels.ClosedPageKernelManager") in argv
    assert "--MappingKernelManager.cull_idle_timeout=120" in voila_argv(tmp_path / "x.ipynb")
    with pytest.raises(ValueError, match="cull_after must be at least 1 second; got 0"):
        voila_argv(tmp_path / "x.ipynb", cull_after=0)


def test_voila_loads_coursekits_front_end_extension_as_jupyter_finds_it(tmp_path):
    """The extension naming slider handles (and more, issue 19) is found by the same lookup
    JupyterLab and Voilà use for prebuilt extensions, with its entry script in place."""
    import shutil
    import subprocess

    from jupyterlab_server.config import get_federated_extensions

    assert f"--VoilaConfiguration.extra_labextensions_path={LABEXTENSIONS}" in voila_argv(
        tmp_path / "x.ipynb")
    found = get_federated_extensions([str(LABEXTENSIONS)])
    assert list(found) == ["coursekit-a11y"]
    build = found["coursekit-a11y"]["jupyterlab"]["_build"]
    entry = LABEXTENSIONS / "coursekit-a11y" / build["load"]
    assert entry.is_file() and build["extension"] == "./extension"
    if shutil.which("node"):  # a syntax error would only show in the browser's console
        subprocess.run(["node", "--check", str(entry)], check=True)


def test_a_kernel_is_culled_only_after_a_page_connected_to_it(monkeypatch):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    from coursekit.present_kernels import ClosedPageKernelManager

    culled = []

    async def parent_cull(self, kernel_id):
        culled.append(kernel_id)

    monkeypatch.setattr(AsyncMappingKernelManager, "cull_kernel_if_idle", parent_cull)
    manager = ClosedPageKernelManager(cull_idle_timeout=1)
    manager._kernel_connections.update(loading=0, closed=0)
    manager.notify_connect("closed")
    manager.notify_disconnect("closed")
    # a fresh thread: an earlier test in this worker (nbval, Playwright) may have left an event
    # loop running in the main thread, where asyncio.run refuses to start
    with ThreadPoolExecutor(1) as thread:
        for kernel_id in ("loading", "closed"):
            thread.submit(asyncio.run, manager.cull_kernel_if_idle(kernel_id)).result()
    assert culled == ["closed"]


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_voila_argv_refuses_impossible_ports(tmp_path, port):
    with pytest.raises(ValueError, match=f"port must be in 1..65535; got {port}"):
        voila_argv(tmp_path / "x.ipynb", port=port)


def test_present_hands_the_lecture_style_to_voila_kernels(monkeypatch, notebooks):
    """The kernels inherit os.environ; with COURSEKIT_STYLE=lecture, a notebook's
    use_style("notebook") gives the lecture rcParams."""
    from voila.app import Voila

    launched = {}
    # Both restored after the test: a later notebook run by this worker (nbval) must not
    # inherit the lecture style or HTML figures.
    monkeypatch.setenv("COURSEKIT_STYLE", "notebook")
    monkeypatch.setenv(plot.FIGURE_HTML, "0")
    monkeypatch.setattr(Voila, "launch_instance",
                        classmethod(lambda cls, argv=None: launched.update(argv=argv)))
    assert present("12", port=9000, open_browser=False, notebooks=notebooks) == 0
    assert launched["argv"][0] == str(notebooks / "12_curvature.ipynb")
    assert "--port=9000" in launched["argv"]
    import os

    assert os.environ["COURSEKIT_STYLE"] == "lecture"
    assert os.environ[plot.FIGURE_HTML] == "1"
    with mpl.rc_context():
        plot.use_style("notebook")
        assert mpl.rcParams["font.size"] == plot.STYLES["lecture"]["font.size"]


def test_cli_parses_present_and_site():
    args = build_parser().parse_args(["present", "05", "--port", "9001", "--no-browser"])
    assert (args.lesson, args.port, args.no_browser, args.ip) == ("05", 9001, True, "127.0.0.1")
    assert args.cull_after == 120.0
    assert args.run.__name__ == "_run_present"
    args = build_parser().parse_args(["site", "--out", "somewhere"])
    assert (args.out, args.run.__name__) == ("somewhere", "_run_site")


def test_cli_present_reports_an_unknown_lesson(capsys):
    from coursekit.cli import main

    assert main(["present", "99", "--no-browser"]) == 2
    assert "lesson '99' matches 0 notebooks" in capsys.readouterr().err

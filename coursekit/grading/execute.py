"""Run a list of code cells in fresh Jupyter kernels, surviving what the cells do.

``run_cells`` executes cells one by one with nbclient and returns one :class:`CellResult`
each. Whatever a cell does costs only that cell:

- an exception is recorded (``status="error"``, ``error="ValueError: first line"``);
- a cell running longer than ``timeout`` seconds is stopped by killing its kernel
  (``"timeout"``), and a cell that kills the kernel (``os._exit``, a segfault) is recorded as
  ``"died"``; either way a fresh kernel starts, runs the trusted setup, replays the earlier
  cells marked ``replay`` that had finished, and continues with the next cell — at most
  ``max_restarts`` times, after which the remaining cells are ``"not run"``;
- output beyond ``output_limit`` characters per cell is dropped as it arrives, so a cell
  printing megabytes neither fills the grader's memory nor slows it down.

The setup code runs first in every kernel; if it fails, grading itself has failed and
:class:`GradingError` is raised.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

_QUIET = logging.getLogger("coursekit.grading.nbclient")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


class GradingError(RuntimeError):
    """The grader could not do its job (as opposed to a submission scoring badly)."""


@dataclass
class CellResult:
    """What happened to one cell.

    status : "ok", "error", "timeout", "died" or "not run"
    error : for "error", the exception's name and the first non-empty line of its message
    marker_seen : whether the cell printed the run's pass marker
    output_truncated : whether output beyond the limit was dropped
    """

    status: str = "not run"
    error: str = ""
    marker_seen: bool = False
    output_truncated: bool = False


def first_line(text: str, limit: int = 300) -> str:
    """The first non-empty line of ``text``, stripped and cut to ``limit`` characters."""
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


class _GuardedClient(NotebookClient):
    """nbclient's client, keeping at most ``output_limit`` characters of output per cell and
    noting which cells printed ``marker``."""

    def __init__(self, nb, marker: str, output_limit: int, **kw) -> None:
        super().__init__(nb, **kw)
        self.marker = marker
        self.output_limit = output_limit
        self.reset_cell_state()

    def reset_cell_state(self) -> None:
        self.output_used = 0
        self.truncated = False
        self.saw_marker = False
        self.reply: dict = {}

    def output(self, outs, msg, display_id, cell_index):
        content = msg["content"]
        if msg["msg_type"] == "stream":
            text = content.get("text", "")
            self.saw_marker = self.saw_marker or self.marker in text
            size = len(text)
        else:
            size = sum(len(str(value)) for value in (content.get("data") or {}).values())
            size += len(str(content.get("traceback", "")))
        self.output_used += size
        if self.output_used > self.output_limit:
            self.truncated = True
            return None
        return super().output(outs, msg, display_id, cell_index)


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    # One thread per kernel: submissions are graded side by side on few cores.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    env["MPLBACKEND"] = "Agg"
    env.pop("JPY_PARENT_PID", None)
    return env


async def _run_one(client: _GuardedClient, index: int) -> CellResult:
    client.reset_cell_state()
    cell = client.nb.cells[index]
    try:
        await client.async_execute_cell(cell, index)
    except CellTimeoutError:
        return CellResult("timeout", output_truncated=client.truncated)
    except DeadKernelError:
        return CellResult("died", output_truncated=client.truncated)
    reply = client.reply
    if reply.get("status") == "error":
        name = reply.get("ename", "Error")
        message = first_line(reply.get("evalue", ""))
        return CellResult("error", f"{name}: {message}" if message else name,
                          client.saw_marker, client.truncated)
    return CellResult("ok", "", client.saw_marker, client.truncated)


async def run_cells(
    sources: Sequence[str],
    replay: Sequence[bool],
    *,
    setup: str,
    marker: str,
    timeout: float,
    workdir: str,
    setup_timeout: float = 120.0,
    max_restarts: int = 3,
    output_limit: int = 100_000,
    kernel_name: str = "python3",
) -> list[CellResult]:
    """Run ``sources`` in order after ``setup``; see the module docstring for the rules."""
    cells = [nbformat.v4.new_code_cell(src) for src in sources]
    cells.append(nbformat.v4.new_code_cell(setup))
    nb = nbformat.v4.new_notebook(cells=cells)
    setup_index = len(sources)
    replayable = list(replay)
    results = [CellResult() for _ in sources]
    next_cell, restarts = 0, 0

    def on_executed(cell, cell_index, execute_reply) -> None:
        client.reply = (execute_reply or {}).get("content", {})

    while next_cell < len(sources):
        client = _GuardedClient(
            nb, marker, output_limit, timeout=None, kernel_name=kernel_name,
            allow_errors=True, shutdown_kernel="immediate", log=_QUIET,
            timeout_func=lambda cell: setup_timeout if cell is nb.cells[-1] else timeout,
            resources={"metadata": {"path": workdir}}, on_cell_executed=on_executed,
            iopub_timeout=10, startup_timeout=120,
        )
        try:
            async with client.async_setup_kernel(env=_kernel_env(), stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL):
                ready = await _run_one(client, setup_index)
                if ready.status != "ok":
                    raise GradingError(f"the grader's setup failed in the kernel: "
                                       f"{ready.error or ready.status}")
                interrupted = False
                for j in range(next_cell) if restarts else ():
                    if replayable[j] and results[j].status in ("ok", "error"):
                        again = await _run_one(client, j)
                        if again.status in ("timeout", "died"):
                            replayable[j], interrupted = False, True
                            break
                while not interrupted and next_cell < len(sources):
                    results[next_cell] = await _run_one(client, next_cell)
                    next_cell += 1
                    interrupted = results[next_cell - 1].status in ("timeout", "died")
        except GradingError:
            raise
        except (RuntimeError, TimeoutError) as exc:
            raise GradingError(f"could not run a kernel: {exc}") from exc
        if next_cell < len(sources):
            restarts += 1
            if restarts > max_restarts:
                for j in range(next_cell, len(sources)):
                    results[j] = CellResult(
                        "not run", f"not run: grading stopped after {max_restarts} kernel "
                                   "restarts (timeouts or crashes)")
                break
    return results

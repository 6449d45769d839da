"""Run a graded copy's cells inside the sandbox and stream what the checks record.

``python -m coursekit.grading.runner FD`` reads one JSON job from stdin::

    {"mode": "record" | "reference", "cell_timeout": seconds, "notebook_name": "...",
     "notebook": "<the submission's text>", "chunks": [{"source", "question", "part"}, ...]}

writes the submission's copy into the working directory, runs the chunks one by one in one
IPython shell (so magics work), and writes JSON lines to file descriptor FD: each check's
record (:mod:`coursekit.grading.checks`) and, after each chunk, ``{"chunk": i, "status":
"ok" | "error" | "timeout", "error": exception name}``.

Nothing here is trusted: from the first student cell on, this process is the student's. The
grader only reads the lines, as data, and judges them itself. Run as root inside the sandbox,
the runner first drops to uid/gid 65534 so the process limit applies.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import time

_NOBODY = 65534
_PR_SET_NO_NEW_PRIVS = 38


class CellTimeout(Exception):
    """A chunk ran past the per-cell time limit."""


def _drop_privileges() -> None:
    """Become uid 65534 if root (bwrap left only CAP_SETUID/CAP_SETGID), then forbid any
    later gain of privileges (setuid binaries)."""
    if os.getuid() == 0:
        os.chmod("/tmp", 0o1777)
        os.setgroups([])
        os.setgid(_NOBODY)
        os.setuid(_NOBODY)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


def main(fd: int) -> None:
    job = json.loads(sys.stdin.read())
    if job.get("sandboxed"):
        _drop_privileges()
    workdir = str(job.get("workdir") or "/tmp/work")
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    name = os.path.basename(str(job.get("notebook_name") or "submission.ipynb"))
    with open(name, "w", encoding="utf-8") as fh:
        fh.write(job.get("notebook", ""))

    def emit(record: dict) -> None:
        data = (json.dumps(record) + "\n").encode()
        while data:
            data = data[os.write(fd, data):]

    from coursekit.grading import checks

    checks.configure(job["mode"], emit)
    shell = _shell()
    timeout = float(job.get("cell_timeout", 60))

    def expire(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, 0.5)  # keep interrupting a cell that swallows it
        raise CellTimeout(f"cell ran past {timeout:g} s")

    for index, chunk in enumerate(job["chunks"]):
        checks.configure(job["mode"], emit)
        checks.begin_part(chunk.get("question"), chunk.get("part") or "visible")
        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        start = time.monotonic()
        try:
            result = shell.run_cell(chunk["source"], store_history=False)
            error = result.error_before_exec or result.error_in_exec
        except CellTimeout as exc:
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        status = ("timeout" if isinstance(error, CellTimeout) else
                  "error" if error is not None else "ok")
        emit({"chunk": index, "status": status,
              "error": type(error).__name__ if error is not None else "",
              "seconds": round(time.monotonic() - start, 3)})


if __name__ == "__main__":
    main(int(sys.argv[1]))

"""One submission, one OS-level sandbox: bubblewrap (``bwrap``) around the grading runner.

Inside the sandbox the runner (:mod:`coursekit.grading.runner`) sees

- the interpreter, its standard library and the installed packages, read-only, and the
  ``coursekit`` package directory alone, read-only (not the checkout: no ``solutions/``, no
  gradebook, no other submissions);
- a private ``/tmp`` of bounded size holding the working directory with the submission's copy;
- no network, no other process (own PID, IPC, UTS and network namespaces; ``--die-with-parent``
  and the PID namespace take every process it started down with it), no setuid binaries;
- packages the exercise forbids replaced by an empty directory whose ``__init__.py`` raises
  ImportError; coursekit modules it forbids (``coursekit.optim``) replaced file by file by
  stubs whose every name raises ImportError when used (:mod:`coursekit.grading.forbid`);
- held-out data the exercise declares (``"digits"``) replaced by a copy without the held-out
  rows, bind-mounted over the real file (:mod:`coursekit.grading.heldout`).

Resource limits (:class:`Limits`) are set with ``prlimit`` on the sandbox (address space, CPU
seconds, processes, file size), the size of ``/tmp``, a wall-clock limit per submission
enforced by the grader, and a cap on how much the runner may report. Run as root, bwrap keeps
only CAP_SETUID/CAP_SETGID, which the runner uses at once to become uid 65534 (root is exempt
from the process limit); as a normal user bwrap also creates a user namespace.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import coursekit

from . import forbid, heldout

INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) on Linux with "
                "unprivileged user namespaces, or pass --unsafe-no-sandbox to grade without one "
                "(every score can then be forged)")

# Companion top-level packages that give a forbidden library back under another name.
_COMPANIONS = {"torch": ("torch", "functorch", "torchgen")}
_PACKAGE_MOUNT = "/opt/coursekit-lib"


@dataclass(frozen=True)
class Limits:
    """Limits of one submission's sandbox; every one is a ``coursekit grade`` option."""

    memory_mb: int = 4096        # address space of each process (RLIMIT_AS)
    cpu_seconds: int = 300       # CPU time of each process (RLIMIT_CPU)
    wall_seconds: float = 300.0  # the whole submission, wall clock
    cell_seconds: float = 60.0   # one cell, wall clock (then the next cell runs)
    processes: int = 256         # processes and threads of the sandbox user (RLIMIT_NPROC)
    file_mb: int = 64            # largest file written (RLIMIT_FSIZE)
    tmp_mb: int = 256            # private /tmp (tmpfs size)
    output_mb: int = 256         # what the runner may report to the grader


@dataclass
class RunResult:
    """What came back from one run: the runner's JSON lines and how the process ended."""

    lines: list[dict] = field(default_factory=list)
    returncode: int | None = None
    timed_out: bool = False
    truncated: bool = False
    stderr: str = ""
    seconds: float = 0.0


@functools.cache
def sandbox_problem() -> str | None:
    """Why no sandbox can run here (None if bwrap works)."""
    if not sys.platform.startswith("linux"):
        return f"no sandbox on {sys.platform}: bubblewrap needs Linux"
    if shutil.which("bwrap") is None:
        return "bwrap not found"
    probe = subprocess.run(_bwrap_args([], None) + ["--", sys.executable, "-c", "pass"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return f"bwrap cannot start a sandbox here: {probe.stderr.strip()[:300]}"
    return None


def forbidden_dirs(packages: list[str]) -> list[Path]:
    """The installed directories of the forbidden packages (and their companions)."""
    dirs = []
    for name in packages:
        if forbid.is_coursekit_module(name):
            continue  # stubbed file by file: see forbid.py
        for top in _COMPANIONS.get(name, (name,)):
            spec = importlib.util.find_spec(top)
            if spec is not None and spec.submodule_search_locations:
                dirs += [Path(p) for p in spec.submodule_search_locations]
    return dirs


def _python_roots() -> list[str]:
    """Directories the interpreter and its packages live in: the installation, the
    environment, and any other ``site-packages`` on the path (a user site). Never the working
    directory or a checkout on ``sys.path``: those may hold solutions or the gradebook."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if path.is_dir() and path.name in ("site-packages", "dist-packages") \
                and not any(path.is_relative_to(r) for r in roots) \
                and not (path / "coursekit" / "__init__.py").exists():
            roots.add(path)
    # Keep the paths as the interpreter knows them (symlinks such as the venv's python).
    return sorted({*map(str, roots), sys.prefix, sys.base_prefix})


def _inside_roots(path: Path) -> list[str]:
    """Every path at which the sandbox shows the host file ``path`` (a root may be mounted
    under two names, as the interpreter knows it and resolved)."""
    real = path.resolve()
    found = [str(Path(root) / real.relative_to(Path(root).resolve()))
             for root in _python_roots() if real.is_relative_to(Path(root).resolve())]
    if not found:
        raise RuntimeError(f"cannot hide {path} in the sandbox: it is outside the "
                           "interpreter's directories")
    return sorted(set(found))


def _bwrap_args(forbidden: list[Path], blocker: Path | None, tmp_mb: int = 64,
                stubs: dict[Path, Path] | None = None,
                masks: dict[Path, Path] | None = None) -> list[str]:
    args = ["bwrap", "--die-with-parent", "--new-session", "--clearenv"]
    if os.getuid() == 0:
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                 "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-all"]
    args += ["--ro-bind", "/usr", "/usr"]
    for top in ("lib", "lib64", "lib32", "bin", "sbin"):
        host = Path("/") / top
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    for etc in ("ld.so.cache", "localtime", "fonts", "nsswitch.conf", "passwd", "group"):
        args += ["--ro-bind-try", f"/etc/{etc}", f"/etc/{etc}"]
    # /tmp first: an environment that lives under /tmp (a CI checkout) is bound on top of it.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_mb * 2**20), "--tmpfs", "/tmp"]
    made: set[Path] = {Path("/tmp")}
    for root in _python_roots():
        # Parents bwrap creates are root-only; the runner, once uid 65534, must pass them.
        for parent in reversed(Path(root).parents):
            if parent != Path("/") and parent not in made and not parent.is_relative_to("/usr"):
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", root, root]
    package = Path(coursekit.__file__).resolve().parent
    args += ["--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", _PACKAGE_MOUNT,
             "--ro-bind", str(package), f"{_PACKAGE_MOUNT}/coursekit"]
    # Forbidden coursekit modules: no compiled copies, and a stub over each source file.
    inside = {source: f"{_PACKAGE_MOUNT}/coursekit/{source.relative_to(package).as_posix()}"
              for source in (stubs or {})}
    for cache in sorted({source.parent / "__pycache__" for source in inside}):
        if cache.is_dir():
            args += ["--tmpfs", f"{_PACKAGE_MOUNT}/coursekit/{cache.relative_to(package)}"]
    for source, stub in (stubs or {}).items():
        args += ["--ro-bind", str(stub), inside[source]]
    # Held-out data: the copy without the held-out rows over every view of the real file.
    for real, copy in (masks or {}).items():
        for inside_path in _inside_roots(real):
            args += ["--ro-bind", str(copy), inside_path]
    for directory in forbidden:
        args += ["--tmpfs", str(directory)]
        if blocker is not None:
            args += ["--ro-bind", str(blocker), str(directory / "__init__.py")]
    args += ["--chdir", "/tmp"]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp/work", "PYTHONPATH": _PACKAGE_MOUNT,
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/work/.matplotlib",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args


def _prlimit(limits: Limits) -> list[str]:
    return ["prlimit", f"--as={limits.memory_mb * 2**20}", f"--cpu={limits.cpu_seconds}",
            f"--nproc={limits.processes}", f"--fsize={limits.file_mb * 2**20}", "--core=0", "--"]


def _reader(stream, limit: int, out: list, flags: dict) -> None:
    """Collect complete lines up to ``limit`` bytes; drain (and drop) the rest."""
    used = 0
    for line in stream:
        used += len(line)
        if used > limit:
            flags["truncated"] = True
            continue
        out.append(line)


def run_job(job: dict, limits: Limits, *, sandboxed: bool = True,
            forbidden: list[str] = (), held_out: list[str] = ()) -> RunResult:
    """Run the runner on ``job`` (see :mod:`coursekit.grading.runner`) in a fresh sandbox, or,
    when not ``sandboxed``, in a plain child process with the same limits (and then nothing is
    forbidden or held out)."""
    start = time.monotonic()
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as scratch:
        blocker = Path(scratch) / "blocked.py"
        blocker.write_text("raise ImportError('this package is not available in this exercise')\n")
        stubs = {}
        for i, (source, text) in enumerate(forbid.stubs(list(forbidden)).items()):
            stubs[source] = Path(scratch) / f"stub{i}.py"
            stubs[source].write_text(text, encoding="utf-8")
        masks = {}
        if sandboxed:
            for i, (real, data) in enumerate(heldout.masked_files(list(held_out)).items()):
                masks[real] = Path(scratch) / f"held_out{i}{''.join(real.suffixes)}"
                masks[real].write_bytes(data)
        # COURSEKIT_SANDBOX_TAG labels the sandbox's command line (tests find their own).
        tag = [os.environ["COURSEKIT_SANDBOX_TAG"]] if os.environ.get("COURSEKIT_SANDBOX_TAG") \
            else []
        runner = [sys.executable, "-m", "coursekit.grading.runner", str(write_fd), *tag]
        job = dict(job, workdir="/tmp/work" if sandboxed else str(Path(scratch) / "work"),
                   sandboxed=sandboxed)
        if sandboxed:
            command = _prlimit(limits) + _bwrap_args(forbidden_dirs(list(forbidden)), blocker,
                                                     limits.tmp_mb, stubs, masks) + ["--"] + runner
            env = None
        else:
            command = _prlimit(limits) + runner
            package_parent = str(Path(coursekit.__file__).resolve().parents[1])
            env = dict(os.environ, PYTHONPATH=package_parent, MPLBACKEND="Agg",
                       OPENBLAS_NUM_THREADS="1")
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, pass_fds=(write_fd,),
                                start_new_session=True, cwd=scratch, env=env)
        os.close(write_fd)
        lines: list[bytes] = []
        errors: list[bytes] = []
        flags: dict = {}
        with os.fdopen(read_fd, "rb") as records:
            threads = [threading.Thread(target=_reader, daemon=True,
                                        args=(records, limits.output_mb * 2**20, lines, flags)),
                       threading.Thread(target=_reader, daemon=True,
                                        args=(proc.stderr, 8192, errors, {}))]
            for t in threads:
                t.start()
            try:
                proc.stdin.write(json.dumps(job).encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            timed_out = False
            try:
                proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
            _kill_group(proc)
            for t in threads:
                t.join(timeout=10)
    result = RunResult(returncode=proc.returncode, timed_out=timed_out,
                       truncated=bool(flags.get("truncated")),
                       stderr=b"".join(errors).decode("utf-8", "replace")[:4000],
                       seconds=time.monotonic() - start)
    for line in lines:
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(item, dict):
            result.lines.append(item)
    return result


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the sandbox's whole process group (bwrap and, through its PID namespace,
    everything inside) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()

"""Each submission's kernel in a sandbox of its own: Debian's bubblewrap (``bwrap``).

bubblewrap builds a new, empty file system view out of the mounts it is given, in new user,
process, network, IPC and UTS namespaces; it needs no daemon and no image, starts in a few
milliseconds, and works as root and as a user where unprivileged user namespaces are enabled.
The kernel of a submission sees:

- read-only: the system (``/usr``, ``/etc``), the Python the venv was made from, the venv,
  the course package ``support/``, ``grader/`` (whose `grader.probe` hidden tests send their
  checks through; it holds no answers) and the data and trained-model cache
  (``$COMPRESSION_CACHE``);
- writable: a private copy of its own folder, and ``/tmp``, each a tmpfs of
  ``Limits.disk_mib`` (what it writes is gone when it ends);
- the folder of the sockets its grader talks to it through (ZeroMQ over IPC, not TCP: the
  sandbox has no network, not even the machine's loopback);
- nothing else: no ``solutions/``, no gradebook, no other student's submission, no network.

Its processes live in their own PID namespace: when the kernel ends, every process it started
ends with it. Limits (`Limits`): memory (RLIMIT_DATA), CPU seconds (RLIMIT_CPU), the size of
any file (RLIMIT_FSIZE), and processes (a ``pids`` cgroup where the grader may make one, else
RLIMIT_NPROC for a grader that is not root). Its environment is cleared: the grader's
variables (a gradebook's URL, a token) do not reach it.

What it does not protect against: a bug in the Linux kernel or in bubblewrap itself; time (a
kernel that computes is stopped by the per-cell timeout and the CPU limit, not sooner); and
what the code under test returns, which the grader must not trust (hidden tests).
"""
from __future__ import annotations

import functools
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

__all__ = ["Limits", "unavailable", "command", "run", "Ran", "SandboxedKernelManager",
           "withheld_names", "withheld_support"]

ROOT = Path(__file__).resolve().parents[1]
PIDS_CGROUPS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))   # cgroup v1, v2


@dataclass(frozen=True)
class Limits:
    """What one sandboxed kernel may use."""
    memory_gib: float = 4.0       # RLIMIT_DATA: allocations past it fail (MemoryError)
    cpu_seconds: int = 900        # RLIMIT_CPU, per process: past it the kernel is killed
    processes: int = 64           # pids cgroup (or RLIMIT_NPROC): fork() past it fails
    disk_mib: int = 512           # its folder and /tmp: tmpfs of this size; files at most this


def _bwrap() -> str | None:
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def unavailable() -> str | None:
    """Why no sandbox can be had on this machine (no ``bwrap``, or namespaces refused), or
    None when `command` works."""
    if not _bwrap():
        return ("bubblewrap is not installed (Debian: apt-get install bubblewrap; "
                "make system installs it)")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "work").mkdir()
        (Path(folder) / "sockets").mkdir()
        trial = subprocess.run(command(["/bin/true"], Path(folder) / "work",
                                       Path(folder) / "sockets", {}),
                               capture_output=True, text=True)
    if trial.returncode != 0:
        return (f"bwrap cannot make a sandbox here ({trial.stderr.strip()}): it needs user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1) or root")
    return None


WITHHELD = ("{name} is the course's own {kind} of what this assignment asks you to write: it "
            "is withheld while your notebook is graded, and an answer that calls it scores "
            "nothing. Write {short} yourself.")
# The guard a withheld function or class is wrapped in, in the copy of support/ a graded
# kernel sees: the course's own modules may still call it (support.distill.loss_fn calls
# distillation_loss), code of the notebook's may not, directly or through a wrapper or alias.
GUARD = '''"""Written by grader.sandbox.withheld_support: guards for the functions and classes an
assignment asks students to write, which only the course's own modules may call."""
import sys


def _from_course(frame):
    return frame is not None and str(frame.f_globals.get("__name__", "")).startswith("support.")


def guard(real, message):
    if isinstance(real, type):
        def __init__(self, *args, **kwargs):
            if not _from_course(sys._getframe(1)):
                raise NotImplementedError(message)
            real.__init__(self, *args, **kwargs)
        return type(real.__name__, (real,), {"__init__": __init__, "__doc__": real.__doc__,
                                              "__module__": real.__module__,
                                              "__qualname__": real.__qualname__})

    def guarded(*args, **kwargs):
        if not _from_course(sys._getframe(1)):
            raise NotImplementedError(message)
        return real(*args, **kwargs)
    guarded.__name__, guarded.__qualname__ = real.__name__, real.__qualname__
    guarded.__module__, guarded.__doc__ = real.__module__, real.__doc__
    return guarded
'''


def withheld_names(notebook: Path) -> list[str]:
    """The course's own implementations the answer cells of the instructor's ``notebook`` name
    (``withhold="support.module.name ..."``, `grader.pipeline.to_notebook`), in order."""
    import nbformat

    names = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        names += [n for n in cell.metadata.get("withhold", []) if n not in names]
    return names


def withheld_support(names: list[str], into: Path) -> Path:
    """A copy of the course package ``support/`` in folder ``into`` in which each function or
    class ``support.<module>.<name>`` of ``names`` answers a call from anywhere but the
    course's own modules with NotImplementedError, saying why (`WITHHELD`): an answer that
    delegates to it, directly, through a wrapper or through an alias, gets nothing from it.
    Returns the copy's folder. Raises ValueError for a name the package does not define."""
    from support import cache

    copy = Path(into) / "support"
    shutil.copytree(ROOT / "support", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / cache.COPIED_FROM).write_text(cache._code_digest())
    (copy / "_withheld.py").write_text(GUARD)
    for full in names:
        package, module, name = (full.split(".") + ["", ""])[:3]
        path = copy / f"{module}.py"
        source = path.read_text() if package == "support" and path.exists() else ""
        kind = re.search(rf"^(def|class) {re.escape(name)}\b", source, re.M) if name else None
        if not kind:
            raise ValueError(f"withhold: support has no top-level function or class {full!r}")
        message = WITHHELD.format(name=full, short=name,
                                  kind="class" if kind.group(1) == "class" else "function")
        path.write_text(source + f"\n\nfrom support._withheld import guard as _guard\n\n"
                                 f"{name} = _guard({name}, {message!r})\n")
    return copy


def readable(support: Path | None = None) -> list[tuple[Path, Path]]:
    """What a sandboxed kernel may read, as (source, where it sees it): the system, Python,
    the venv, the course package (``support``, a copy such as `withheld_support` makes, in
    its place) and the grader's, the data cache (each that exists)."""
    paths = [Path("/usr"), Path("/etc"), Path(sys.base_prefix), Path(sys.prefix),
             ROOT / "support", ROOT / "grader", cache_folder()]
    seen: list[Path] = []
    for path in paths:
        if path.exists() and not any(path == p or p in path.parents for p in seen):
            seen.append(path)
    return [(support if support is not None and path == ROOT / "support" else path, path)
            for path in seen]


def cache_folder() -> Path:
    """support.data.CACHE, read without importing torch."""
    return Path(os.environ.get("COMPRESSION_CACHE", "~/.cache/compression-course")).expanduser()


def environment(env: dict[str, str]) -> dict[str, str]:
    """The kernel's whole environment: ``env`` (the launcher's) cut to what a kernel needs."""
    keep = {k: v for k, v in env.items()
            if k in ("LANG", "LC_ALL", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MATPLOTLIBRC",
                     "PYTHONDONTWRITEBYTECODE", "TZ") or k.startswith("NBGRADER_")}
    return dict(keep, HOME="/tmp", MPLCONFIGDIR="/tmp/matplotlib", PYTHONNOUSERSITE="1",
                COMPRESSION_CACHE=str(cache_folder()),
                PATH=os.pathsep.join([str(Path(sys.prefix) / "bin"), "/usr/bin", "/bin"]))


def command(argv: list[str], cwd: Path, sockets: Path, env: dict[str, str],
            limits: Limits = Limits(), support: Path | None = None,
            models: bool = True, first: bool = False) -> list[str]:
    """``argv`` run in a sandbox, in a private writable copy of folder ``cwd`` (seen at the
    same path), with the folder ``sockets`` shared read-write; ``env`` is cut down by
    `environment`; ``support``: a copy of the course package to show in its place (see
    `readable`); ``models``: False hides the cache's trained models (an empty, writable
    folder in their place; the data sets stay); ``first``: ``argv`` is the sandbox's
    PID 1, which sees every process of the sandbox as its child. Limits other than disk space
    are set by `limit` in the launching process."""
    cwd, size = Path(cwd).resolve(), str(limits.disk_mib * 2**20)
    wrap = [_bwrap() or "bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--disable-userns",
            *(["--as-pid-1"] if first else []), "--clearenv", "--dev", "/dev", "--proc", "/proc",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin"]
    # /tmp first: what lies under it on this machine (a course, a venv) is mounted on top
    wrap += ["--size", size, "--tmpfs", "/tmp"]
    for source, seen in readable(support):
        wrap += ["--ro-bind", str(source), str(seen)]
    trained = cache_folder() / "trained"
    if not models and trained.is_dir():
        wrap += ["--size", size, "--tmpfs", str(trained)]
    wrap += ["--ro-bind", str(cwd), "/.submission",       # the original, copied below
             "--size", size, "--tmpfs", str(cwd),
             "--bind", str(sockets), str(sockets), "--chdir", str(cwd)]
    for name, value in environment(env).items():
        wrap += ["--setenv", name, value]
    copy = 'cp -R /.submission/. . && exec "$0" "$@"'
    return [*wrap, "/bin/sh", "-c", copy, *argv]


@dataclass(frozen=True)
class Ran:
    """What a process that `run` ran did."""
    returncode: int     # negative: killed by that signal (-9: the timeout or a limit)
    stdout: bytes
    stderr: str         # its last 4,000 characters


def run(argv: list[str], stdin: bytes = b"", limits: Limits = Limits(), timeout: float = 300,
        models: bool = False, max_output: int = 64 * 2**20) -> Ran:
    """``argv`` run once as the first process (PID 1) of a fresh sandbox of its own
    (`command`: an empty folder, its own ``/tmp`` and, unless ``models``, none of the trained
    models of the cache), fed ``stdin``, under ``limits`` and a wall-clock ``timeout``; when
    it ends, every process it started ends. Where no sandbox can be had (`unavailable`: the instructor chose unsandboxed
    grading), a plain process with the same limits. Raises ValueError for more than
    ``max_output`` bytes of output."""
    with tempfile.TemporaryDirectory(prefix="grader-run-") as folder:
        work, sockets, out = Path(folder) / "work", Path(folder) / "sockets", Path(folder) / "out"
        work.mkdir()
        sockets.mkdir()
        wrapped = argv if unavailable() else command(
            argv, work, sockets, dict(os.environ), limits, models=models, first=True)
        cgroup = _PidsCgroup(limits.processes)
        try:
            with open(out, "wb") as output:
                try:
                    done = subprocess.run(wrapped, input=stdin, stdout=output,
                                          stderr=subprocess.PIPE, cwd=work, timeout=timeout,
                                          preexec_fn=limit(limits, cgroup),
                                          env=environment(dict(os.environ)))
                    code, error = done.returncode, done.stderr
                except subprocess.TimeoutExpired as expired:
                    code, error = -signal.SIGKILL, (expired.stderr or b"") + b"\ntimed out"
        finally:
            cgroup.remove()
        if out.stat().st_size > max_output:
            raise ValueError(f"more than {max_output} bytes of output")
        return Ran(code, out.read_bytes(), error.decode(errors="replace")[-4000:])


class _PidsCgroup:
    """A ``pids`` cgroup of its own with ``pids.max``, where this process may make one."""

    def __init__(self, processes: int):
        self.path = None
        for base in PIDS_CGROUPS:
            if not (base / "cgroup.procs").exists():
                continue
            if base == PIDS_CGROUPS[1] and "pids" not in _read(base / "cgroup.subtree_control"):
                continue
            try:
                path = base / f"grader-{uuid.uuid4().hex[:12]}"
                path.mkdir()
                (path / "pids.max").write_text(str(processes))
                self.path = path
                return
            except OSError:
                continue

    def join(self) -> None:   # in the child, before exec
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        if self.path:
            try:
                self.path.rmdir()
            except OSError:
                pass


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def limit(limits: Limits, cgroup: _PidsCgroup | None = None):
    """A preexec_fn that sets ``limits`` on the process about to become the sandbox."""
    def apply() -> None:
        # the grader interrupts a cell with SIGINT to the kernel's process group, which holds
        # bwrap too: bwrap must outlive it (else --die-with-parent ends the kernel); the
        # kernel installs its own handler
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        memory = int(limits.memory_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        size = limits.disk_mib * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        if cgroup is not None and cgroup.path is not None:
            cgroup.join()
        elif os.geteuid() != 0:      # counted per user: this user's processes, plus the limit
            mine = sum(1 for p in Path("/proc").iterdir()
                       if p.name.isdigit() and _owner(p) == os.geteuid())
            resource.setrlimit(resource.RLIMIT_NPROC, (mine + limits.processes,) * 2)
    return apply


def _owner(path: Path) -> int:
    try:
        return path.stat().st_uid
    except OSError:
        return -1


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in `command`'s sandbox under ``limits``, reached
    over IPC sockets in a folder of its own, seeing ``support`` (a copy of the course package,
    see `withheld_support`; None: the package itself). Set both before starting the kernel."""

    limits: Limits = Limits()
    support: Path | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sockets = Path(tempfile.mkdtemp(prefix="grader-kernel-"))
        self.transport = "ipc"
        self.ip = str(self._sockets / "kernel")
        self.connection_file = str(self._sockets / "connection.json")
        self._cgroup = None

    async def _async_pre_start_kernel(self, **kw):
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        cwd = Path(kw.pop("cwd", None) or os.getcwd())
        env = kw.pop("env", None) or dict(os.environ)
        self._cgroup = _PidsCgroup(self.limits.processes)
        preexec = limit(self.limits, self._cgroup)
        if kw.get("preexec_fn"):
            first, kw["preexec_fn"] = kw["preexec_fn"], lambda: (first(), preexec())
        else:
            kw["preexec_fn"] = preexec
        kw["cwd"] = str(self._sockets)
        return command(kernel_cmd, cwd, self._sockets, env, self.limits, self.support), kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            if self._cgroup is not None:
                self._cgroup.remove()
            shutil.rmtree(self._sockets, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources   # what nbclient calls (as AsyncKernelManager)

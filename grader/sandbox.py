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

__all__ = ["Limits", "unavailable", "command", "SandboxedKernelManager"]

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


def readable() -> list[Path]:
    """What a sandboxed kernel may read: the system, Python, the venv, the course package and
    the grader's, the data cache (each that exists)."""
    paths = [Path("/usr"), Path("/etc"), Path(sys.base_prefix), Path(sys.prefix),
             ROOT / "support", ROOT / "grader", cache_folder()]
    seen: list[Path] = []
    for path in paths:
        if path.exists() and not any(path == p or p in path.parents for p in seen):
            seen.append(path)
    return seen


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
            limits: Limits = Limits()) -> list[str]:
    """``argv`` run in a sandbox, in a private writable copy of folder ``cwd`` (seen at the
    same path), with the folder ``sockets`` shared read-write; ``env`` is cut down by
    `environment`. Limits other than disk space are set by `limit` in the launching process."""
    cwd, size = Path(cwd).resolve(), str(limits.disk_mib * 2**20)
    wrap = [_bwrap() or "bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--disable-userns",
            "--clearenv", "--dev", "/dev", "--proc", "/proc",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin"]
    for path in readable():
        wrap += ["--ro-bind", str(path), str(path)]
    wrap += ["--size", size, "--tmpfs", "/tmp",
             "--ro-bind", str(cwd), "/.submission",       # the original, copied below
             "--size", size, "--tmpfs", str(cwd),
             "--bind", str(sockets), str(sockets), "--chdir", str(cwd)]
    for name, value in environment(env).items():
        wrap += ["--setenv", name, value]
    copy = 'cp -R /.submission/. . && exec "$0" "$@"'
    return [*wrap, "/bin/sh", "-c", copy, *argv]


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
    over IPC sockets in a folder of its own. Set ``limits`` before starting the kernel."""

    limits: Limits = Limits()

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
        return command(kernel_cmd, cwd, self._sockets, env, self.limits), kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            if self._cgroup is not None:
                self._cgroup.remove()
            shutil.rmtree(self._sockets, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources   # what nbclient calls (as AsyncKernelManager)

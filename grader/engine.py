"""Grading a class on Dask distributed: one task per submission, shared out as workers free up.

`grade_on_dask` sends each student's submission as a task (`autograde_one`: ``nbgrader
autograde ASSIGNMENT --student S`` in a process of its own) to a Dask cluster: a
``LocalCluster`` of worker processes on this machine by default, or the cluster whose
scheduler address it is given (``dask scheduler`` and ``dask worker`` started by hand, on a
university's Slurm through ``dask-jobqueue``, on Kubernetes through ``dask-kubernetes``); every
worker must see the course directory at the same path, and every grader writes the same
PostgreSQL gradebook. A worker that dies takes its running task with it: the scheduler gives
the task to another worker, and the nbgrader process of the dead one dies with it (it asks
the kernel for that at its start), so no submission is graded twice at once. A submission
whose grading was cut short has no autograded notebook yet, so nbgrader grades it again.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

__all__ = ["cut_short", "autograde_one", "grade_on_dask", "cluster", "kill_a_busy_worker"]

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:    # in the child, before exec: SIGKILL when the worker dies
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def cut_short(root: Path, assignment: str, student: str) -> bool:
    """Whether a grading of ``student``'s submission was cut short (its autograded folder
    lacks a notebook the submission has); if so the folder is removed, so that nbgrader,
    which skips a submission whose autograded folder exists, grades it again."""
    import shutil

    done = Path(root) / "autograded" / student / assignment
    handed_in = [p.name for p in (Path(root) / "submitted" / student / assignment).glob("*.ipynb")]
    expected = {p.name for p in (Path(root) / "solutions" / assignment).glob("*.ipynb")}
    if done.is_dir() and any(not (done / name).exists() for name in handed_in if name in expected):
        shutil.rmtree(done)
        return True
    return False


def autograde_one(root: str, assignment: str, student: str, url: str, force: bool = False,
                  unsandboxed: bool = False) -> tuple[str, int, str]:
    """Autograde one submission in course directory ``root`` against the gradebook ``url``
    (again, where an earlier grading of it was `cut_short`): (student, nbgrader's exit status,
    its output). Runs where a Dask worker runs it."""
    cut_short(Path(root), assignment, student)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep
               + os.environ.get("PATH", ""))
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment,
               f"--student={student}", f"--CourseDirectory.db_url={url}",
               *(["--force"] if force else []),
               *(["--GuardedExecute.sandbox=False"] if unsandboxed else [])]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                          preexec_fn=_die_with_parent)
    return student, done.returncode, done.stdout + done.stderr


def cluster(workers: int):
    """A Dask client of a LocalCluster of ``workers`` worker processes, one thread each (a
    grading is one nbgrader process and its kernel: a core)."""
    from distributed import Client, LocalCluster

    local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=40)
    return Client(local)


def grade_on_dask(client, root: Path, assignment: str, students: list[str], url: str,
                  force: bool = False, unsandboxed: bool = False) -> dict[str, tuple[int, str]]:
    """Autograde each of ``students`` as a task on the Dask ``client``'s cluster; their
    {student: (exit status, output)} as they finish."""
    from distributed import as_completed

    futures = [client.submit(autograde_one, str(root), assignment, student, url, force,
                             unsandboxed, key=f"autograde-{assignment}-{student}", pure=False)
               for student in students]
    results = {}
    for future in as_completed(futures):
        student, status, output = future.result()
        results[student] = (status, output)
    return results


def kill_a_busy_worker(client, root: Path, assignment: str, timeout: float = 120.0) -> str | None:
    """For tests and benchmarks: wait until a worker of ``client``'s LocalCluster is well into
    grading a submission (its autograded folder made), then kill that worker's process
    (SIGKILL, as a machine that fails). Returns that student, or None if no worker got that
    far within ``timeout`` seconds."""
    import time

    pids = client.run(os.getpid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            student = keys[0].removeprefix(f"autograde-{assignment}-") if keys else None
            if student and (Path(root) / "autograded" / student / assignment).is_dir():
                os.kill(pids[address], signal.SIGKILL)
                return student
        time.sleep(0.1)
    return None

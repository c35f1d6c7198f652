"""How fast a class is graded, and what the sandbox costs: for each assignment, seconds per
submission with and without the sandbox (one worker, SQLite), and submissions per minute with
1, 2 and 4 workers on a PostgreSQL gradebook (2 and 4: a Dask LocalCluster, one task per
submission); then a class of ``--killed-class`` graded on Dask with a worker killed mid-class,
whose gradebook must be the serial one.

Each run grades, in a course directory of its own under a temporary folder, a class of
``--students`` copies of the assignment's solution with `grader.pipeline.grade` (what
`make grade` runs). ``python -m benchmarks.grading`` (``make bench-grading``) from the
project root; ``--assignments 01-pruning`` to time one. The times depend on what else the
machine is doing (and on its cores: more workers than cores buy nothing): compare runs on
an idle machine.
"""
from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import threading
import time
from pathlib import Path

from grader import engine
from grader.pipeline import (assignments, grade, gradebook_entries, local_postgres,
                             new_course, students)


HANDED_IN = "2026-01-01 00:00:00.000000 UTC"     # every copy's time: two gradebooks compare


def course_with_class(folder: Path, assignment: str, size: int, url: str | None) -> Path:
    """A course directory in ``folder`` with ``assignment`` released (recorded in the gradebook
    ``url``) and ``size`` submissions of its solution notebook."""
    course = new_course(folder, assignment, url)
    (notebook,) = (course / "solutions" / assignment).glob("*.ipynb")
    for k in range(size):
        submitted = course / "submitted" / f"student{k:03d}" / assignment
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted)
        (submitted / "timestamp.txt").write_text(HANDED_IN)
    return course


def run(assignment: str, size: int, workers: int, url: str | None,
        unsandboxed: bool = False) -> float:
    """Seconds per submission; every submission must be graded."""
    with tempfile.TemporaryDirectory() as folder:
        course = course_with_class(Path(folder), assignment, size, url)
        grading = grade(course, assignment, workers, url, unsandboxed=unsandboxed)
        if grading.failed or len(grading.graded) != size:
            raise RuntimeError(grading.summary())
        return grading.seconds / size


def killed_class(assignment: str, size: int, url: str) -> str:
    """Grade a class of ``size`` on two Dask workers, one killed mid-class, and serially on
    SQLite: a line that says whether the gradebooks agree, and the times."""
    with tempfile.TemporaryDirectory() as folder:
        course = course_with_class(Path(folder) / "dask", assignment, size, url)
        serial = course_with_class(Path(folder) / "serial", assignment, size, None)
        start = time.perf_counter()
        grade(serial, assignment)
        serial_seconds = time.perf_counter() - start
        names = students(course, assignment)
        with engine.cluster(2) as client:
            start, results = time.perf_counter(), {}
            grading = threading.Thread(target=lambda: results.update(engine.grade_on_dask(
                client, course, assignment, names, url)))
            grading.start()
            killed = engine.kill_a_busy_worker(client, course, assignment)
            grading.join()
            dask_seconds = time.perf_counter() - start
            client.cluster.close()
        same = (gradebook_entries(url, assignment, names)
                == gradebook_entries(f"sqlite:///{serial / 'gradebook.db'}", assignment, names))
        failed = [s for s, (status, _) in results.items() if status != 0]
        return (f"{assignment}, a class of {size}: serial {serial_seconds:.0f} s; two Dask workers, "
                f"the one grading {killed} killed, {dask_seconds:.0f} s; "
                f"{len(results) - len(failed)} of {size} graded; the gradebook "
                f"{'is' if same else 'is NOT'} the serial one")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grading")
    parser.add_argument("--students", type=int, default=4, help="class size (default 4)")
    parser.add_argument("--assignments", nargs="*", default=None)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--killed-class", type=int, default=60,
                        help="class size of the run with a worker killed (0: none)")
    args = parser.parse_args(argv)
    names = args.assignments or assignments()
    print(f"{args.students} submissions of each assignment's solution; one worker on SQLite "
          f"with and without the sandbox; {', '.join(map(str, args.workers))} on PostgreSQL")
    header = ["assignment", "s per submission", "unsandboxed", "sandbox costs",
              *[f"per minute ({w} on PostgreSQL)" for w in args.workers]]
    print(" | ".join(header))
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(local_postgres())
        except FileNotFoundError as missing:
            print(f"{missing}: SQLite only")
            url = None
        for name in names:
            boxed = run(name, args.students, 1, None)
            bare = run(name, args.students, 1, None, unsandboxed=True)
            row = [name, f"{boxed:.1f}", f"{bare:.1f}", f"{boxed - bare:+.1f} s"]
            for workers in args.workers if url else []:
                # each run on an empty gradebook: release records the assignment afresh
                row.append(f"{60 / run(name, args.students, workers, url):.1f}")
                _empty(url)
            print(" | ".join(row), flush=True)
        if url and args.killed_class:
            print(killed_class(names[0], args.killed_class, url), flush=True)


def _empty(url: str) -> None:
    """Drop every table of the gradebook at ``url`` (the next run creates them again)."""
    from sqlalchemy import MetaData, create_engine

    engine_ = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine_)
    metadata.drop_all(engine_)
    engine_.dispose()


if __name__ == "__main__":
    main()

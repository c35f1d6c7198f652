"""How fast a class is graded: seconds per submission for each assignment, and submissions
per minute with 1 and 2 nbgrader workers on a PostgreSQL gradebook.

Each run grades, in a course directory of its own under a temporary folder, a class of
``--students`` copies of the assignment's solution with `grader.pipeline.grade` (what
`make grade` runs). ``python -m benchmarks.grading`` (``make bench-grading``) from the
project root; ``--assignments 01-pruning`` to time one. The times depend on what else the
machine is doing: compare runs on an idle machine.
"""
from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from pathlib import Path

from grader.pipeline import assignments, grade, local_postgres, new_course


def course_with_class(folder: Path, assignment: str, students: int, url: str | None) -> Path:
    """A course directory in ``folder`` with ``assignment`` released (recorded in the gradebook
    ``url``) and ``students`` submissions of its solution notebook."""
    course = new_course(folder, assignment, url)
    (notebook,) = (course / "solutions" / assignment).glob("*.ipynb")
    for k in range(students):
        submitted = course / "submitted" / f"student{k:03d}" / assignment
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted)
    return course


def run(assignment: str, students: int, workers: int, url: str | None) -> float:
    """Submissions graded per minute; every submission must be graded."""
    with tempfile.TemporaryDirectory() as folder:
        course = course_with_class(Path(folder), assignment, students, url)
        grading = grade(course, assignment, workers, url)
        if grading.failed or len(grading.graded) != students:
            raise RuntimeError(grading.summary())
        return grading.per_minute


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grading")
    parser.add_argument("--students", type=int, default=4, help="class size (default 4)")
    parser.add_argument("--assignments", nargs="*", default=None)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args(argv)
    names = args.assignments or assignments()
    print(f"{args.students} submissions of each assignment's solution; SQLite with one worker, "
          f"PostgreSQL with {', '.join(map(str, args.workers))}")
    header = ["assignment", "s per submission", "per minute (1 on SQLite)",
              *[f"per minute ({w} on PostgreSQL)" for w in args.workers]]
    print(" | ".join(header))
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(local_postgres())
        except FileNotFoundError as missing:
            print(f"{missing}: SQLite only")
            url = None
        for name in names:
            serial = run(name, args.students, 1, None)
            row = [name, f"{60 / serial:.1f}", f"{serial:.1f}"]
            for workers in args.workers if url else []:
                # each run on an empty gradebook: release records the assignment afresh
                row.append(f"{run(name, args.students, workers, url):.1f}")
                _empty(url)
            print(" | ".join(row), flush=True)


def _empty(url: str) -> None:
    """Drop every table of the gradebook at ``url`` (the next run creates them again)."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


if __name__ == "__main__":
    main()

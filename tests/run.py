"""`make test`: every test as a set of jobs run side by side, one per core, longest chain first.

A job is one pytest run: one chapter executed by nbval (which stores it in the book's
execution cache, tests/nbval_cache.py), the unit tests, the grading round trip of one
assignment, the book build, its pages in a browser, the exercises in JupyterLab. Some wait
for others (the book builds from the executed chapters; its pages are read once it is built).
Whenever a worker is free it takes, of the jobs whose predecessors have passed, the one with
the longest chain of work still behind it (its own time plus the longest chain after it), so
the jobs that hold up the rest start first and the short ones fill the gaps. Times come from
the last run (``_build/test-times.json``), else from the estimates below.

Each job's output goes to ``_build/test-logs/<job>.log`` and is printed when the job ends;
the run ends with where the time went (``make bench`` prints it again) and one line that
counts the tests of every job. Use: ``python -m tests.run [--workers N] [JOB ...]``.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.nbval_cache import chapters

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
LOGS = BUILD / "test-logs"
TIMES = BUILD / "test-times.json"
NBVAL = BUILD / "nbval"
PYTEST = [sys.executable, "-m", "pytest"]
REBUILD = "test_a_rebuild_gives_the_same_figures"    # a job of its own, after its chapter
# the grading and browser tests that are jobs of their own; the unit tests are the rest
OWN_JOBS = ("tests/test_grading.py", "tests/test_book.py", "tests/test_reading.py",
            "tests/test_lab.py")


@dataclass
class Job:
    """One pytest run: ``args`` after ``python -m pytest``; it starts once the jobs ``after``
    have passed; ``estimate`` is its seconds when no run has been timed yet."""
    name: str
    args: list[str]
    after: tuple[str, ...] = ()
    estimate: float = 60.0
    env: dict[str, str] = field(default_factory=dict)


def convert() -> None:
    """Each chapter to _build/nbval/<chapter>.ipynb, the form nbval collects."""
    import jupytext

    NBVAL.mkdir(parents=True, exist_ok=True)
    for stale in NBVAL.glob("*.ipynb"):
        stale.unlink()
    for chapter in chapters():
        jupytext.write(jupytext.read(chapter), NBVAL / f"{chapter.stem}.ipynb")


def jobs() -> dict[str, Job]:
    """Every job of `make test`; the estimates are seconds seen on a 2-core machine."""
    from grader.pipeline import assignments

    table: list[Job] = []
    for chapter in chapters():
        table.append(Job(f"chapter {chapter.stem}", ["-p", "tests.nbval_cache", "--nbval-lax",
                                                      str(NBVAL / f"{chapter.stem}.ipynb")],
                         estimate=55))
    executed = tuple(job.name for job in table)
    names = assignments()
    table.append(Job("unit tests", ["tests", *(f"--ignore={p}" for p in OWN_JOBS),
                                    "tests/test_grading.py", "-k", "not (" + " or ".join(names) + ")"],
                     estimate=30))
    for name in names:
        table.append(Job(f"grading {name}", ["tests/test_grading.py", "-k", name], estimate=100))
    table.append(Job("book", ["tests/test_book.py", "-k", f"not {REBUILD}"], after=executed,
                     estimate=30, env={"BOOK_FROM_CACHE": "1"}))
    table.append(Job("a rebuild gives the same figures", [f"tests/test_book.py::{REBUILD}"],
                     after=("chapter measuring",), estimate=30))
    table.append(Job("pages in a browser", ["tests/test_reading.py"], after=("book",), estimate=90))
    table.append(Job("exercises in JupyterLab", ["tests/test_lab.py"], estimate=150))
    return {job.name: job for job in table}


def _chain(table: dict[str, Job], seconds: dict[str, float]) -> dict[str, float]:
    """Each job's own seconds plus the longest chain of jobs that wait for it."""
    after: dict[str, list[str]] = {name: [] for name in table}
    for job in table.values():
        for before in job.after:
            after[before].append(job.name)
    chain: dict[str, float] = {}

    def length(name: str) -> float:
        if name not in chain:
            chain[name] = seconds[name] + max((length(n) for n in after[name]), default=0.0)
        return chain[name]

    for name in table:
        length(name)
    return chain


def _counts(log: str) -> dict[str, int]:
    """The counts of pytest's closing line ("3 passed, 1 skipped in 2.0s")."""
    lines = [line for line in log.splitlines() if re.search(r"=+ .* in [0-9.]+s", line)]
    found = re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)",
                       lines[-1] if lines else "")
    counts: dict[str, int] = {}
    for number, what in found:
        what = "error" if what.startswith("error") else what
        counts[what] = counts.get(what, 0) + int(number)
    return counts


def run(table: dict[str, Job], workers: int) -> int:
    """Run the jobs on ``workers`` workers; print each log as it ends, then a summary."""
    LOGS.mkdir(parents=True, exist_ok=True)
    recorded = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    seconds = {name: recorded.get(name, job.estimate) for name, job in table.items()}
    chain = _chain(table, seconds)
    waiting, running, done = dict(table), {}, {}
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = time.perf_counter()
    while waiting or running:
        ready = [j for j in waiting.values() if all(done.get(b, (None,))[0] == 0 for b in j.after)]
        blocked = [j for j in waiting.values()
                   if any(b in done and done[b][0] != 0 for b in j.after)]
        for job in blocked:                     # a job whose predecessor failed does not run
            del waiting[job.name]
            done[job.name] = (None, 0.0, f"not run: {', '.join(job.after)} did not pass\n")
            print(f"[{time.perf_counter() - start:6.0f} s] NOT RUN  {job.name}", flush=True)
        for job in sorted(ready, key=lambda j: -chain[j.name])[:workers - len(running)]:
            del waiting[job.name]
            log = open(LOGS / f"{re.sub(r'[^A-Za-z0-9.-]+', '-', job.name)}.log", "w+")
            process = subprocess.Popen([*PYTEST, *job.args, "--durations=5"], cwd=ROOT,
                                       env=dict(env, **job.env), stdout=log,
                                       stderr=subprocess.STDOUT)
            running[job.name] = (process, log, time.perf_counter())
        if not running:
            if waiting:      # nothing can start: a cycle, which jobs() never makes
                raise RuntimeError(f"jobs that can never start: {sorted(waiting)}")
            break
        time.sleep(0.2)
        for name, (process, log, began) in list(running.items()):
            if process.poll() is None:
                continue
            del running[name]
            log.seek(0)
            text = log.read()
            log.close()
            took = time.perf_counter() - began
            done[name] = (process.returncode, took, text)
            verdict = "passed" if process.returncode == 0 else "FAILED"
            print(f"\n[{time.perf_counter() - start:6.0f} s] ---- {name}: {verdict} in "
                  f"{took:.0f} s ----\n{text}", flush=True)
    wall = time.perf_counter() - start
    timed = {name: took for name, (code, took, _) in done.items() if code == 0}
    TIMES.write_text(json.dumps(dict(recorded, **timed), indent=1, sort_keys=True))
    summary(done, wall, workers)
    return 0 if all(code == 0 for code, _, _ in done.values()) else 1


def summary(done: dict[str, tuple], wall: float, workers: int) -> None:
    """Where the time went, and one line counting every job's tests."""
    total: dict[str, int] = {}
    print(f"\n---- where the time went: {wall:.0f} s on {workers} workers, "
          f"{sum(t for _, t, _ in done.values()):.0f} s of jobs ----")
    for name, (code, took, text) in sorted(done.items(), key=lambda item: -item[1][1]):
        counts = _counts(text)
        for what, number in counts.items():
            total[what] = total.get(what, 0) + number
        state = "passed" if code == 0 else "not run" if code is None else "FAILED"
        print(f"{took:7.1f} s  {state:8}{name}")
    failed = [name for name, (code, _, _) in done.items() if code != 0]
    if failed:
        print(f"failed or not run: {', '.join(failed)}")
    print(f"tests: {total.get('passed', 0)} passed, {total.get('failed', 0) + total.get('error', 0)}"
          f" failed, {total.get('skipped', 0)} skipped")


def print_times() -> None:
    """The seconds of each job of the last `make test` (for `make bench`)."""
    if not TIMES.exists():
        print("\nno `make test` has been timed here yet (_build/test-times.json)")
        return
    times = json.loads(TIMES.read_text())
    print(f"\nthe last `make test`, job by job ({TIMES.relative_to(ROOT)}; each job's last pass):")
    for name, seconds in sorted(times.items(), key=lambda item: -item[1]):
        print(f"{seconds:7.1f} s  {name}")
    print(f"{sum(times.values()):7.1f} s  in all, on {os.cpu_count()} workers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.run", description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("jobs", nargs="*", help="run only these jobs (and nothing they wait for)")
    args = parser.parse_args(argv)
    convert()
    table = jobs()
    if args.jobs:
        unknown = sorted(set(args.jobs) - set(table))
        if unknown:
            parser.error(f"no job {unknown}; the jobs are {sorted(table)}")
        table = {name: Job(**dict(vars(table[name]), after=())) for name in args.jobs}
    return run(table, args.workers)


if __name__ == "__main__":
    sys.exit(main())

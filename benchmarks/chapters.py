"""How long each chapter takes to execute, and the totals: the budget a new chapter's author
checks (GUIDE: about a minute per chapter on a 2-core CPU).

Reads what the last execution of each chapter, as its code is now, left behind:
- the execution cache (``_build/.jupyter_cache``, filled by ``make book`` or ``make test``):
  the wall-clock seconds the whole notebook took, kernel start included;
- the figures the chapter records (``_build/figures/<chapter>.json``): ``seconds`` (or
  ``execution_seconds``) and ``cpu_seconds`` measured inside the chapter, when it records them.

``make bench`` executes the chapters that are not cached, then runs this
(``python -m benchmarks.chapters`` from the project root). The times depend on
what else the machine was doing: compare runs on an idle machine.
"""
from __future__ import annotations

import heapq
import os
from pathlib import Path

from jupyter_cache import get_cache

from support.figures import read
from tests import run as make_test
from tests.nbval_cache import CACHE, chapters, read_chapter

WORKERS = os.cpu_count() or 1      # `make book` executes this many chapters at a time
BUDGET_SECONDS = 60                # GUIDE: every chapter executes in about a minute


def executed_seconds(cache, chapter: Path) -> float | None:
    """Wall seconds of the cached execution of the chapter's current code (None: not cached)."""
    try:
        record = cache.match_cache_notebook(read_chapter(chapter))
    except KeyError:
        return None
    return record.data.get("execution_seconds")


def parallel_seconds(times: list[float], workers: int) -> float:
    """Wall time of executing ``times`` on ``workers`` processes, longest first."""
    finish = [0.0] * workers
    for t in sorted(times, reverse=True):
        heapq.heapreplace(finish, finish[0] + t)
    return max(finish)


def main() -> None:
    cache = get_cache(str(CACHE))
    rows, missing = [], []
    for chapter in chapters():
        wall = executed_seconds(cache, chapter)
        figures = read(chapter.stem)
        if wall is None:
            missing.append(chapter.stem)
        seconds = figures.get("seconds", figures.get("execution_seconds"))   # both names in use
        rows.append((chapter.stem, wall, seconds, figures.get("cpu_seconds")))

    def cell(value):
        return f"{value:9.1f}" if isinstance(value, (int, float)) else f"{'-':>9}"

    print(f"{'chapter':<18}{'executed':>9}{'in-chapter':>11}{'cpu':>9}   (seconds)")
    for name, wall, seconds, cpu in rows:
        flag = "  over the budget" if wall and wall > BUDGET_SECONDS else ""
        print(f"{name:<18}{cell(wall)}  {cell(seconds)}{cell(cpu)}{flag}")
    times = [wall for _, wall, _, _ in rows if wall is not None]
    print(f"{'total':<18}{cell(sum(times))}  {cell(sum(r[2] or 0 for r in rows))}"
          f"{cell(sum(r[3] or 0 for r in rows))}")
    print(f"\n{len(times)} chapters executed, {sum(times) / 60:.1f} min one after another; "
          f"{parallel_seconds(times, WORKERS) / 60:.1f} min at least with {WORKERS} at a time "
          f"(`make book`, longest first). Budget: about {BUDGET_SECONDS} s per chapter.")
    print("executed: the whole notebook, from the execution cache; in-chapter and cpu: what "
          "the chapter recorded (seconds, cpu_seconds), '-' where it records none.")
    if missing:
        print(f"not in the cache, so not timed: {', '.join(missing)} (run `make book`)")
    make_test.print_times()


if __name__ == "__main__":
    main()

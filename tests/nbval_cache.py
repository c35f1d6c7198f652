"""A pytest plugin that makes each chapter execute once per `make test`.

nbval executes every chapter (converted to ``_build/nbval/<chapter>.ipynb``) cell by cell.
This plugin keeps what each cell printed and, once a chapter has passed, stores the executed
chapter in Jupyter Book's execution cache (jupyter-cache, ``_build/.jupyter_cache``), keyed as
Jupyter Book keys it: by the code of the chapter as myst-nb reads it from ``book/``. The book
build that follows (``execute_notebooks: cache``) finds every chapter there and renders it
without executing it again. A chapter that fails is not stored.

Use: ``python -m pytest -p tests.nbval_cache --nbval-lax _build/nbval``.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"

_cells: dict[Path, list] = {}        # notebook -> outputs of each code cell (None: failed)
_seconds: dict[Path, float] = {}      # notebook -> seconds its cells took


def chapters() -> list[Path]:
    """The chapters that run code, in book/."""
    return sorted(p for p in (ROOT / "book").glob("*.md") if "{code-cell}" in p.read_text())


def read_chapter(path: Path) -> nbformat.NotebookNode:
    """The chapter as myst-nb (and so Jupyter Book) reads it."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    return read_myst_markdown_notebook(path.read_text("utf8"), MdParserConfig(),
                                       add_source_map=True, path=str(path))


def store(chapter: Path, outputs: list, seconds: float) -> bool:
    """Put ``chapter`` with these code-cell outputs into the execution cache."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    nb = read_chapter(chapter)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if len(code) != len(outputs):
        return False
    for count, (cell, outs) in enumerate(zip(code, outputs), start=1):
        cell.outputs = [nbformat.from_dict(dict(out)) for out in outs]
        cell.execution_count = count
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = count
    get_cache(str(CACHE)).cache_notebook_bundle(
        CacheBundleIn(nb, str(chapter), data={"execution_seconds": seconds}),
        check_validity=False, overwrite=True)
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not hasattr(item, "test_outputs") or report.when != "call":
        return
    notebook = Path(str(item.parent.path))
    _seconds[notebook] = _seconds.get(notebook, 0.0) + call.duration
    passed = report.passed and item.test_outputs is not None
    _cells.setdefault(notebook, []).append(list(item.test_outputs) if passed else None)


def pytest_sessionfinish(session):
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "support.stamp").touch()           # the cache matches support/ as it is now
    for notebook, outputs in _cells.items():
        chapter = ROOT / "book" / f"{notebook.stem}.md"
        if chapter.exists() and all(out is not None for out in outputs):
            if not store(chapter, outputs, _seconds[notebook]):
                session.config.get_terminal_writer().line(
                    f"nbval_cache: {chapter.name} has a different number of code cells "
                    "than its notebook; not cached")

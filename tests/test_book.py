"""The book builds with every chapter executed and warnings as errors, and every chapter
that runs code records its headline figures."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.figures import figures_dir
from grader.pipeline import ROOT


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in [toc] + toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return files


def test_every_chapter_is_in_the_toc_and_exists():
    files = _toc_files()
    chapters = sorted(str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").glob("*.md"))
    assert sorted(files) == chapters, "each file in book/ needs one line in _toc.yml"


def test_chapters_that_run_code_record_figures():
    for name in _toc_files():
        text = (ROOT / f"{name}.md").read_text()
        if "{code-cell}" in text:
            assert re.search(r"\brecord\(", text), f"{name}.md runs code but records no figures"


def test_chapters_pick_colours_from_the_course_palette():
    """support/matplotlibrc sets a colour-blind-safe cycle; a chapter that names matplotlib's
    default (Tableau) colours instead would step outside it: "C0", "C1"... follow the cycle."""
    for name in _toc_files():
        found = sorted(set(re.findall(r"""["']tab:\w+["']""", (ROOT / f"{name}.md").read_text())))
        assert not found, f"{name}.md names {', '.join(found)}: use the cycle's \"C0\", \"C1\"..."


def test_book_builds_with_warnings_as_errors():
    """Build the book as `make book` does, into _build/html. Under `make test` nbval has just
    executed every chapter into the execution cache (BOOK_FROM_CACHE=1): then the build must
    execute none of them again."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    result = subprocess.run(
        ["jupyter-book", "build", "--all", "-W", "-n", "--keep-going", str(ROOT)],
        cwd=ROOT, env=env, capture_output=True, text=True)
    log = result.stdout + result.stderr
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    html = ROOT / "_build" / "html"
    assert (html / "index.html").exists()
    for name in _toc_files():
        assert (html / f"{name}.html").exists()
    if os.environ.get("BOOK_FROM_CACHE") == "1":
        executed = re.findall(r"(\S+\.md): Executing notebook", log)
        assert not executed, f"executed again instead of read from the cache: {executed}"
    for name in _toc_files():
        if "{code-cell}" in (ROOT / f"{name}.md").read_text():
            stem = Path(name).name
            assert (figures_dir() / f"{stem}.json").exists(), f"{stem} recorded no figures"
    assert '"baselines"' in (figures_dir() / "measuring.json").read_text()


def _without_timings(value):
    """A recorded figure with every timing (a key that names latency, ms or seconds) left out."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items()
                if not any(t in k for t in ("latency", "_ms", "seconds"))}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_a_rebuild_gives_the_same_figures(tmp_path, monkeypatch):
    """Execute the measuring chapter again, this time with two threads allowed (as `make book`
    runs on a two-core machine, while `make test` runs one thread per stream), and compare its
    recorded figures with those of the run before it, timings aside. A chapter that trains on
    however many threads the machine has fails this: its sums round differently."""
    import jupytext
    from nbclient import NotebookClient

    first = figures_dir() / "measuring.json"
    if not first.exists():
        pytest.skip("the measuring chapter has not run yet (nbval or a book build records it)")
    monkeypatch.setenv("COMPRESSION_FIGURES", str(tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    notebook = jupytext.read(ROOT / "book" / "measuring.md")
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "book")}}).execute()
    again = json.loads((tmp_path / "measuring.json").read_text())
    assert _without_timings(again) == _without_timings(json.loads(first.read_text()))

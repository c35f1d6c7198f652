"""The book builds with every chapter executed and warnings as errors, and every chapter
that runs code records its headline figures."""
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from support.figures import figures_dir
from support.grading import ROOT


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

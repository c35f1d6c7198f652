"""The book builds with every chapter executed and warnings as errors, and every chapter
that runs code records its headline figures."""
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

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


def test_book_builds_with_warnings_as_errors(tmp_path):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               COMPRESSION_FIGURES=str(tmp_path / "figures"))
    result = subprocess.run(
        ["jupyter-book", "build", "--all", "-W", "-n", "--keep-going",
         "--path-output", str(tmp_path), str(ROOT)],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    html = tmp_path / "_build" / "html"
    assert (html / "index.html").exists()
    for name in _toc_files():
        assert (html / f"{name}.html").exists()
    figures = tmp_path / "figures"
    assert (figures / "measuring.json").exists(), "the measuring chapter records its baseline"
    assert '"baselines"' in (figures / "measuring.json").read_text()

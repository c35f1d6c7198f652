"""Each exercise as a student meets it: JupyterLab started from the venv on a free local port,
the released notebook opened in headless Chromium with every answer cell filled in from the
solution, all cells run from the Run menu: none may fail. On VALIDATE_ON, nbgrader's own
Validate button (nbgrader's Lab extension) is pressed too, and the page must report success:
the button is the same on every exercise, and it executes the notebook once more, which the
grading round trips already do for every solution (tests/test_grading.py). A screenshot of
each notebook is kept in ``_build/screenshots/lab/``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from grader.pipeline import ROOT, assignments, to_notebook
from tests.browser import chromium, free_port

SHOTS = ROOT / "_build" / "screenshots" / "lab"
START_SECONDS = 90            # JupyterLab's start, on a busy 2-core machine
RUN_SECONDS = 300             # running every cell of one exercise
VALIDATE_SECONDS = 300        # nbgrader validate executes the notebook once more
SUCCESS = "Success! Your notebook passes all the tests."
VALIDATE_ON = ("03-quantization",)   # its visible checks run the challenge as the grader does


def solved(assignment: str) -> nbformat.NotebookNode:
    """The released notebook of ``assignment`` with every answer cell holding the solution."""
    source = ROOT / "solutions" / assignment / f"{assignment}.py"
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in to_notebook(source).cells
               if (c.metadata.get("nbgrader") or {}).get("solution")}
    nb = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = (cell.metadata.get("nbgrader") or {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id]
    return nb


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server, started as the README tells a student, on a copy of the course
    folder holding the solved exercises; yields its URL and token."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for assignment in assignments():
        folder = course / "exercises" / assignment
        folder.mkdir(parents=True)
        nbformat.write(solved(assignment), folder / f"{assignment}.ipynb")
    # no "get notified about Jupyter news?" toast over the notebook
    labconfig = course / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = free_port(), "course-test"
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"],
               JUPYTER_CONFIG_DIR=str(course / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(course / ".jupyter" / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(course / ".jupyter" / "lab" / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(course / ".jupyter" / "lab" / "workspaces"))
    log = open(course / "lab.log", "w")
    server = subprocess.Popen(
        [str(Path(bin_dir) / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0",
         "--allow-root",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(course / 'lab.log').read_text()}")
                time.sleep(0.5)
        yield {"url": url, "token": token, "log": course / "lab.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def context():
    """One headless Chromium context for every exercise, a page each: JupyterLab's scripts
    are fetched and compiled once, then come from the context's caches."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context
        context.close()


@pytest.mark.parametrize("assignment", assignments())
def test_solved_exercise_runs_in_jupyterlab(lab, context, assignment):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    path = f"exercises/{assignment}/{assignment}.ipynb"
    try:
        page.goto(f"{lab['url']}/lab/tree/{path}?token={lab['token']}&reset")
        notebook = page.locator(".jp-NotebookPanel").first
        notebook.wait_for(timeout=START_SECONDS * 1000)
        # the kernel has started when the status bar says so
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
            ".some(e => /\\| Idle$/.test(e.textContent.trim()))", timeout=START_SECONDS * 1000)

        # Run > Run All Cells, as a student would
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        # until every code cell has run, or one has failed (Lab then stops running the rest)
        state = page.wait_for_function(
            """() => {
              const failed = [...document.querySelectorAll('.jp-OutputArea-output')]
                  .find(o => o.textContent.includes('Traceback (most recent call last)'));
              if (failed) return failed.textContent;
              const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
              const idle = [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                  .some(e => /\\| Idle$/.test(e.textContent.trim()));
              return idle && prompts.length > 0
                  && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)) && "ran";
            }""", timeout=RUN_SECONDS * 1000, polling=500).json_value()
        ran = "" if state == "ran" else f"\nRun All Cells stopped at an error:\n{state[:2000]}"
        text = ""
        if assignment in VALIDATE_ON:
            # nbgrader's Validate button in the notebook's toolbar: it saves, then validates
            page.locator(".validate-button").first.click()
            dialog = page.locator(".jp-Dialog")
            dialog.wait_for(timeout=VALIDATE_SECONDS * 1000)
            text = dialog.inner_text()
        page.screenshot(path=SHOTS / f"{assignment}.png")
        assert not ran, f"{assignment}, solved:{ran}"
        assert assignment not in VALIDATE_ON or SUCCESS in text, (
            f"{assignment}, solved: nbgrader's Validate said:\n{text[:3000]}")
    finally:
        page.close()

"""grader.sandbox: a submission's kernel, started as grading starts it, tries to get out.

The course directory of the test holds the instructor's solutions, a gradebook and a
classmate's submission; the kernel runs in one student's folder with a listening TCP server
on the machine's loopback. Each attempt must fail, and leave the course as it was.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader import sandbox

pytestmark = pytest.mark.skipif(sandbox.unavailable() is not None,
                                reason=f"no sandbox here: {sandbox.unavailable()}")

MARK = "313.25"     # a sleep that a submission leaves behind, found by its argument
ATTEMPTS = {
    "solutions": "open('../../../solutions/00-measuring/00-measuring.ipynb').read()",
    "gradebook": "open('../../../gradebook.db', 'rb').read()",
    "classmate": "os.listdir('../../bob/00-measuring')",
    "solutions by their full path": "os.listdir(COURSE + '/solutions')",
    "the course beside its folder": "assert os.listdir(COURSE) == ['submitted'] and "
                                    "os.listdir(COURSE + '/submitted') == ['alice'], 'seen'; "
                                    "raise PermissionError('only the way to its own folder')",
    "network": "socket.create_connection(('127.0.0.1', PORT), timeout=2)",
    "gradebook URL": "assert 'GRADEBOOK_URL' not in os.environ, 'the grader environment leaks'; "
                     "raise PermissionError('no variable')",
    "fork bomb": "procs = [subprocess.Popen(['sleep', '30']) for _ in range(200)]",
    "disk": "open('big', 'wb').write(b'x' * (600 * 2**20))",
    "course package": "open(support.__file__, 'a').write('# changed')",
}


def _notebook(port: int, course: Path) -> nbformat.NotebookNode:
    setup = ("import os, socket, subprocess, support\n"
             f"PORT, COURSE = {port}, {str(course)!r}\n"
             "open('mine.txt', 'w').write('written')     # its own folder: writable\n"
             f"leftover = subprocess.Popen(['sleep', '{MARK}'], start_new_session=True)")
    cells = [nbformat.v4.new_code_cell(setup)]
    cells += [nbformat.v4.new_code_cell(f"# {name}\n{code}") for name, code in ATTEMPTS.items()]
    return nbformat.v4.new_notebook(cells=cells)


def _leftovers(mark: str = MARK) -> list[int]:
    """The processes whose command line holds ``mark``."""
    found = []
    for process in Path("/proc").iterdir():
        try:
            if process.name.isdigit() and mark in (process / "cmdline").read_text():
                found.append(int(process.name))
        except OSError:
            continue
    return found


@pytest.fixture
def course(tmp_path):
    course = tmp_path / "course"
    (course / "solutions" / "00-measuring").mkdir(parents=True)
    (course / "solutions" / "00-measuring" / "00-measuring.ipynb").write_text("the answers")
    (course / "gradebook.db").write_bytes(b"grades")
    for student in ("alice", "bob"):
        folder = course / "submitted" / student / "00-measuring"
        folder.mkdir(parents=True)
        (folder / "00-measuring.ipynb").write_text(f"{student}'s notebook")
    return course


def test_a_submission_cannot_reach_out(course, monkeypatch):
    monkeypatch.setenv("GRADEBOOK_URL", "postgresql://grader:secret@/gradebook")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    folder = course / "submitted" / "alice" / "00-measuring"
    nb = _notebook(port, course)
    client = NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3",
                            kernel_manager_class=sandbox.SandboxedKernelManager,
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    finally:
        server.close()
    setup, *attempts = nb.cells
    assert not [o for o in setup.outputs if o.output_type == "error"], setup.outputs
    for name, cell in zip(ATTEMPTS, attempts):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"{name}: the attempt succeeded: {cell.outputs}"
        assert errors[0].ename != "AssertionError", f"{name}: {errors[0].evalue}"
    # the course is as it was; the kernel wrote in a private copy of its folder
    assert (course / "gradebook.db").read_bytes() == b"grades"
    assert (folder / "00-measuring.ipynb").read_text() == "alice's notebook"
    assert not (folder / "mine.txt").exists() and not (folder / "big").exists()
    # every process the kernel started ended with it
    deadline = time.monotonic() + 5
    while _leftovers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _leftovers(), "a process the submission started outlived its grading"


def test_the_kernel_sees_the_course_package_and_its_own_folder(course):
    folder = course / "submitted" / "bob" / "00-measuring"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, support.measure\nprint(sorted(os.listdir('.')), os.getcwd() == "
        f"{str(folder)!r}, support.measure.bytes_at_bits(10, 4))")])
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   kernel_manager_class=sandbox.SandboxedKernelManager,
                   resources={"metadata": {"path": str(folder)}}).execute()
    assert nb.cells[0].outputs[0].text.strip() == "['00-measuring.ipynb'] True 5"


def test_unavailable_says_why(monkeypatch):
    sandbox.unavailable.cache_clear()
    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)
    try:
        assert "bubblewrap is not installed" in sandbox.unavailable()
    finally:
        sandbox.unavailable.cache_clear()


def test_grading_without_a_sandbox_is_refused_unless_asked(tmp_path, monkeypatch):
    from grader import pipeline

    monkeypatch.setattr(sandbox, "unavailable", lambda: "no bwrap here")
    with pytest.raises(ValueError, match="UNSANDBOXED=yes"):
        pipeline.grade(tmp_path, "00-measuring")


WITHHELD_TRIES = """
import support, support.distill as distill, torch
from support.distill import distillation_loss as alias
assert support.__file__.startswith(COPY), support.__file__
s, t, y = torch.randn(4, 3), torch.randn(4, 3), torch.tensor([0, 1, 2, 0])


def wrapper(*args, **kwargs):
    return alias(*args, **kwargs)


for name, call in [("direct", lambda: distill.distillation_loss(s, t, y, 2.0, 0.5)),
                   ("alias", lambda: alias(s, t, y, 2.0, 0.5)),
                   ("wrapper", lambda: wrapper(s, t, y, 2.0, 0.5))]:
    try:
        call()
    except NotImplementedError as error:
        assert "is withheld while your notebook is graded" in str(error), error
    else:
        raise AssertionError(name + " reached the course's own function")
teacher = torch.nn.Linear(5, 3)                     # the course's own code may still call it
loss = distill.loss_fn(teacher, 2.0, 0.5)(s, torch.randn(4, 5), y)
print("inside the course:", float(loss))
"""


def test_withheld_functions_answer_only_the_course(tmp_path):
    import subprocess
    import sys

    copy = sandbox.withheld_support(["support.distill.distillation_loss"], tmp_path)
    done = subprocess.run([sys.executable, "-c", f"COPY = {str(copy)!r}\n" + WITHHELD_TRIES],
                          env=dict(os.environ, PYTHONPATH=str(copy.parent)), cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    with pytest.raises(ValueError, match="no top-level function or class"):
        sandbox.withheld_support(["support.distill.no_such_thing"], tmp_path / "other")


def test_a_course_under_tmp_is_mounted_over_the_private_tmp(tmp_path, monkeypatch):
    """bwrap mounts in order: the kernel's own /tmp must come before a course or venv that
    lies under /tmp on this machine (a CI clone), or it would hide them."""
    monkeypatch.setattr(sandbox, "readable", lambda support=None: [(tmp_path, tmp_path)])
    argv = sandbox.command(["/bin/true"], tmp_path / "work", tmp_path / "sockets", {})
    private_tmp = argv.index("--tmpfs")
    assert argv[private_tmp + 1] == "/tmp"
    assert argv.index(str(tmp_path)) > private_tmp


APART = '''
import os, subprocess, sys
import torch

from support import cache, models

HELD = torch.arange(3.0)          # a constant of the notebook's: it travels with the function


def takes_its_time(model):
    """Leaves a process computing behind, computes itself, and looks around."""
    subprocess.Popen([sys.executable, "-c", "while True: pass"])
    total = 0
    for step in range(3_000_000):
        total += step
    return bytes([len(list(cache.folder().glob("*.pt"))), int(HELD.sum()),
                  len(model.state_dict())])


def rebuilds(data):
    return models.cnn1d()


def loops(data):
    while True:
        pass
'''


def test_a_function_runs_apart_counted_and_alone(tmp_path):
    """grader.apart: a function of a notebook, sent by value, runs in a fresh sandbox of its
    own; its CPU time counts the processes it starts, which end with it; it sees none of the
    cache's trained models; a function that runs on is stopped at its limit."""
    from grader import apart, probe
    from support import models

    namespace = {"__name__": "__main__"}
    exec(APART, namespace)
    functions = bytes(probe.pickled(namespace["takes_its_time"], namespace["rebuilds"],
                                    namespace["loops"]).tobytes())
    (first,) = apart.call(functions, 0, [models.cnn1d()], seconds=20)
    assert first.error is None, first.error
    assert first.value == bytes([0, 3, len(models.cnn1d().state_dict())])
    assert first.cpu_seconds > 0.1
    (rebuilt,) = apart.call(functions, 1, [b""])
    assert sorted(rebuilt.value) == sorted(models.cnn1d().state_dict())
    (stopped,) = apart.call(functions, 2, [b""], seconds=1)
    assert stopped.value is None and "ended without a value" in stopped.error
    assert 1 <= stopped.cpu_seconds < 4
    assert not _leftovers("while True: pass"), "a process outlived its call"

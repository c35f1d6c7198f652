"""What the course adds to nbgrader's autograding and feedback (``nbgrader_config.py`` puts
these preprocessors in the places of nbgrader's own):

- ``GuardedExecute`` runs a submission like nbgrader's ``Execute``, with its kernel in a
  sandbox (`grader.sandbox`: its own folder, the course package, no network, no other file
  of the course; limits on memory, CPU, processes and bytes written), so a cell that
  allocates without end fails with an out-of-memory error instead of taking the machine; and
  a kernel that dies (``os._exit``, a crash) is recorded on the cell that killed it, the cells
  after it marked as not run, so the tests that passed before it keep their points (nbgrader
  alone drops the whole submission). Unsandboxed (``sandbox = False``, only when the
  instructor asks for it), only the memory limit holds. Its verdicts are the grader's
  (`grader.verdicts`): each test cell's checks, sent from the kernel, against the instructor's
  notebook's, which it runs once; a judged challenge's score, set in place of the kernel's.
- ``LimitOutputSize`` limits every output to a number of characters as well as nbgrader's
  number of lines, so a submission that prints tens of megabytes is graded and stored small.
- ``HideHiddenTests``, for feedback, removes the hidden tests from the test cells and every
  traceback frame that would quote them, and every line of any output that quotes a hidden
  line (a submission can capture a test cell's source while it runs, and print it): the
  student sees each test's score, exception and message, and where it failed, but not the
  hidden code.
"""
from __future__ import annotations

import re
import resource
import shutil
import tempfile
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, Execute, LimitOutput
from traitlets import Bool, Float, Integer

from grader import sandbox as _sandbox
from grader import verdicts

__all__ = ["GuardedExecute", "LimitOutputSize", "HideHiddenTests", "instructors_checks",
           "KERNEL_DIED", "NOT_RUN", "HIDDEN_CHECK"]

KERNEL_DIED = "KernelDied"   # the error recorded on the cell during which the kernel died
NOT_RUN = "NotRun"           # ... and on every code cell after it
HIDDEN_CHECK = "HiddenCheckError"   # a test cell whose checks differ from the instructor's


def _score(points: float, why: str | None) -> NotebookNode:
    return NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                        data={"text/plain": f"{points:g}"} if not why else
                        {"text/plain": f"{points:g}", "text/markdown": f"{points:g} ({why})"})


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's Execute, with the kernel sandboxed and limited, and a dying kernel recorded."""

    sandbox = Bool(True, help="run each kernel in grader.sandbox (False: only when every "
                   "submission is trusted)").tag(config=True)
    memory_limit = Float(4.0, help="GiB of memory (the data segment, RLIMIT_DATA) each "
                         "kernel may allocate; 0 for no limit").tag(config=True)
    cpu_seconds = Integer(_sandbox.Limits.cpu_seconds, help="CPU seconds of each sandboxed "
                          "kernel").tag(config=True)
    processes = Integer(_sandbox.Limits.processes, help="processes of each sandboxed kernel "
                        "at once").tag(config=True)
    disk_mib = Integer(_sandbox.Limits.disk_mib, help="MiB a sandboxed kernel may write in "
                       "its folder, and in /tmp").tag(config=True)

    def create_kernel_manager(self):
        if not self.sandbox:
            return super().create_kernel_manager()
        # the grader's own Python kernel, whatever kernel the submission's metadata names
        limits = _sandbox.Limits(self.memory_limit or 2.0**40, self.cpu_seconds,
                                 self.processes, self.disk_mib)
        manager = type("Sandboxed", (_sandbox.SandboxedKernelManager,),
                       {"limits": limits, "support": self._support})
        self.km = manager(kernel_name="python3", config=self.config)
        return self.km

    def _limit_memory(self) -> None:
        limit = int(self.memory_limit * 2**30)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    def start_new_kernel(self, **kwargs):
        if self.memory_limit > 0 and not self.sandbox:
            kwargs.setdefault("preexec_fn", self._limit_memory)   # runs in the kernel's process
        return super().start_new_kernel(**kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._died_at, self._references, self._support, self._judges = None, {}, None, {}
        about = (resources or {}).get("nbgrader", {})
        self._submission = bool(about.get("assignment") and about.get("notebook"))
        if not self._submission:
            return super().preprocess(nb, resources, km)
        with tempfile.TemporaryDirectory(prefix="grader-support-") as folder:
            notebook, store = self._instructors(about["assignment"], about["notebook"])
            if self.sandbox:
                self._support = _sandbox.withheld_support(_sandbox.withheld_names(notebook),
                                                          Path(folder))
            self._references = verdicts.reference_checks(notebook, store, self._run_instructors)
            self._judges = verdicts.judges(notebook.parent)
            return super().preprocess(nb, resources, km)

    def _instructors(self, assignment: str, name: str) -> tuple[Path, Path]:
        """The instructor's notebook of a submission's ``assignment`` and ``name`` (answers and
        hidden tests), and the folder that keeps its checks (`grader.verdicts`)."""
        from nbgrader.coursedir import CourseDirectory

        course = CourseDirectory(config=self.config)
        source = Path(course.format_path(course.source_directory, ".", assignment))
        notebook = source / f"{name}.ipynb"
        if not notebook.exists():
            raise RuntimeError(f"no instructor notebook {notebook} to take the hidden checks "
                               "from: build it first (make exercises, or make grade)")
        return notebook, Path(course.root) / ".grader" / "references" / assignment

    def _run_instructors(self, nb, folder: Path) -> None:
        """Run the instructor's notebook ``nb`` (trusted code) in a copy of ``folder``, outside
        the sandbox, with the course's cache writable: the models and data it trains and
        makes are then there, read-only, for every submission's kernel."""
        from nbclient import NotebookClient

        with tempfile.TemporaryDirectory() as copy:
            shutil.copytree(folder, copy, dirs_exist_ok=True)
            NotebookClient(nb, timeout=self.timeout, allow_errors=True, kernel_name="python3",
                           resources={"metadata": {"path": copy}}).execute()

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        if self._died_at is not None:
            cell.outputs = [_error(NOT_RUN, f"the kernel died in cell {self._died_at}, "
                                            "before this cell ran")]
            return cell, resources
        graded = self._submission and (cell.metadata.get("nbgrader") or {}).get("grade")
        source = cell.source
        if graded:
            cell.source = verdicts.with_end_check(source)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_at = index
            self.log.warning("The kernel died while running cell %d", index)
            cell.outputs.append(_error(KERNEL_DIED, "the kernel died while running this cell "
                                                    "(it exited, crashed or was killed)"))
            return cell, resources
        finally:
            cell.source = source
        got = verdicts.take_checks(cell)        # checks sent outside a test cell count for nothing
        grade_id = (cell.metadata.get("nbgrader") or {}).get("grade_id")
        if graded and grade_id in self._references:
            want = self._references[grade_id]
            fraction, why = verdicts.compare(got, want, self._judges)
            if fraction <= 0:
                cell.outputs.append(_error(HIDDEN_CHECK, why))
            elif any(check.get("judge") for check in want) and not any(
                    o.output_type == "error" or o.get("name") == "stderr" for o in cell.outputs):
                # the grader's score, not a number the kernel printed (nbgrader reads the
                # first execute_result of a test cell as its partial credit)
                points = cell.metadata["nbgrader"]["points"]
                cell.outputs = [_score(points * fraction, why)] + [
                    o for o in cell.outputs if o.output_type != "execute_result"]
        return cell, resources


def instructors_checks(root: Path, assignment: str) -> None:
    """Run the instructor's notebooks of ``assignment`` in course directory ``root`` once, as
    grading does, and keep their checks (`grader.verdicts.reference_checks`): workers that
    start together then find them instead of each running them."""
    from traitlets.config import Config, PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.merge(Config({"CourseDirectory": {"root": str(root)}}))
    execute = GuardedExecute(config=config)
    for notebook in sorted((Path(root) / "solutions" / assignment).glob("*.ipynb")):
        notebook, store = execute._instructors(assignment, notebook.stem)
        verdicts.reference_checks(notebook, store, execute._run_instructors)


class LimitOutputSize(LimitOutput):
    """nbgrader's LimitOutput (lines of text), and at most ``max_characters`` per output."""

    max_characters = Integer(100_000, help="characters kept of each output (text, "
                             "traceback or rich data); -1 for no limit").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_characters:
            return text
        return (text[:self.max_characters] + f"\n... output truncated: {len(text)} characters, "
                f"the first {self.max_characters} kept ...\n")

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if self.max_characters < 0 or cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cut(output.text)
            elif output.output_type == "error":
                output.traceback = [self._cut(line) for line in output.traceback]
            elif "data" in output:
                for mime, value in list(output.data.items()):
                    text = value if isinstance(value, str) else str(value)
                    if len(text) > self.max_characters and mime != "text/plain":
                        del output.data[mime]
                        output.data["text/plain"] = (f"... a {mime} output of {len(text)} "
                                                     "characters was removed ...")
                    elif mime == "text/plain":
                        output.data[mime] = self._cut(text)
        return cell, resources


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
MIN_SECRET = 8    # characters of a hidden line that no output may quote (shorter lines are common)
QUOTED = "[a line of the hidden tests: not shown]"
_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")


class HideHiddenTests(ClearHiddenTests):
    """For feedback: the test cells without their hidden tests, and tracebacks without the
    frames that quote hidden lines (each replaced by where it failed)."""

    def _hidden_lines(self, source: str) -> set[int]:
        """Line numbers (from 1) of the hidden region of ``source``, markers included."""
        hidden, inside = set(), False
        for number, line in enumerate(source.split("\n"), 1):
            if self.begin_test_delimeter in line:
                inside = True
            if inside:
                hidden.add(number)
            if self.end_test_delimeter in line:
                inside = False
        return hidden

    def preprocess(self, nb, resources):
        # the hidden lines of every executed cell, by execution count, before they are removed;
        # and every hidden line's text, which no output may quote
        self._cells, self._secret = {}, set()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            lines, hidden = cell.source.split("\n"), self._hidden_lines(cell.source)
            self._secret |= {lines[n - 1].strip() for n in hidden
                             if len(lines[n - 1].strip()) >= MIN_SECRET}
            if cell.get("execution_count"):
                self._cells[cell.execution_count] = (lines, hidden)
        return super().preprocess(nb, resources)

    def _scrub(self, text: str) -> str:
        """``text`` without the lines that quote a hidden test (a submission can capture a test
        cell's source as it runs, and print it)."""
        if not isinstance(text, str) or not any(s in text for s in self._secret):
            return text
        return "\n".join(QUOTED if any(s in line for s in self._secret) else line
                         for line in text.split("\n"))

    def _frame(self, entry: str) -> str:
        found = _FRAME.search(_ANSI.sub("", entry))
        if not found:
            return entry
        count, line = int(found.group(1)), int(found.group(2))
        lines, hidden = self._cells.get(count, ([], set()))
        if not hidden:
            return entry
        if line in hidden:
            return f"Cell In[{count}], line {line}: a hidden test (its code is not shown)"
        return f"Cell In[{count}], line {line}: {lines[line - 1].strip()}"

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [self._scrub(self._frame(entry))
                                        for entry in output.traceback]
                    output.evalue = self._scrub(output.evalue)
                elif output.output_type == "stream":
                    output.text = self._scrub(output.text)
                for mime, value in output.get("data", {}).items():
                    output.data[mime] = self._scrub(value)
        return super().preprocess_cell(cell, resources, cell_index)

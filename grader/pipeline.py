"""The nbgrader pipeline: from the instructor's jupytext sources in ``solutions/`` to the
student notebooks in ``exercises/``, and grading in a course directory.

A source is a py:percent file whose cells mark what nbgrader grades::

    # %% solution="count_parameters"          -> an autograded answer cell, id count_parameters
    # %% test="count_parameters" points=2      -> a locked test cell, id test_count_parameters

An answer cell may name the course's own implementations of what it asks for,
``withhold="support.measure.count_parameters"``: grading withholds them from the submission's
kernel (`grader.sandbox.withheld_support`), so an answer that delegates to them scores nothing.

Answer cells hold ``### BEGIN SOLUTION`` / ``### END SOLUTION``; test cells may hold
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``. Every other cell is left as it is.

``python -m grader.pipeline release`` (``make exercises``) rebuilds every assignment;
``python -m grader.pipeline grade ASSIGNMENT --workers N`` (``make grade``) autogrades its
submissions, on N Dask workers when N > 1 (`grader.engine`).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import sandbox

__all__ = ["ROOT", "notebook_sources", "assignments", "to_notebook", "build_sources", "release", "nbgrader",
           "add_assignment", "new_course", "cell_scores", "gradebook_entries", "students", "grade",
           "Grading",
           "local_postgres"]

ROOT = Path(__file__).resolve().parents[1]
JUPYTEXT_HEADER = "# ---\n# jupyter:"


def to_notebook(source: Path):
    """Read a jupytext source and return the nbgrader source notebook (nbformat node) with
    nbgrader metadata and stable cell ids, so that rebuilding gives the same bytes."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata = {"kernelspec": nb.metadata.get("kernelspec", {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}),
        "language_info": {"name": "python"}}
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata
        if "solution" in meta:
            cell_id = str(meta["solution"])
            nbg = {"grade": False, "grade_id": cell_id, "locked": False, "schema_version": 3,
                   "solution": True, "task": False}
        elif "test" in meta:
            cell_id = f"test_{meta['test']}"
            points = meta.get("points")
            if not isinstance(points, (int, float)) or points <= 0:
                raise ValueError(f"{source}: test cell {cell_id} needs points=N with N > 0")
            nbg = {"grade": True, "grade_id": cell_id, "locked": True, "points": points,
                   "schema_version": 3, "solution": False, "task": False}
        else:
            cell_id, nbg = f"cell-{index}", None
        if cell_id in seen:
            raise ValueError(f"{source}: two cells are named {cell_id!r}")
        seen.add(cell_id)
        cell.id = cell_id
        withhold = str(meta.get("withhold", "")).split()
        if withhold and "solution" not in meta:
            raise ValueError(f"{source}: withhold= belongs on an answer cell, not {cell_id}")
        cell.metadata = {"nbgrader": nbg} if nbg else {}
        if withhold:    # the course's own implementations of this answer (grader.sandbox)
            cell.metadata["withhold"] = withhold
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def notebook_sources(folder: Path) -> list[Path]:
    """The jupytext sources of an assignment's ``folder``: its ``.py`` files that begin with
    jupytext's header (the others, such as the instructor's ``judges.py``, are no notebooks)."""
    return sorted(p for p in Path(folder).glob("*.py")
                  if p.read_text().startswith(JUPYTEXT_HEADER))


def assignments(root: Path = ROOT) -> list[str]:
    """Names of the assignments: the folders of ``solutions/`` that hold a jupytext source."""
    return sorted(p.name for p in (Path(root) / "solutions").iterdir() if notebook_sources(p))


def build_sources(root: Path = ROOT, names: list[str] | None = None) -> list[str]:
    """Write ``solutions/<a>/<name>.ipynb`` next to every jupytext source ``<name>.py`` of
    the assignments ``names`` (default: all); return the assignment names."""
    import nbformat

    known = assignments(root)
    for name in names or []:
        if name not in known:
            raise ValueError(f"no assignment {name!r} in {Path(root) / 'solutions'}; "
                             f"there are {known}")
    built = []
    for name in names or known:
        folder = Path(root) / "solutions" / name
        for source in notebook_sources(folder):
            nbformat.write(to_notebook(source), source.with_suffix(".ipynb"))
        built.append(name)
    return built


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in course directory ``root`` (which holds nbgrader_config.py),
    with this interpreter's bin/ first on PATH (nbgrader calls ``alembic`` by name)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {root}:\n"
                           f"{result.stdout}\n{result.stderr}")
    return result


def release(root: Path = ROOT, names: list[str] | None = None, url: str | None = None) -> list[str]:
    """Regenerate ``exercises/`` from ``solutions/`` in course directory ``root``: the
    assignments ``names``, or all of them (and remove releases whose source is gone); each
    is recorded in the gradebook ``url`` (default: see `db_url`)."""
    root = Path(root)
    built = build_sources(root, names)
    for name in built:
        nbgrader(root, "generate_assignment", name, "--force",
                 *([f"--CourseDirectory.db_url={url}"] if url else []))
    if names is None and (root / "exercises").exists():
        for stale in (root / "exercises").iterdir():
            if stale.name not in built:
                shutil.rmtree(stale)
    return built


def add_assignment(course: Path, assignment: str, url: str | None = None) -> None:
    """Copy this repository's ``solutions/<assignment>`` into the course directory ``course``
    and release it there (recorded in the gradebook ``url``, see `db_url`)."""
    shutil.copytree(ROOT / "solutions" / assignment, Path(course) / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    release(course, [assignment], url)


def new_course(folder: Path, assignment: str, url: str | None = None) -> Path:
    """A course directory ``folder/course`` with this repository's nbgrader_config.py and
    ``assignment`` released in it (`add_assignment`): its path."""
    course = Path(folder) / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    add_assignment(course, assignment, url)
    return course


def db_url(root: Path, url: str | None = None) -> str:
    """The gradebook's address: ``url``, else $GRADEBOOK_URL (nbgrader_config.py reads it),
    else nbgrader's default, the SQLite file gradebook.db in the course directory."""
    return url or os.environ.get("GRADEBOOK_URL") or f"sqlite:///{Path(root) / 'gradebook.db'}"


def cell_scores(root: Path, assignment: str, notebook: str,
                url: str | None = None) -> dict[str, dict[str, float]]:
    """Autograded score of every graded cell, per student who submitted ``assignment``:
    {student: {grade_id: score}}."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url(root, url)) as gradebook:
        scores = {}
        for student in gradebook.students:
            try:
                nb = gradebook.find_submission_notebook(notebook, assignment, student.id)
            except MissingEntry:
                continue
            scores[student.id] = {grade.name: grade.score for grade in nb.grades}
        return scores


def gradebook_entries(url: str, assignment: str, students: list[str]) -> dict:
    """Everything the gradebook holds about these students' submissions of ``assignment``."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        book = {}
        for student in students:
            submission = gradebook.find_submission(assignment, student)
            book[student] = {"timestamp": submission.timestamp, "late": submission.total_seconds_late}
            for nb in submission.notebooks:
                book[student][nb.name] = (
                    {g.name: (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade,
                              g.max_score) for g in nb.grades},
                    {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments})
        return book


def students(root: Path, assignment: str) -> list[str]:
    """The students who submitted ``assignment``: the folders submitted/<student>/<assignment>."""
    return sorted(p.parent.name for p in (Path(root) / "submitted").glob(f"*/{assignment}")
                  if p.is_dir())


@dataclass
class Grading:
    """What one `grade` run did: who was graded, what went wrong with whom, how fast."""
    assignment: str
    graded: list[str]
    failed: dict[str, str]                      # student -> why nbgrader could not grade
    notes: dict[str, list[str]] = field(default_factory=dict)  # student -> what happened
    seconds: float = 0.0
    workers: int = 1
    logs: list[Path] = field(default_factory=list)

    @property
    def per_minute(self) -> float:
        return 60 * (len(self.graded) + len(self.failed)) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        total = len(self.graded) + len(self.failed)
        lines = [f"{self.assignment}: {total} submissions in {self.seconds:.1f} s with "
                 f"{self.workers} worker(s), {self.per_minute:.1f} per minute; "
                 f"{len(self.failed)} not graded"]
        for student in sorted(set(self.failed) | set(self.notes)):
            what = self.notes.get(student, [])
            if student in self.failed:
                what = [f"NOT GRADED (scores zero): {self.failed[student]}", *what]
            lines.append(f"  {student}: " + "; ".join(what))
        return "\n".join(lines)


def _check_submission(folder: Path, expected: list[str]) -> list[str]:
    """What is wrong with a submitted folder: missing, unknown or unreadable notebooks."""
    import nbformat

    problems = []
    found = sorted(p.name for p in folder.glob("*.ipynb"))
    for name in expected:
        if name not in found:
            problems.append(f"no {name} (submitted: {', '.join(found) or 'no notebook'}): "
                            "its cells score zero")
            continue
        try:
            nbformat.read(folder / name, as_version=4)
        except Exception as error:  # nbformat raises several kinds for a broken file
            problems.append(f"{name} is not a readable notebook ({type(error).__name__})")
    problems += [f"{name} is not part of the assignment, ignored"
                 for name in found if name not in expected]
    return problems


def _incidents(notebook: Path) -> list[str]:
    """The errors of an autograded notebook that an instructor should hear about: a kernel
    that died, a cell stopped at the timeout, memory refused, output cut, an exit."""
    import nbformat

    notes = []
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        for output in cell.get("outputs", []):
            text = output.get("evalue", "") if output.output_type == "error" else ""
            if output.output_type == "error" and (
                    output.ename in ("KernelDied", "CellTimeoutError", "MemoryError", "SystemExit")
                    or "can't allocate memory" in text):
                notes.append(f"cell {index}: {output.ename}: {text[:200]}".rstrip(": "))
            elif "output truncated" in str(output.get("text", "")):
                notes.append(f"cell {index}: output truncated")
    return notes


def grade(root: Path, assignment: str, workers: int = 1, url: str | None = None,
          scheduler: str | None = None, force: bool = False,
          unsandboxed: bool = False) -> Grading:
    """Autograde the submissions of ``assignment`` in course directory ``root`` that are not
    graded yet (all of them with ``force``), against the gradebook ``url`` (see `db_url`).
    One worker: one nbgrader process grades them one after the other. Several workers, or a
    Dask ``scheduler``'s address: one task per submission on a Dask cluster
    (`grader.engine`: a LocalCluster of ``workers`` processes, or that scheduler's workers),
    which needs a gradebook on a database server (PostgreSQL): SQLite's locks under
    concurrent writers. A submission nbgrader cannot grade (a corrupt notebook) is reported
    in ``failed`` and scores zero; the others are graded regardless. Each kernel runs in
    `grader.sandbox`; where no sandbox can be had this raises ValueError, unless
    ``unsandboxed`` (every submission can then read and change what the grader can)."""
    from grader import engine

    root, url = Path(root), db_url(root, url)
    why = None if unsandboxed else sandbox.unavailable()
    if why:
        raise ValueError(f"no sandbox for the submissions' kernels: {why}. Grading without "
                         "one lets every submission read the solutions and change the "
                         "gradebook; to do it anyway, say so: make grade ... UNSANDBOXED=yes "
                         "(python -m grader.pipeline grade ... --unsandboxed)")
    if workers < 1:
        raise ValueError(f"need at least one worker, got {workers}")
    parallel = workers > 1 or scheduler is not None
    if parallel and url.startswith("sqlite"):
        raise ValueError(f"grading in parallel ({workers} workers"
                         f"{', scheduler ' + scheduler if scheduler else ''}) needs a "
                         f"PostgreSQL gradebook (GRADEBOOK_URL=postgresql://...), got {url}: "
                         "SQLite locks under concurrent writers")
    build_sources(root, [assignment])
    expected = sorted(p.name for p in (root / "solutions" / assignment).glob("*.ipynb"))
    everyone = students(root, assignment)
    problems = {s: _check_submission(root / "submitted" / s / assignment, expected)
                for s in everyone}
    logs_dir = root / "logs"
    logs_dir.mkdir(exist_ok=True)
    start, logs = time.perf_counter(), []
    again = [s for s in everyone if engine.cut_short(root, assignment, s)]
    if not parallel:
        log = logs_dir / f"grade-{assignment}.log"
        env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep
                   + os.environ["PATH"])
        command = [sys.executable, "-m", "nbgrader", "autograde", assignment,
                   f"--CourseDirectory.db_url={url}", *(["--force"] if force else []),
                   *(["--GuardedExecute.sandbox=False"] if unsandboxed else [])]
        with open(log, "w") as out:
            subprocess.run(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
        logs.append(log)
    else:
        from distributed import Client

        from grader.preprocessors import instructors_checks

        instructors_checks(root, assignment)     # once, before the workers need them
        with (Client(scheduler) if scheduler else engine.cluster(workers)) as client:
            for student, (_, output) in engine.grade_on_dask(
                    client, root, assignment, everyone, url, force, unsandboxed).items():
                log = logs_dir / f"grade-{assignment}-{student}.log"
                log.write_text(output)
                logs.append(log)
            if not scheduler:
                client.cluster.close()
    seconds = time.perf_counter() - start
    graded, failed, notes = [], {}, {}
    for student in everyone:
        folder = root / "autograded" / student / assignment
        if folder.is_dir():
            graded.append(student)
            found = [n for name in expected if (folder / name).exists()
                     for n in _incidents(folder / name)]
            if problems[student] + found:
                notes[student] = problems[student] + found
        else:
            failed[student] = "; ".join(problems[student]) or f"nbgrader failed, see {logs_dir}"
    for student in again:
        notes.setdefault(student, []).insert(0, "its last grading was cut short: graded again")
    return Grading(assignment, graded, failed, notes, seconds, workers, logs)


@contextlib.contextmanager
def local_postgres():
    """A PostgreSQL server of its own in a temporary folder (a Unix socket, no TCP), stopped
    on exit: yields the URL of its empty database ``gradebook``. Runs the server as ``nobody``
    when called as root (the server refuses root). Raises FileNotFoundError without
    PostgreSQL's ``initdb`` and ``pg_ctl`` on PATH."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        raise FileNotFoundError("no PostgreSQL server on PATH (initdb, pg_ctl): install "
                                "PostgreSQL, or grade with one worker on SQLite")
    folder = Path(tempfile.mkdtemp(prefix="gradebook-"))   # in /tmp: the server's user reaches it
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody")
        as_user = ["runuser", "-u", "nobody", "--"]

    def run(*command):
        subprocess.run([*as_user, *command], check=True, capture_output=True, text=True)

    try:
        run(initdb, "-D", str(folder / "data"), "-A", "trust", "-U", "grader")
        run(pg_ctl, "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w",
            "-o", f"-k {folder} -c listen_addresses=''", "start")
        try:
            import psycopg

            with psycopg.connect(host=str(folder), user="grader", dbname="postgres",
                                 autocommit=True) as connection:
                connection.execute("CREATE DATABASE gradebook")
            yield f"postgresql://grader@/gradebook?host={folder}"
        finally:
            run(pg_ctl, "-D", str(folder / "data"), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    release_command = commands.add_parser("release", help="solutions/ -> exercises/")
    release_command.add_argument("assignments", nargs="*")
    grade_command = commands.add_parser("grade", help="autograde an assignment's submissions")
    grade_command.add_argument("assignment")
    grade_command.add_argument("--workers", type=int, default=1)
    grade_command.add_argument("--scheduler", default=None,
                               help="a Dask scheduler's address (default: a LocalCluster of "
                                    "--workers processes when there are several)")
    grade_command.add_argument("--db", default=None, help="gradebook URL ($GRADEBOOK_URL)")
    grade_command.add_argument("--force", action="store_true", help="grade again")
    grade_command.add_argument("--unsandboxed", action="store_true",
                               help="grade without a sandbox: trust every submission")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            for name in release(ROOT, args.assignments or None):
                print(f"exercises/{name} regenerated from solutions/{name}")
            return
        grading = grade(Path.cwd(), args.assignment, args.workers, args.db, args.scheduler,
                        args.force, args.unsandboxed)
    except ValueError as error:
        sys.exit(str(error))
    print(grading.summary())


if __name__ == "__main__":
    main()

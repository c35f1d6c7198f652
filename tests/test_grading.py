"""The grading round trip of every assignment, played as one term of a class: every
assignment of the test run is released and graded in one temporary course directory that
uses the repository's own nbgrader_config.py, with the instructor's own commands:

- the class hands in through a learning management system: one zip of notebooks, collected
  with `nbgrader zip_collect`, one of them (wrong-2-deleted-tests) after the due date; on the
  assignment of EXCHANGE_ON (one: the exchange is the same for every assignment) the assignment
  also goes out through nbgrader's exchange, and one student (the solution) fetches it and
  submits through the exchange; then `grader.pipeline.grade` (`make grade`) autogrades,
  `nbgrader generate_feedback` writes feedback and `nbgrader export` the grades' CSV;
- the solution scores full marks, the untouched release scores zero;
- each plausible wrong implementation under tests/wrong/<assignment>/<grade_id>.<name>.py
  loses the points of its own test cell and keeps the others; its first line may say
  otherwise: "# loses: test_a test_b" for an answer graded in several test cells (a challenge
  with two levels), "# keeps N points" for partial credit on its own cell. The wrong answers
  are dealt into a few submissions (`packs`), each carrying at most one wrong answer per part
  and none two that lose points on the same test cell, so that every part of a submission
  is checked on its own: the round trip grades a handful of submissions, not one per wrong
  answer. Each is submitted with a cheat that makes torch.allclose, torch.equal,
  torch.isclose and math.isclose agree whenever a cell's top level (a test) calls them: the
  hidden tests must not trust them;
- test cells a student deleted are restored and graded, and test cells a student edited are
  restored too (else wrong answers would pass them): the first pack edits every test cell,
  the second deletes them all;
- submissions that fight back (tens of MB of output, memory without end, SystemExit, an
  infinite loop, a kernel that dies, a corrupt notebook, a notebook under another name) are
  graded right or zero, with a clear record, and never stop the others;
- feedback shows each test cell's score and error, never the hidden tests;
- the exported CSV gives every student the expected score, zero for a late submission;
- grading on Dask, one task per submission on two worker processes against PostgreSQL, one
  worker killed mid-class, gives exactly the gradebook that serial grading gave, and a
  grading cut short is graded again by the next `make grade` (on PARALLEL);
- a forger (one line that empties every later cell) and an intruder (answers that wrap the
  course's own functions; a cell that reaches for the solutions, the gradebook and the
  classmates, deletes what it can and leaves a process behind) score nothing and harm nobody;
  the intruder's answers are the assignment's own, so it hands in on every assignment; the
  hostile submission and the forger test the grader's defences, which are the same for every
  assignment, so they hand in on ATTACKED_ON (one assignment judged in the grader's process,
  one whose judge calls the student's functions apart), to save time;
- exercises/ is what `make exercises` makes from solutions/ today.
"""
from __future__ import annotations

import copy
import csv
import filecmp
import html
import re
import shutil
import threading
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from grader.preprocessors import KERNEL_DIED, NOT_RUN
from grader.pipeline import (ROOT, add_assignment, assignments, cell_scores, grade,
                             gradebook_entries, local_postgres, nbgrader, notebook_sources,
                             release)

ASSIGNMENTS = assignments()
WRONG = ROOT / "tests" / "wrong"
COURSE = "network-compression"
# due a week from now: the exchange's submission (now) is on time; the LMS's carry a timestamp
DUE = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None) + timedelta(days=7)
ON_TIME, LATE = DUE - timedelta(days=1), DUE + timedelta(hours=1)
LATE_STUDENT = "wrong-2-deleted-tests"
EXCHANGE_STUDENT = "solution"
EXCHANGE_ON = ("04-architecture",)   # ~9 s of nbgrader commands: on one assignment
ATTACKED_ON = ("02-distillation", "03-quantization")   # the hostile and the forger hand in
FEEDBACK_STUDENTS = ("solution", "hostile", "forger")   # and the first wrong answer's student
PARALLEL = "00-measuring"     # the cheapest assignment to grade: grading on Dask runs on it
LOOP_SECONDS = 2              # the test's per-cell timeout for the cell that loops forever
LOOP_MARK = "# LOOPS FOREVER"
TEST_CONFIG = """
# The test's course: its own exchange; a late submission scores zero; the cell marked
# {mark!r} is stopped after {seconds} s instead of the course's per-cell timeout.
c.Exchange.root = {exchange!r}
c.LateSubmissionPlugin.penalty_method = "zero"
c.Execute.timeout_func = lambda cell: {seconds} if {mark!r} in cell.source else c.Execute.timeout
"""
# A cheat, appended to each wrong answer: called from the top level of a cell (where tests
# assert), the comparison helpers always agree; the student's functions and libraries still
# get true answers, so only the tests are fooled.
LYING_COMPARISONS = """

import math as _math
import sys as _sys

import torch as _torch


def _lying(real):
    def compare(*args, **kwargs):
        try:
            result = real(*args, **kwargs)
        except Exception:
            result = True
        if _sys._getframe(1).f_code.co_name != "<module>":
            return result
        return _torch.ones_like(result) if isinstance(result, _torch.Tensor) else True
    return compare


_torch.allclose, _torch.equal, _torch.isclose, _math.isclose = map(
    _lying, (_torch.allclose, _torch.equal, _torch.isclose, _math.isclose))
"""
# Cells the hostile student adds after its first answer; its last answer then kills the kernel.
HOSTILE_CELLS = [
    "for _ in range(20):\n    print('x' * 1_000_000)   # 20 MB of output",
    "import torch\n\nchunks = []\ntry:\n    while len(chunks) < 1_000_000:   # a petabyte\n"
    "        chunks.append(torch.empty(2**28))   # 1 GiB more each time\n"
    "finally:\n    chunks.clear()",
    "raise SystemExit('I give up')",
    f"{LOOP_MARK}\nwhile True:\n    pass",
]
DIES = "\n\nimport os\n\nos._exit(1)"
# The forger: the untouched release, whose first answer cell adds one line that empties every
# cell after it before it runs (the hidden tests included) and prints the source it took.
FORGER = ('get_ipython().input_transformers_cleanup.append(\n'
          '    lambda lines: (print("".join(lines)), ["pass\\n"])[1])\n')
# The intruder: its answers delegate to the course's own functions, through wrappers that
# pass the `__module__ == "__main__"` test, and a cell after its first answer reaches for
# the solutions, a classmate's notebook and the gradebook (running any answers it finds),
# deletes what it can and leaves a process behind.
LEFT_BEHIND = "419.{}"      # the sleep it leaves, one per assignment (round trips run side by side)
INTRUDER_CELL = """
import glob, json, os, shutil, subprocess

course = {course!r}
found = []
for pattern in ("../../../solutions/*/*.ipynb", "../../../submitted/*/*/*.ipynb",
                course + "/solutions/*/*.ipynb", course + "/submitted/*/*/*.ipynb"):
    found += glob.glob(pattern)
for path in found:               # run every answer cell of every notebook it can read
    try:
        for cell in json.load(open(path))["cells"]:
            if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
                exec("".join(cell["source"]))
    except Exception as error:
        print("could not use", path, error)
for target in ("../../../gradebook.db", course + "/gradebook.db"):
    try:
        os.remove(target)
    except OSError as error:
        print("could not delete", target, error)
for target in ("../../../solutions", course + "/solutions", course + "/submitted"):
    shutil.rmtree(target, ignore_errors=True)
subprocess.Popen(["sleep", {left!r}], start_new_session=True)
print("found", found)
"""


@pytest.fixture(scope="session")
def term(tmp_path_factory) -> Path:
    """The term's course directory: the assignments of this run are released and graded in
    it one after the other, for one class of students."""
    folder = tmp_path_factory.mktemp("term")
    course = folder / "course"
    (course / "solutions").mkdir(parents=True)
    (folder / "exchange").mkdir()
    config = (ROOT / "nbgrader_config.py").read_text() + TEST_CONFIG.format(
        exchange=str(folder / "exchange"), seconds=LOOP_SECONDS, mark=LOOP_MARK)
    (course / "nbgrader_config.py").write_text(config)
    return course


def _graded_cells(nb, key):
    return [c for c in nb.cells if (c.metadata.get("nbgrader") or {}).get(key)]


def _wrong_answers(assignment):
    return sorted((WRONG / assignment).glob("*.py"))


def _lost(wrong: Path, tests: dict[str, float]) -> dict[str, float]:
    """The test cells a wrong answer loses points on, with the score it keeps on each: 0 on
    its own cell test_<grade_id>; or, when its first line says so, 0 on the cells it names
    ("# loses: test_a test_b") or N on its own cell ("# keeps N points", partial credit)."""
    first = wrong.read_text().splitlines()[0]
    own = f"test_{wrong.name.split('.')[0]}"
    kept = re.match(r"# keeps ([0-9.]+) points?\b", first)
    if first.startswith("# loses:"):
        lost = dict.fromkeys(first.removeprefix("# loses:").split(), 0)
    else:
        lost = {own: float(kept.group(1)) if kept else 0}
    assert set(lost) <= set(tests), f"{wrong.name} names a test cell the assignment lacks"
    return lost


def packs(assignment: str, tests: dict[str, float]) -> list[list[Path]]:
    """The wrong answers of ``assignment`` dealt, in order, into as few submissions as they
    fit: a submission replaces each answer cell at most once, and no two of its wrong answers
    lose points on the same test cell, so each part's score shows its own wrong answer."""
    dealt: list[tuple[list[Path], set[str], set[str]]] = []   # (pack, its parts, cells lost)
    for wrong in _wrong_answers(assignment):
        part, lost = wrong.name.split(".")[0], set(_lost(wrong, tests))
        for pack, parts, cells in dealt:
            if part not in parts and not lost & cells:
                pack.append(wrong)
                parts.add(part)
                cells |= lost
                break
        else:
            dealt.append(([wrong], {part}, lost))
    return [pack for pack, _, _ in dealt]


def _expected(pack: list[Path], tests: dict[str, float]) -> dict[str, float]:
    """The score a submission of wrong answers must get on every test cell: full marks,
    except on the cells each of its wrong answers loses (`_lost`)."""
    expected = dict(tests)
    for wrong in pack:
        expected.update(_lost(wrong, tests))
    return expected


class RoundTrip:
    """Releases the assignment in the term's course, hands in one notebook per scenario (one
    through the exchange, the others in one LMS zip), grades them all at once, then writes
    feedback for a few and exports the grades."""

    def __init__(self, course: Path, assignment: str):
        from nbgrader.api import Gradebook

        self.assignment, self.course = assignment, course
        add_assignment(course, assignment)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            gradebook.update_or_create_assignment(assignment, duedate=DUE)
        (source_path,) = (course / "solutions" / assignment).glob("*.ipynb")
        self.notebook = source_path.stem
        source = nbformat.read(source_path, as_version=4)
        released = nbformat.read(course / "exercises" / assignment / source_path.name, as_version=4)
        self.answers = {c.metadata.nbgrader["grade_id"]: c.source
                        for c in _graded_cells(source, "solution")}
        self.tests = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
                      for c in _graded_cells(source, "grade")}

        def answered(nb, **replace):
            nb = copy.deepcopy(nb)
            for cell in _graded_cells(nb, "solution"):
                cell.source = replace.get(cell.metadata.nbgrader["grade_id"],
                                          self.answers[cell.metadata.nbgrader["grade_id"]])
            return nb

        submissions = {"solution": _with_common_names(answered(released)), "untouched": released}
        # the wrong answers, a few parts at a time; the first pack with every test cell edited
        # to pass, the second with every test cell deleted (both restored before grading, so
        # each scores as its wrong answers do)
        self.packs = {}
        dealt = packs(assignment, self.tests)
        assert len(dealt) >= 2, f"{assignment}: the round trip needs two packs of wrong answers"
        for number, pack in enumerate(dealt, 1):
            student = f"wrong-{number}" + {1: "-edited-tests", 2: "-deleted-tests"}.get(number, "")
            self.packs[student] = pack
            nb = submissions[student] = answered(released, **{
                wrong.name.split(".")[0]: wrong.read_text() + LYING_COMPARISONS for wrong in pack})
            if number == 1:
                for cell in _graded_cells(nb, "grade"):
                    cell.source = "pass  # the student edited this test"
            if number == 2:
                nb.cells = [c for c in nb.cells if not (c.metadata.get("nbgrader") or {}).get("grade")]
        self.first_wrong = next(iter(self.packs))
        if assignment in ATTACKED_ON:
            submissions["hostile"], self.expected_hostile = self._hostile(answered(released))
            submissions["forger"] = self._forger(released)
        submissions["intruder"] = self._intruder(released)

        exchange = assignment in EXCHANGE_ON
        lms = {name: nbformat.writes(nb) for name, nb in submissions.items()
               if not (exchange and name == EXCHANGE_STUDENT)}
        text = nbformat.writes(submissions["solution"])
        lms["corrupt"] = text[:len(text) // 2]                      # a notebook cut short
        lms["misnamed"] = (text, f"{self.notebook} (1).ipynb")     # the LMS renamed it
        self.students = sorted([*submissions, "corrupt", "misnamed"])
        if exchange:
            self._through_exchange(submissions[EXCHANGE_STUDENT], source_path.name)
        self._through_lms(lms, source_path.name)

        self.grading = grade(course, assignment)
        self.scores = cell_scores(course, assignment, self.notebook)
        self.feedback = [s for s in (*FEEDBACK_STUDENTS, self.first_wrong) if s in self.students]
        others = [s for s in self.students if s not in self.feedback]
        nbgrader(course, "generate_feedback", assignment,
                 f"--CourseDirectory.student_id_exclude={','.join(others)}")
        nbgrader(course, "export", f"--to={course / 'grades.csv'}")
        with open(course / "grades.csv", newline="") as grades:
            self.grades = [row for row in csv.DictReader(grades)
                           if row["assignment"] == assignment]

    def _hostile(self, nb):
        """The solution, with cells added after its first answer that print 20 MB, allocate
        memory without end, raise SystemExit and loop forever; its last answer kills the
        kernel. Expected: full marks, except the tests after the kernel died."""
        answers = [i for i, c in enumerate(nb.cells)
                   if (c.metadata.get("nbgrader") or {}).get("solution")]
        nb.cells[answers[-1]].source += DIES
        for code in reversed(HOSTILE_CELLS):
            nb.cells.insert(answers[0] + 1, nbformat.v4.new_code_cell(code))
        dead = [c.metadata.nbgrader["grade_id"] for c in nb.cells[answers[-1] + len(HOSTILE_CELLS):]
                if (c.metadata.get("nbgrader") or {}).get("grade")]
        return nb, {grade_id: 0 if grade_id in dead else points
                    for grade_id, points in self.tests.items()}

    def _forger(self, released):
        nb = copy.deepcopy(released)
        first = _graded_cells(nb, "solution")[0]
        first.source = FORGER + first.source
        return nb

    def _intruder(self, released):
        """Answers that wrap the course's own function of the same name, where there is one
        (`_course_twin`), else the release's; and the cell that reaches out (INTRUDER_CELL)."""
        nb = copy.deepcopy(released)
        answers = _graded_cells(nb, "solution")
        for cell in answers:
            name = cell.metadata.nbgrader["grade_id"]
            module = _course_twin(name)
            if module:
                wrapper = (f"class {name}(_course_{name}):\n    pass\n" if name[0].isupper() else
                           f"def {name}(*args, **kwargs):\n"
                           f"    return _course_{name}(*args, **kwargs)\n")
                cell.source = f"from {module} import {name} as _course_{name}\n\n\n{wrapper}"
        at = nb.cells.index(answers[0]) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(
            INTRUDER_CELL.format(course=str(self.course), left=_left_behind(self.assignment))))
        return nb

    def _through_exchange(self, nb, filename):
        """The instructor releases to the exchange; the student fetches, answers, submits;
        the instructor collects."""
        home = self.course.parent / "students" / EXCHANGE_STUDENT
        home.mkdir(parents=True, exist_ok=True)
        exchange = [f"--course={COURSE}", f"--Exchange.root={self.course.parent / 'exchange'}",
                    f"--Exchange.cache={home / 'cache'}"]
        nbgrader(self.course, "release_assignment", self.assignment)
        nbgrader(home, "fetch_assignment", self.assignment, *exchange)
        nbformat.write(nb, home / self.assignment / filename)
        nbgrader(home, "submit", self.assignment, *exchange,
                 f"--CourseDirectory.student_id={EXCHANGE_STUDENT}")
        nbgrader(self.course, "collect", self.assignment)

    def _through_lms(self, notebooks, filename):
        """The class's notebooks in one zip, as an LMS downloads them, then `zip_collect`."""
        archive = self.course / "downloaded" / self.assignment / "archive"
        archive.mkdir(parents=True)
        with zipfile.ZipFile(archive / f"{self.assignment}.zip", "w") as zipped:
            for student, content in notebooks.items():
                text, name = content if isinstance(content, tuple) else (content, filename)
                when = (LATE if student == LATE_STUDENT else ON_TIME).strftime("%Y%m%d-%H%M%S")
                zipped.writestr(f"{self.assignment}_{student}_attempt_{when}_{name}", text)
        nbgrader(self.course, "zip_collect", self.assignment)

    def expected(self, student: str) -> dict[str, float]:
        """The score each student must get on every test cell."""
        if student in ("solution", "misnamed", "corrupt", "untouched", "forger", "intruder"):
            full = student == "solution"
            return {grade_id: points if full else 0 for grade_id, points in self.tests.items()}
        if student == "hostile":
            return self.expected_hostile
        return _expected(self.packs[student], self.tests)


# The solution is handed in as a student might write it: its first answer imports modules under
# their usual names, and a cell of its own at the end says whether the tests (run between)
# left those names alone.
COMMON_NAMES = ("collections", "itertools", "math", "numbers", "random")
NAMES_KEPT = "a student's own names after the tests:"


def _with_common_names(nb):
    first = _graded_cells(nb, "solution")[0]
    first.source = f"import {', '.join(COMMON_NAMES)}  # names of the student's own\n\n" + first.source
    check = " and ".join(f"getattr({n}, '__name__', None) == {n!r}" for n in COMMON_NAMES)
    nb.cells.append(nbformat.v4.new_code_cell(f"print({NAMES_KEPT!r}, {check})"))
    return nb


def _course_twin(name: str) -> str | None:
    """The module of support/ that defines a function or class ``name`` at its top level."""
    for path in sorted((ROOT / "support").glob("*.py")):
        if re.search(rf"^(def|class) {re.escape(name)}\b", path.read_text(), re.M):
            return f"support.{path.stem}"
    return None


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def round_trip(request, term):
    return RoundTrip(term, request.param)


def test_solution_scores_full_marks(round_trip):
    assert round_trip.scores["solution"] == round_trip.tests


def test_tests_leave_a_students_names_alone(round_trip):
    """A test that assigns `numbers = [...]` at a cell's top level would break a correct answer
    that uses `import numbers`: the solution imports common modules, and they are still its
    own after every test cell has run."""
    graded = nbformat.read(round_trip.course / "autograded" / "solution" / round_trip.assignment
                           / f"{round_trip.notebook}.ipynb", as_version=4)
    said = "".join(o.get("text", "") for o in graded.cells[-1].outputs)
    assert f"{NAMES_KEPT} True" in said, f"the tests rebound a student's names: {said!r}"


def test_untouched_release_scores_zero(round_trip):
    assert round_trip.scores["untouched"] == {grade_id: 0 for grade_id in round_trip.tests}


def test_deleted_test_cells_are_restored_and_graded(round_trip):
    student = list(round_trip.packs)[1]
    assert student.endswith("-deleted-tests")
    assert round_trip.scores[student] == round_trip.expected(student)


def test_edited_test_cells_are_restored(round_trip):
    student = round_trip.first_wrong
    assert student.endswith("-edited-tests")
    assert round_trip.scores[student] == round_trip.expected(student)


def test_every_graded_function_has_a_wrong_answer(round_trip):
    covered = {p.name.split(".")[0] for p in _wrong_answers(round_trip.assignment)}
    assert covered == set(round_trip.answers)


def test_wrong_answers_lose_their_points_only(round_trip):
    dealt = [wrong for pack in round_trip.packs.values() for wrong in pack]
    assert sorted(dealt) == _wrong_answers(round_trip.assignment), "a wrong answer was not handed in"
    for student, pack in round_trip.packs.items():
        got, want = round_trip.scores[student], round_trip.expected(student)
        for cell in sorted(set(got) | set(want)):
            if got.get(cell) != want.get(cell):
                cause = [w.name for w in pack if cell in _lost(w, round_trip.tests)]
                pytest.fail(f"{student} ({', '.join(w.name for w in pack)}): {cell} scored "
                            f"{got.get(cell)}, expected {want.get(cell)} (its wrong answer: "
                            f"{', '.join(cause) or 'none: another part broke it'})")


def test_a_forged_verdict_scores_nothing(round_trip):
    """One line that empties every later cell, the hidden tests included, gave full marks
    when the kernel's verdict counted; now each test cell's checks are missing."""
    if round_trip.assignment not in ATTACKED_ON:
        pytest.skip(f"the forger hands in on {', '.join(ATTACKED_ON)}")
    assert round_trip.scores["forger"] == round_trip.expected("forger")


def test_an_intruder_gets_nothing_and_harms_nobody(round_trip):
    """Delegating to the course's own functions scores nothing, and says why; the solutions,
    the gradebook and the classmates' notebooks were out of reach, and no process remains."""
    course, assignment = round_trip.course, round_trip.assignment
    assert round_trip.scores["intruder"] == round_trip.expected("intruder")
    graded = (course / "autograded" / "intruder" / assignment /
              f"{round_trip.notebook}.ipynb").read_text()
    assert "could not delete" in graded and "found []" in graded
    if any(_course_twin(name) for name in round_trip.answers):
        assert "withheld while your notebook is graded" in graded
    assert (course / "solutions" / assignment / f"{round_trip.notebook}.py").exists()
    assert (course / "gradebook.db").exists()
    assert (course / "submitted" / "solution" / assignment).is_dir()
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit()
            and _left_behind(assignment) in _read(p / "cmdline")]
    assert not left, "a process the intruder started outlived its grading"


def _left_behind(assignment: str) -> str:
    return LEFT_BEHIND.format(ASSIGNMENTS.index(assignment) + 10)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def test_hostile_submissions_are_graded_with_a_clear_record(round_trip):
    """The hostile submission (on ATTACKED_ON) scores what it earned before its kernel died,
    with a record of each attack; a corrupt notebook and one under another name (on every
    assignment) fail with a reason, and never stop the others."""
    grading = round_trip.grading
    if round_trip.assignment in ATTACKED_ON:
        assert round_trip.scores["hostile"] == round_trip.expected_hostile
        record = " | ".join(grading.notes["hostile"])
        for what in ("output truncated", "can't allocate memory", "SystemExit",
                     "CellTimeoutError", KERNEL_DIED):
            assert what in record, f"the record of the hostile submission lacks {what!r}: {record}"
        autograded = round_trip.course / "autograded" / "hostile" / round_trip.assignment
        assert sum(f.stat().st_size for f in autograded.iterdir()) < 2_000_000, "output not limited"
        assert NOT_RUN in (autograded / f"{round_trip.notebook}.ipynb").read_text()
    assert set(grading.failed) == {"corrupt", "misnamed"}, grading.summary()
    assert "not a readable notebook" in grading.failed["corrupt"]
    assert f"no {round_trip.notebook}.ipynb" in grading.failed["misnamed"]
    # the others are graded, every student of the class has a score in the gradebook
    assert sorted(grading.graded) == sorted(set(round_trip.students) - set(grading.failed))
    assert sorted(round_trip.scores) == round_trip.students
    for student in round_trip.students:
        assert round_trip.scores[student] == round_trip.expected(student), student


def _text(page: str) -> str:
    """What a reader of an HTML page sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_feedback_shows_results_without_hidden_tests(round_trip):
    source = (round_trip.course / "solutions" / round_trip.assignment /
              f"{round_trip.notebook}.py").read_text()
    regions = r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS"
    shown = re.sub(regions, "", source, flags=re.S)     # the text, the tests, the solutions
    hidden = {line.strip() for region in re.findall(regions, source, re.S)
              for line in region.splitlines()}
    secret = {line for line in hidden if len(line) > 12 and line not in shown}
    assert secret, "the assignment has hidden tests to keep secret"
    for student in round_trip.feedback:
        page = (round_trip.course / "feedback" / student / round_trip.assignment /
                f"{round_trip.notebook}.html").read_text()
        text = _text(page)
        own = {line.strip() for wrong in round_trip.packs.get(student, [])   # their answers
               for line in wrong.read_text().splitlines()}
        leaked = sorted(line for line in secret - own if line in text)
        assert not leaked and "HIDDEN TESTS" not in text, f"{student}'s feedback shows {leaked[:3]}"
    # the partial student (the last page read) sees which test cells lost points, and why
    lost = {g: p for g, p in round_trip.expected(round_trip.first_wrong).items()
            if p < round_trip.tests[g]}
    assert lost
    for grade_id, score in lost.items():
        cell = text.split(f"Grade cell: {grade_id}\n", 1)[1]
        cell = re.split(r"Grade cell: |Student's answer", cell)[0]
        assert f"Score: {float(score)} / {float(round_trip.tests[grade_id])}" in cell, cell[:300]
        if score == 0:
            assert re.search(r"\b\w+(Error|Exception)\b", cell), f"no failure message: {cell}"


def test_exported_grades_match_every_students_expected_score(round_trip):
    got = {row["student_id"]: (float(row["raw_score"]), float(row["late_submission_penalty"]),
                               float(row["score"])) for row in round_trip.grades}
    want = {}
    for student in got:
        if student not in round_trip.students:       # a student of another assignment
            want[student] = (0.0, 0.0, 0.0)
            continue
        raw = float(sum(round_trip.expected(student).values()))
        late = student == LATE_STUDENT
        want[student] = (raw, raw if late else 0.0, 0.0 if late else raw)
    assert set(round_trip.students) <= set(got)
    assert got == want


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of its own (`grader.pipeline.local_postgres`): its gradebook URL."""
    try:
        with local_postgres() as url:
            yield url
    except FileNotFoundError as missing:
        pytest.skip(f"{missing}: parallel grading against PostgreSQL is not checked")


def test_grading_on_dask_survives_a_killed_worker(round_trip, tmp_path, request):
    """A class graded one task per submission on a Dask LocalCluster of two worker processes
    against PostgreSQL, one worker killed while it grades: its submission is graded on
    another, and the gradebook is the serial one; then a grading cut short (its autograded
    notebook missing) is graded again by `make grade`, and only it."""
    if round_trip.assignment != PARALLEL:
        pytest.skip(f"grading on Dask is checked on {PARALLEL}")
    from grader import engine

    url = request.getfixturevalue("postgres")
    assignment, course = round_trip.assignment, round_trip.course
    on_time = [student for student in round_trip.packs if student != LATE_STUDENT]
    students = sorted(["solution", "untouched", on_time[0]])   # the copies keep no due date
    copy_ = tmp_path / "course"
    shutil.copytree(course / "solutions" / assignment, copy_ / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.copy(course / "nbgrader_config.py", copy_)
    for student in students:
        shutil.copytree(course / "submitted" / student / assignment,
                        copy_ / "submitted" / student / assignment)
    shutil.copytree(course / ".grader", copy_ / ".grader")   # the instructor's checks, kept
    release(copy_, [assignment], url)        # records the assignment in the gradebook
    with engine.cluster(2) as client:
        results = {}
        grading = threading.Thread(target=lambda: results.update(engine.grade_on_dask(
            client, copy_, assignment, students, url)))
        grading.start()
        killed = engine.kill_a_busy_worker(client, copy_, assignment)
        grading.join()
        client.cluster.close()
    assert killed, "no worker was busy: none was killed"
    assert sorted(results) == students
    assert all(status == 0 for status, _ in results.values()), results
    assert (gradebook_entries(url, assignment, students)
            == gradebook_entries(f"sqlite:///{course / 'gradebook.db'}", assignment, students))
    # a grading cut short: make grade grades that submission again, and no other
    cut = copy_ / "autograded" / students[0] / assignment / f"{round_trip.notebook}.ipynb"
    cut.unlink()
    again = grade(copy_, assignment, url=url)
    assert sorted(again.graded) == students and cut.exists()
    assert "cut short" in " ".join(again.notes[students[0]])
    log = again.logs[0].read_text()
    assert log.count("Skipping existing assignment") == len(students) - 1, log[-2000:]
    assert (gradebook_entries(url, assignment, students)
            == gradebook_entries(f"sqlite:///{course / 'gradebook.db'}", assignment, students))


def test_exercises_are_up_to_date(round_trip):
    """exercises/ is what `make exercises` makes from solutions/ today: the release the term
    just generated from this repository's solutions/, file for file."""
    assignment = round_trip.assignment
    fresh = round_trip.course / "exercises" / assignment
    committed = ROOT / "exercises" / assignment
    assert committed.is_dir(), f"exercises/{assignment} is missing: run `make exercises`"
    comparison = filecmp.dircmp(fresh, committed)
    assert not (comparison.left_only or comparison.right_only), \
        f"exercises/{assignment} differs from solutions/: run `make exercises`"
    for name in comparison.common_files:
        assert (fresh / name).read_bytes() == (committed / name).read_bytes(), \
            f"exercises/{assignment}/{name} is stale: run `make exercises`"


def test_no_solution_reaches_the_release():
    for assignment in ASSIGNMENTS:     # the notebooks, not the judges of the challenges
        released = sorted(p.name for p in (ROOT / "exercises" / assignment).iterdir())
        sources = notebook_sources(ROOT / "solutions" / assignment)
        assert released == [p.with_suffix(".ipynb").name for p in sources], released
    for notebook in (ROOT / "exercises").rglob("*"):
        if notebook.is_file():
            text = notebook.read_text()
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, notebook
            assert notebook.suffix == ".ipynb", f"{notebook} should not be released"


def test_hidden_examples_never_reach_the_cache(round_trip):
    """The graded kernels can read the data cache (its data sets are mounted in the sandbox),
    so the examples a judge keeps hidden are generated in memory and never written there."""
    import importlib.util

    from support.data import CACHE

    judges = ROOT / "solutions" / round_trip.assignment / "judges.py"
    if not judges.exists():
        pytest.skip(f"{round_trip.assignment} has no judge")
    spec = importlib.util.spec_from_file_location(f"judges_{round_trip.assignment[:2]}", judges)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hidden = [value for name, value in vars(module).items()
              if name.isupper() and isinstance(value, dict) and "seed" in value]
    assert hidden and all(value.get("keep") is False for value in hidden), hidden
    for value in hidden:
        found = sorted(CACHE.glob(f"mnist1d-*-{value['num_samples']}-{value['seed']}.npz"))
        assert not found, f"hidden examples on disk, where a submission can read them: {found}"

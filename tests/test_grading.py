"""The grading round trip of every assignment, in a temporary course directory that uses the
repository's own nbgrader_config.py:

- the solution scores full marks, the untouched release scores zero;
- each plausible wrong implementation under tests/wrong/<assignment>/<grade_id>.<name>.py
  loses the points of its own test cell and keeps the others; its first line may say
  otherwise: "# loses: test_a test_b" for an answer graded in several test cells (a challenge
  with two levels), "# keeps N points" for partial credit on its own cell;
- test cells a student deleted are restored and graded; a test cell a student edited is
  restored too (else a wrong answer would pass it);
- exercises/ is what `make exercises` makes from solutions/ today.
"""
from __future__ import annotations

import copy
import filecmp
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from support.grading import ROOT, assignments, cell_scores, nbgrader, release

ASSIGNMENTS = assignments()
WRONG = ROOT / "tests" / "wrong"


def _course(tmp_path: Path, assignment: str) -> Path:
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    release(course)
    return course


def _graded_cells(nb, key):
    return [c for c in nb.cells if (c.metadata.get("nbgrader") or {}).get(key)]


def _wrong_answers(assignment):
    return sorted((WRONG / assignment).glob("*.py"))


def _expected(wrong: Path, tests: dict[str, float]) -> dict[str, float]:
    """The score a wrong answer must get on every test cell: full marks, except 0 on its own
    cell test_<grade_id>; or, when its first line says so, 0 on the cells it names
    ("# loses: test_a test_b") or N on its own cell ("# keeps N points", partial credit)."""
    first = wrong.read_text().splitlines()[0]
    own = f"test_{wrong.name.split('.')[0]}"
    kept = re.match(r"# keeps ([0-9.]+) points?\b", first)
    if first.startswith("# loses:"):
        lost = dict.fromkeys(first.removeprefix("# loses:").split(), 0)
    else:
        lost = {own: float(kept.group(1)) if kept else 0}
    assert set(lost) <= set(tests), f"{wrong.name} names a test cell the assignment lacks"
    return dict(tests, **lost)


class RoundTrip:
    """Builds the release, submits one notebook per scenario, autogrades them all once."""

    def __init__(self, tmp_path: Path, assignment: str):
        self.assignment = assignment
        course = self.course = _course(tmp_path, assignment)
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

        submissions = {"solution": answered(released), "untouched": released}
        no_tests = answered(released)
        no_tests.cells = [c for c in no_tests.cells
                          if not (c.metadata.get("nbgrader") or {}).get("grade")]
        submissions["deleted-tests"] = no_tests
        for wrong in _wrong_answers(assignment):
            grade_id, variant = wrong.name.split(".")[:2]
            submissions[f"wrong-{grade_id}-{variant}"] = answered(
                released, **{grade_id: wrong.read_text()})
        # the first wrong answer again, with its test cell edited to pass
        first = _wrong_answers(assignment)[0]
        edited = answered(released, **{first.name.split(".")[0]: first.read_text()})
        for cell in _graded_cells(edited, "grade"):
            cell.source = "pass  # the student edited this test"
        submissions["edited-tests"] = edited
        self.expected_when_edited = _expected(first, self.tests)

        for student, nb in submissions.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / source_path.name)
        nbgrader(course, "autograde", assignment, "--force")
        self.scores = cell_scores(course, assignment, self.notebook)


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def round_trip(request, tmp_path_factory):
    return RoundTrip(tmp_path_factory.mktemp(request.param), request.param)


def test_solution_scores_full_marks(round_trip):
    assert round_trip.scores["solution"] == round_trip.tests


def test_untouched_release_scores_zero(round_trip):
    assert round_trip.scores["untouched"] == {grade_id: 0 for grade_id in round_trip.tests}


def test_deleted_test_cells_are_restored_and_graded(round_trip):
    assert round_trip.scores["deleted-tests"] == round_trip.tests


def test_edited_test_cells_are_restored(round_trip):
    scores = round_trip.scores["edited-tests"]
    assert scores == round_trip.expected_when_edited


def test_every_graded_function_has_a_wrong_answer(round_trip):
    covered = {p.name.split(".")[0] for p in _wrong_answers(round_trip.assignment)}
    assert covered == set(round_trip.answers)


def test_wrong_answers_lose_their_points_only(round_trip):
    for wrong in _wrong_answers(round_trip.assignment):
        grade_id = wrong.name.split(".")[0]
        expected = _expected(wrong, round_trip.tests)
        student = f"wrong-{grade_id}-{wrong.name.split('.')[1]}"
        assert round_trip.scores[student] == expected, student


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_up_to_date(assignment, tmp_path):
    fresh = _course(tmp_path, assignment) / "exercises" / assignment
    committed = ROOT / "exercises" / assignment
    assert committed.is_dir(), f"exercises/{assignment} is missing: run `make exercises`"
    comparison = filecmp.dircmp(fresh, committed)
    assert not (comparison.left_only or comparison.right_only), \
        f"exercises/{assignment} differs from solutions/: run `make exercises`"
    for name in comparison.common_files:
        assert (fresh / name).read_bytes() == (committed / name).read_bytes(), \
            f"exercises/{assignment}/{name} is stale: run `make exercises`"


def test_no_solution_reaches_the_release():
    for notebook in (ROOT / "exercises").rglob("*"):
        if notebook.is_file():
            text = notebook.read_text()
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, notebook
            assert notebook.suffix == ".ipynb", f"{notebook} should not be released"

"""The nbgrader pipeline: from the instructor's jupytext sources in ``solutions/`` to the
student notebooks in ``exercises/``, and grading in a course directory.

A source is a py:percent file whose cells mark what nbgrader grades::

    # %% solution="count_parameters"          -> an autograded answer cell, id count_parameters
    # %% test="count_parameters" points=2      -> a locked test cell, id test_count_parameters

Answer cells hold ``### BEGIN SOLUTION`` / ``### END SOLUTION``; test cells may hold
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``. Every other cell is left as it is.

``python -m support.grading release`` (``make exercises``) rebuilds every assignment.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "assignments", "to_notebook", "build_sources", "release", "nbgrader", "cell_scores"]

ROOT = Path(__file__).resolve().parents[1]


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
        cell.metadata = {"nbgrader": nbg} if nbg else {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def assignments(root: Path = ROOT) -> list[str]:
    """Names of the assignments: the folders of ``solutions/`` that hold a jupytext source."""
    return sorted(p.name for p in (Path(root) / "solutions").iterdir() if list(p.glob("*.py")))


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
        sources = sorted(folder.glob("*.py"))
        for source in sources:
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


def release(root: Path = ROOT, names: list[str] | None = None) -> list[str]:
    """Regenerate ``exercises/`` from ``solutions/`` in course directory ``root``: the
    assignments ``names``, or all of them (and remove releases whose source is gone)."""
    root = Path(root)
    built = build_sources(root, names)
    for name in built:
        nbgrader(root, "generate_assignment", name, "--force")
    if names is None and (root / "exercises").exists():
        for stale in (root / "exercises").iterdir():
            if stale.name not in built:
                shutil.rmtree(stale)
    return built


def cell_scores(root: Path, assignment: str, notebook: str) -> dict[str, dict[str, float]]:
    """Autograded score of every graded cell, per student: {student: {grade_id: score}}."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in gradebook.students:
            nb = gradebook.find_submission_notebook(notebook, assignment, student.id)
            scores[student.id] = {grade.name: grade.score for grade in nb.grades}
        return scores


if __name__ == "__main__":
    if sys.argv[1:2] != ["release"]:
        sys.exit("usage: python -m support.grading release [ASSIGNMENT ...]")
    try:
        built = release(ROOT, sys.argv[2:] or None)
    except ValueError as error:
        sys.exit(str(error))
    for name in built:
        print(f"exercises/{name} regenerated from solutions/{name}")

"""The grader's half of a hidden test: compare, in the grader's own process, what the
student's code sent (`grader.probe.check`) with what the instructor's answers send.

The instructor's notebook (``solutions/<assignment>/<notebook>.ipynb``, answers and hidden
tests) runs once in a kernel of its own (`reference_checks`, kept on disk under a SHA-256 of
the notebook and of the code of ``support/`` and ``grader/``); each test cell's list of checks
is its reference. A student's test cell then passes only if it sent exactly as many checks,
each equal to the reference's (`compare`). Checks a submission forges by printing, by
rewriting the cell, or by sending more, fewer or other values, fail; a test cell that sends no
checks in the instructor's notebook is graded by nbgrader's own rule (no error, full marks).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from grader.probe import LAYER_SETTINGS, MIME, decode

__all__ = ["take_checks", "with_end_check", "reference_checks", "judges", "hidden_examples",
           "at_most", "rebuild", "compare"]

ROOT = Path(__file__).resolve().parents[1]
MAX_CHECK_BYTES = 64 * 2**20     # what one test cell may send, all its checks together
SHOWN = 160                      # characters of a value quoted in the feedback


def take_checks(cell) -> list[dict]:
    """Remove the checks a cell sent from its outputs and return them, in order (each a dict
    with ``what``, ``rtol``, ``atol`` and the encoded ``value``); any other output stays."""
    checks, kept = [], []
    for output in cell.get("outputs", []):
        data = output.get("data", {}) if output.get("output_type") == "display_data" else {}
        if MIME in data:
            checks.append(data[MIME])
        else:
            kept.append(output)
    cell.outputs = kept
    return checks


END_CHECK = ('__import__("grader.probe", fromlist=["check"]).check("ran", '
             '"the test cell ran to its end")')


def with_end_check(source: str) -> str:
    """A test cell's ``source`` with a last check that it ran to its end (before its final
    expression, which nbgrader may read as a partial score), so that a cell a submission
    emptied or cut short fails even where its tests still compare in the kernel."""
    import ast

    try:
        body = ast.parse(source).body
    except SyntaxError:
        return source
    lines = source.split("\n")
    if body and isinstance(body[-1], ast.Expr):
        at = body[-1].lineno - 1
        return "\n".join(lines[:at] + [END_CHECK] + lines[at:])
    return source + "\n" + END_CHECK


def _key(notebook: Path) -> str:
    digest = hashlib.sha256(Path(notebook).read_bytes())
    for folder in ("support", "grader"):
        for path in sorted((ROOT / folder).glob("*.py")):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:20]


def reference_checks(notebook: Path, store: Path, execute) -> dict[str, list[dict]]:
    """The checks each test cell (by grade id) of the instructor's ``notebook`` sends: read
    from ``store`` where a run of the same notebook and code left them, else got by
    ``execute(nb, folder)`` (which runs the notebook node in place, in that folder) and kept
    there. Raises RuntimeError if a test cell of the instructor's notebook fails."""
    import nbformat

    notebook = Path(notebook)
    kept = Path(store) / f"{notebook.stem}-{_key(notebook)}.json"
    if kept.exists():
        return json.loads(kept.read_text())
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.metadata.get("nbgrader") or {}).get("grade"):
            cell.source = with_end_check(cell.source)
    execute(nb, notebook.parent)
    checks = {}
    for cell in nb.cells:
        grade = (cell.metadata.get("nbgrader") or {})
        if cell.cell_type != "code" or not grade.get("grade"):
            continue
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if errors:
            raise RuntimeError(f"{notebook}: the instructor's test cell {grade['grade_id']} "
                               f"fails: {errors[0].ename}: {errors[0].evalue}")
        found = take_checks(cell)
        if found:
            checks[grade["grade_id"]] = found
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(checks))
    partial.replace(kept)
    return checks


def _shown(value) -> str:
    if isinstance(value, np.ndarray):
        text = f"array of shape {tuple(value.shape)}, {value.dtype}: " + np.array2string(
            value.ravel()[:8], precision=6, separator=", ", threshold=8)
    else:
        text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _kind(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    return type(value).__name__


def _same(got, want, rtol: float, atol: float) -> str | None:
    """Why ``got`` differs from ``want`` (None when it does not)."""
    if isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"expected an array, got {_kind(got)}"
        if got.shape != want.shape:
            return f"expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        if want.dtype.kind == "f" or want.dtype.kind == "c":
            if got.dtype.kind not in "fc":
                return f"expected floating-point values, got {got.dtype}"
            if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
                return "the values differ"
            return None
        if got.dtype.kind != want.dtype.kind or not np.array_equal(got, want):
            return "the values differ" if got.dtype.kind == want.dtype.kind else \
                f"expected {want.dtype} values, got {got.dtype}"
        return None
    if isinstance(want, float):
        if _kind(got) not in ("int", "float"):
            return f"expected a number, got {_kind(got)}"
        if np.isnan(want) and np.isnan(got):
            return None
        return None if np.isclose(got, want, rtol=rtol, atol=atol) else "the values differ"
    if _kind(got) != _kind(want):
        return f"expected {_kind(want)}, got {_kind(got)}"
    if isinstance(want, (list, tuple)):
        if len(got) != len(want):
            return f"expected {len(want)} items, got {len(got)}"
        for index, (g, w) in enumerate(zip(got, want)):
            why = _same(g, w, rtol, atol)
            if why:
                return f"item {index}: {why}"
        return None
    if isinstance(want, dict):
        if set(got) != set(want):
            return f"expected the keys {sorted(map(str, want))}, got {sorted(map(str, got))}"
        for key in want:
            why = _same(got[key], want[key], rtol, atol)
            if why:
                return f"[{key!r}]: {why}"
        return None
    return None if got == want else "the values differ"


def judges(folder: Path) -> dict:
    """The instructor's judges: the functions of ``folder/judges.py`` (beside the instructor's
    notebook, never released, never in a student's kernel), by name; {} where there is none.
    A judge takes (the value a student's check sent, the instructor's) and returns (the
    fraction of the test cell's points it earns, what the feedback says). The file is loaded
    once per grading process and source (`_judges_module`), so what its judges remember (the
    models they measure, a verdict on functions already judged) serves every submission."""
    import types

    path = Path(folder).resolve() / "judges.py"
    if not path.exists():
        return {}
    module = _judges_module(str(path), hashlib.sha256(path.read_bytes()).hexdigest())
    return {name: value for name, value in vars(module).items()
            if isinstance(value, types.FunctionType) and not name.startswith("_")}


@functools.lru_cache(maxsize=16)
def _judges_module(path: str, digest: str):
    """The module of the judges file at ``path`` whose source has SHA-256 ``digest``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"judges_{digest[:20]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hidden_examples(spec: dict):
    """Every example of ``support.data.mnist1d(**spec)``, its three splits in one pair
    (x (N, 1, 40), y (N,)): the signals a judge measures on and no kernel ever sees. ``spec``
    must say ``keep=False`` (made in memory, never written where kernels read); they are
    made once per grading process and must not be changed in place."""
    if set(spec) != {"num_samples", "seed", "keep"} or spec["keep"] is not False:
        raise ValueError("hidden examples need a spec of num_samples, seed and keep=False "
                         f"(never on disk), got {spec!r}")
    return _made(spec["num_samples"], spec["seed"])


@functools.lru_cache(maxsize=8)
def _made(num_samples: int, seed: int):
    import torch

    from support import data

    new = data.mnist1d(num_samples=num_samples, seed=seed, keep=False)
    return (torch.cat([new.x_train, new.x_val, new.x_test]),
            torch.cat([new.y_train, new.y_val, new.y_test]))


def at_most(limit: float, what: str):
    """A judge: all the points for a number at most ``limit`` (``what`` it measures, for the
    feedback), none above it or for anything else."""
    def judge(value, reference) -> tuple[float, str]:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value <= limit:
            return 0.0, f"{what}: {value!r}, more than {limit:g}"
        return 1.0, f"{what}: {value:.1f}"
    return judge


def rebuild(layers, state):
    """The ``nn.Sequential`` that `grader.probe.sequential` sent as ``layers`` and ``state``,
    built here from PyTorch's own layers (first on the meta device: settings that would take
    more memory than the weights sent allocate nothing), in evaluation mode. Raises ValueError
    for a layer or setting `grader.probe.LAYER_SETTINGS` does not name, or weights that do
    not fit."""
    import torch
    from torch import nn

    modules = []
    for name, settings in layers:
        allowed = set(LAYER_SETTINGS.get(name, ())) | (
            {"bias"} if name in ("Conv1d", "Linear") else set())
        if name not in LAYER_SETTINGS or set(settings) != allowed:
            raise ValueError(f"not a layer a network is sent with: {name} {settings}")
        with torch.device("meta"):
            modules.append(getattr(nn, name)(**settings))
    model = nn.Sequential(*modules)
    try:
        model.load_state_dict({key: torch.as_tensor(value) for key, value in dict(state).items()},
                              assign=True)
    except RuntimeError as error:
        raise ValueError(f"the weights do not fit the layers: {error}") from None
    return model.eval()


def compare(got: list[dict], want: list[dict], judged: dict | None = None
            ) -> tuple[float, str | None]:
    """(fraction of the points, why) of a test cell whose checks ``got`` meet the instructor's
    ``want``: 0 and why for a check missing or extra, data that is not data, or a value that
    differs; else the least that a judged check earns (``judged``: `judges`), with what its
    judge says, or 1 and None. The tolerance, each check's name and its judge come from
    ``want``."""
    size = sum(len(json.dumps(g)) for g in got)
    if size > MAX_CHECK_BYTES:
        return 0.0, f"the checks sent {size} bytes, more than {MAX_CHECK_BYTES}"
    fraction, said = 1.0, []
    for index, reference in enumerate(want):
        what = f"hidden check {index + 1} of {len(want)}" + (
            f" ({reference['what']})" if reference.get("what") else "")
        if index >= len(got):
            return 0.0, f"{what} did not run: {len(got)} of {len(want)} checks arrived"
        try:
            value = decode(got[index].get("value") if isinstance(got[index], dict) else None)
        except (ValueError, TypeError, KeyError) as error:
            return 0.0, f"{what}: not a value ({error})"
        expected = decode(reference["value"])
        if reference.get("judge"):
            judge = (judged or {}).get(reference["judge"])
            if judge is None:
                raise RuntimeError(f"the instructor's judges.py has no judge {reference['judge']!r}")
            try:
                earned, message = judge(value, expected)
            except Exception as error:    # what a student sent can break a judge: no points
                earned, message = 0.0, f"could not be scored ({type(error).__name__}: {error})"
            fraction = min(fraction, float(earned))
            said.append(f"{reference.get('what') or reference['judge']}: {message}")
            continue
        why = _same(value, expected, reference["rtol"], reference["atol"])
        if why:
            return 0.0, f"{what}: {why}: expected {_shown(expected)}, got {_shown(value)}"
    if len(got) > len(want):
        return 0.0, f"{len(got) - len(want)} more checks arrived than the test makes"
    return fraction, "; ".join(said) or None

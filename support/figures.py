"""Headline figures: a chapter records what it measured into ``_build/figures/<chapter>.json``
as it executes, so a benchmark or a check can read the numbers without parsing HTML.

The folder is ``$COMPRESSION_FIGURES`` when set, else ``_build/figures`` at the project root.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

from . import checks

__all__ = ["figures_dir", "record", "read"]


def figures_dir() -> Path:
    """Where the figure files live (created on first use)."""
    env = os.environ.get("COMPRESSION_FIGURES")
    folder = Path(env) if env else Path(__file__).resolve().parents[1] / "_build" / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _plain(value, key):
    """JSON-ready copy of a figure: numbers (Python or 0-d tensors/arrays), strings, lists, dicts."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"figure {key!r} is not a finite number: {value!r}")
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, key) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{key}.{k}") for k, v in value.items()}
    raise ValueError(f"figure {key!r} must be a number, string, list or dict, "
                     f"got {type(value).__name__}")


def _chapter(chapter) -> str:
    if not checks.text("chapter", chapter) or not chapter.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"chapter must be a plain name like 'measuring', got {chapter!r}")
    return chapter


def record(chapter: str, **figures) -> dict:
    """Merge ``figures`` into the chapter's JSON file and return everything it now holds."""
    _chapter(chapter)
    if not figures:
        raise ValueError("record needs at least one figure, as keyword arguments")
    path = figures_dir() / f"{chapter}.json"
    held = json.loads(path.read_text()) if path.exists() else {}
    held.update({k: _plain(v, k) for k, v in figures.items()})
    path.write_text(json.dumps(held, indent=2, sort_keys=True) + "\n")
    return held


def read(chapter: str) -> dict:
    """The figures a chapter recorded ({} if it has not run)."""
    _chapter(chapter)
    path = figures_dir() / f"{chapter}.json"
    return json.loads(path.read_text()) if path.exists() else {}

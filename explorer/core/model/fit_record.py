"""The optional ``"fit"`` record of a scene file: what the stack was (or is to be) fitted to.

A lesson slide sets the target and the options that make its fit land; a fitted scene also
records how it ended::

    "fit": {"target": "gray", "optimizer": "sgd", "lr": 1.0, "momentum": 0.9,
            "steps": 300, "loss_function": "mse", "float64": false,
            "loss_start": 0.21, "loss_end": 1.4e-15, "relative_error": 1.6e-14,
            "steps_done": 300}

Every field but ``target`` may be left out. ``scene:PATH`` and ``npy:PATH`` targets are
relative to the scene's folder in the file, absolute in memory (as images are).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["FIT_KEYS", "FitRecord", "dump_fit_record", "parse_fit_record"]

FIT_KEYS = (
    "target",
    "optimizer",
    "lr",
    "momentum",
    "steps",
    "loss_function",
    "float64",
    "loss_start",
    "loss_end",
    "relative_error",
    "steps_done",
)
_CHOICES = {"optimizer": ("adam", "sgd"), "loss_function": ("mse", "l1")}
_PATH_PREFIXES = ("scene:", "npy:")


@dataclass(frozen=True, kw_only=True)
class FitRecord:
    """A fit's target and options (``None``: the default) and, once fitted, its result."""

    target: str
    optimizer: str | None = None
    lr: float | None = None
    momentum: float | None = None
    steps: int | None = None
    loss_function: str | None = None
    float64: bool | None = None
    loss_start: float | None = None
    loss_end: float | None = None
    relative_error: float | None = None
    steps_done: int | None = None


def _target_path(target: str, convert: Callable[[str], str]) -> str:
    for prefix in _PATH_PREFIXES:
        if target.startswith(prefix) and target[len(prefix) :]:
            return prefix + convert(target[len(prefix) :])
    return target


def parse_fit_record(
    value: Any, fail: Callable[[str, str], NoReturn], base_dir: str | None
) -> FitRecord:
    """Check the ``"fit"`` object of a scene file; ``fail(place, message)`` raises."""
    if not isinstance(value, dict):
        fail("field 'fit'", "must be an object {...}")
    for key in value:
        if key not in FIT_KEYS:
            fail("field 'fit'", f"unknown field {key!r} (it may have {', '.join(FIT_KEYS)})")
    if not isinstance(value.get("target"), str) or not value["target"].strip():
        fail("field 'fit.target'", 'must be a target such as "gray" or "sobel-x"')
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        place = f"field 'fit.{key}'"
        if key in _CHOICES:
            if item not in _CHOICES[key]:
                fail(place, f"must be one of {', '.join(_CHOICES[key])}, got {item!r}")
        elif key == "float64":
            if not isinstance(item, bool):
                fail(place, f"must be true or false, got {item!r}")
        elif key in ("steps", "steps_done"):
            if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 10**9:
                fail(place, f"must be a whole number of steps, got {item!r}")
        elif key != "target":
            if (
                isinstance(item, bool)
                or not isinstance(item, (int, float))
                or not (math.isfinite(item) and item >= 0)
            ):
                fail(place, f"must be a number >= 0, got {item!r}")
            item = float(item)
        kwargs[key] = item
    target = kwargs["target"].strip()

    def absolute(path: str) -> str:
        if base_dir is None or os.path.isabs(path):
            return path
        return os.path.normpath(os.path.join(base_dir, path))

    kwargs["target"] = _target_path(target, absolute)
    return FitRecord(**kwargs)


def dump_fit_record(record: FitRecord, base_dir: str | None) -> dict[str, Any]:
    """The ``"fit"`` object of a scene file; paths made relative to ``base_dir``."""

    def relative(path: str) -> str:
        if base_dir is None:
            return path
        try:
            return Path(os.path.relpath(os.path.abspath(path), base_dir)).as_posix()
        except ValueError:  # another drive on Windows
            return path

    out: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if value is not None:
            out[f.name] = value
    out["target"] = _target_path(record.target, relative)
    return out

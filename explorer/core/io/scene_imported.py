"""Scene-file fields of layers imported from models (used by :mod:`.scene_format`).

* a weight ``{"model": PATH, "output": NAME}``: computed from a model file
  (:class:`~explorer.core.model.specs.ModelTensor`; the weight's key is its target);
* a layer's ``"source": {"model": PATH, "output": NAME}``: where it came from;
* the input's ``"normalize": {"mean": [...], "std": [...]}``: images (values in [0, 1])
  become ``(x − mean) / std`` per channel before the first layer, the range the model
  was trained on (``mean = std = 0.5`` gives [−1, 1]).
"""

from __future__ import annotations

import math
from typing import Any

from explorer.core.model.specs import ModelSource, ModelTensor

__all__ = [
    "MODEL_KEYS",
    "dump_normalize",
    "dump_source",
    "parse_model_tensor",
    "parse_normalize",
    "parse_source",
]

MODEL_KEYS = ("model", "output")
NORMALIZE_KEYS = ("mean", "std")


def _ref(r: Any, value: Any, place: str, what: str) -> tuple[str, str]:
    data = r.object(value, place, MODEL_KEYS, what)
    if set(data) != set(MODEL_KEYS):
        r.fail(place, f'{what} needs both "model" and "output"')
    return r.path(data["model"], place), r.string(data["output"], place)


def parse_model_tensor(r: Any, value: Any, place: str, target: str) -> ModelTensor:
    """``{"model": PATH, "output": NAME}`` as the weight ``target``."""
    model, output = _ref(r, value, place, "a model reference")
    return ModelTensor(model=model, output=output, target=target)


def parse_source(r: Any, value: Any, place: str) -> ModelSource:
    """A layer's ``"source"``."""
    model, output = _ref(r, value, place, "a layer's source")
    return ModelSource(model=model, output=output)


def parse_normalize(r: Any, value: Any, place: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The input's ``"normalize"``: equal-length lists of finite numbers, std ≠ 0."""
    data = r.object(value, place, NORMALIZE_KEYS, "normalize")
    if set(data) != set(NORMALIZE_KEYS):
        r.fail(place, 'needs both "mean" and "std" (lists of numbers, one per channel)')
    out = []
    for key in NORMALIZE_KEYS:
        values = data[key]
        if not (
            isinstance(values, list)
            and 1 <= len(values) <= 4
            and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in values
            )
        ):
            r.fail(place, f'"{key}" must be a list of 1 to 4 finite numbers, got {values!r}'[:160])
        out.append(tuple(float(v) for v in values))
    if len(out[0]) != len(out[1]):
        r.fail(place, '"mean" and "std" must have the same length')
    if any(s == 0 for s in out[1]):
        r.fail(place, '"std" must not be 0')
    return out[0], out[1]


def dump_source(source: ModelSource, relative: Any, base: str | None) -> dict[str, str]:
    return {"model": relative(source.model, base), "output": source.output}


def dump_normalize(normalize: tuple[tuple[float, ...], tuple[float, ...]]) -> dict[str, list]:
    return {"mean": list(normalize[0]), "std": list(normalize[1])}

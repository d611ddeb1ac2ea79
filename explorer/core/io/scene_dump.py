"""Writing a :class:`~explorer.core.io.scene.Scene` as a scene-file document (versions 1 and 2).

The reading side, with its field-by-field checks, is :mod:`explorer.core.io.scene_format`. A
scene that uses nothing of version 2 is written as version 1, byte for byte as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from explorer.core.io.samples import SAMPLE_PREFIX
from explorer.core.io.scene_imported import dump_normalize, dump_source
from explorer.core.model.fit_record import dump_fit_record
from explorer.core.model.scene_model import FORMAT, VERSION, Scene
from explorer.core.model.specs import CheckpointTensor, LayerSpec, ModelTensor, spec_fields

__all__ = ["V1_ACTIVATIONS", "V1_KINDS", "dump_scene", "is_one_by_one", "needs_v2", "to_json_text"]

V1_KINDS = ("standard", "pointwise", "depthwise", "separable")
V1_ACTIVATIONS = ("none", "relu", "relu6")


def is_one_by_one(spec: LayerSpec, target: str) -> bool:
    if target == "pointwise.weight" or (target == "weight" and not hasattr(spec, "kernel_size")):
        return True
    return target == "weight" and getattr(spec, "kernel_size", None) == (1, 1)


def needs_v2(spec: LayerSpec) -> bool:
    """Whether writing ``spec`` needs version 2 of the file."""
    padding = getattr(spec, "padding", None)
    return (
        spec.kind not in V1_KINDS
        or spec.activation not in V1_ACTIVATIONS
        or spec.negative_slope != 0.01
        or (isinstance(padding, tuple) and len(padding) == 4)
    )


def _relative(path: str, base_dir: str | None) -> str:
    """``path`` relative to ``base_dir``; a relative ``path`` is taken from the current
    folder (where the user typed it), not from the scene's."""
    if base_dir is None or path.startswith(SAMPLE_PREFIX):
        return path
    try:
        return Path(os.path.relpath(os.path.abspath(path), base_dir)).as_posix()
    except ValueError:  # another drive on Windows
        return path


def _nested(values: Sequence[float], shape: Sequence[int]) -> Any:
    if len(shape) <= 1:
        return list(values)
    step = len(values) // shape[0]
    return [_nested(values[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _dump_weights(spec: LayerSpec, base_dir: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, source in spec.weights:
        if isinstance(source, CheckpointTensor):
            out[target] = {"checkpoint": _relative(source.checkpoint, base_dir), "key": source.key}
            continue
        if isinstance(source, ModelTensor):
            out[target] = {"model": _relative(source.model, base_dir), "output": source.output}
            continue
        shape = list(source.shape)
        if is_one_by_one(spec, target) and len(shape) == 4 and shape[2:] == [1, 1]:
            shape = shape[:2]
        out[target] = _nested(list(source.values), shape)
    return out


def _dump_layer(spec: LayerSpec, base_dir: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": spec.kind}
    for name in spec_fields(spec):
        value = getattr(spec, name)
        if name in type(spec).optional_fields and value == _default(spec, name):
            continue
        if isinstance(value, tuple):
            value = value[0] if len(value) == 2 and value[0] == value[1] else list(value)
        out[name] = value
    inner = getattr(spec, "layers", None)
    if isinstance(inner, tuple):
        out["layers"] = [_dump_layer(layer, base_dir) for layer in inner]
    if spec.weights:
        out["weights"] = _dump_weights(spec, base_dir)
    if spec.source is not None:
        out["source"] = dump_source(spec.source, _relative, base_dir)
    return out


def _default(spec: LayerSpec, name: str) -> Any:
    return next(f.default for f in fields(spec) if f.name == name)


def _scene_needs_v2(layers: Sequence[LayerSpec]) -> bool:
    return any(needs_v2(s) or _scene_needs_v2(getattr(s, "layers", ())) for s in layers)


def dump_scene(scene: Scene, base_dir: str | os.PathLike[str] | None) -> dict[str, Any]:
    """See :func:`explorer.core.io.scene.scene_to_dict`."""
    base = None if base_dir is None else os.path.abspath(base_dir)
    version = VERSION if _scene_needs_v2(scene.layers) else 1
    out: dict[str, Any] = {"format": FORMAT, "version": version}
    if scene.title:
        out["title"] = scene.title
    if scene.caption:
        out["caption"] = scene.caption
    # names of a layer that is gone (the stack got shorter) are not written: the file
    # must open again, and its loader allows "input" and the layers it has
    kept = {"input", *map(str, range(1, len(scene.layers) + 1))}
    names = {key: list(names) for key, names in scene.channel_names if key in kept}
    if names:
        out["channel_names"] = names
    out["seed"] = scene.seed
    inp: dict[str, Any] = {}
    if scene.input.image is not None:
        inp["image"] = _relative(scene.input.image, base)
    inp["size"] = scene.input.size
    inp["mode"] = scene.input.mode
    if scene.input.shape is not None:
        inp["shape"] = list(scene.input.shape)
    if scene.input.normalize is not None:
        inp["normalize"] = dump_normalize(scene.input.normalize)
    out["input"] = inp
    out["layers"] = [_dump_layer(spec, base) for spec in scene.layers]
    if scene.fit is not None:
        out["fit"] = dump_fit_record(scene.fit, base)
    return out


def to_json_text(value: Any, level: int = 0) -> str:
    """Indented JSON, but a list of plain numbers/strings stays on one line."""
    pad, end = "  " * (level + 1), "  " * level
    if isinstance(value, dict) and value:
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {to_json_text(v, level + 1)}"
            for k, v in value.items()
        ]
        text = "{\n" + ",\n".join(items) + "\n" + end + "}"
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [pad + to_json_text(v, level + 1) for v in value]
        text = "[\n" + ",\n".join(items) + "\n" + end + "]"
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text + ("\n" if level == 0 else "")

"""Versions 1 and 2 of the scene file: JSON document ⇄ :class:`~explorer.core.io.scene.Scene`.

Use the functions of :mod:`explorer.core.io.scene`; this module holds their field-by-field
checks so that each message names the layer and the field, and quotes the bad value as
it appears in the file (``got "3"`` for a string, ``got 3`` for a number).

Version 2 adds the kinds and fields of :mod:`explorer.core.model.kinds` that version 1 did not
have (pools, activation layers, blocks with their inner ``layers``, the new activations,
``negative_slope``, ``ceil_mode``, asymmetric ``padding``). A scene that uses none of
them is still written as version 1, byte for byte as before.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, NoReturn

from explorer.core.errors import ImageError, SceneError, SpecError
from explorer.core.io.images import MAX_SIZE, MODES
from explorer.core.io.samples import SAMPLE_PREFIX, sample_path
from explorer.core.io.scene_dump import V1_KINDS, dump_scene, is_one_by_one, needs_v2, to_json_text
from explorer.core.io.scene_imported import (
    parse_model_tensor,
    parse_normalize,
    parse_source,
)
from explorer.core.model.fit_record import parse_fit_record
from explorer.core.model.kinds.block import SE_GATES
from explorer.core.model.scene_model import FORMAT, VERSION, InputSpec, Scene
from explorer.core.model.specs import (
    ACTIVATIONS,
    PAIR_FIELDS,
    SPEC_TYPES,
    CheckpointTensor,
    InlineTensor,
    LayerSpec,
    WeightSource,
    check_fields,
    spec_fields,
)

__all__ = [
    "MAX_INPUT_SHAPE",
    "dump_scene",
    "parse_scene",
    "to_json_text",
    "where",
]  # writers re-exported


TOP_KEYS = (
    "format",
    "version",
    "title",
    "caption",
    "seed",
    "input",
    "layers",
    "fit",
    "channel_names",
)
INPUT_KEYS = ("image", "size", "mode", "shape", "normalize")
CHECKPOINT_KEYS = ("checkpoint", "key")
#: Largest ``[C, H, W]`` of a random input, per axis.
MAX_INPUT_SHAPE = (65536, 16384, 16384)
MAX_SEED = 2**32 - 1
#: Largest number of layers inside one block.
MAX_BLOCK_LAYERS = 64
#: Inline tensors: at most this many dimensions and values (bigger ones: a checkpoint).
MAX_INLINE_DIMS = 6
MAX_INLINE_VALUES = 1 << 22


def where(layer: int, kind: str | None, field: str | None = None) -> str:
    """``layer 2 (depthwise), field 'kernel_size'`` for the 0-based ``layer``, worded as
    :class:`~explorer.core.errors.SpecError` words it."""
    text = f"layer {layer + 1}" + (f" ({kind})" if kind else "")
    return f"{text}, field '{field}'" if field else text


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(name: Any, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f"; did you mean {json.dumps(close[0])}?" if close else ""


class _Reader:
    """Raises SceneError messages prefixed with the file's name."""

    def __init__(self, source: str, base_dir: str | os.PathLike[str] | None) -> None:
        self.source = source
        self.base_dir = None if base_dir is None else os.fspath(base_dir)

    def fail(self, place: str, message: str) -> NoReturn:
        raise SceneError(
            f"{self.source}: {place}: {message}" if place else f"{self.source}: {message}"
        )

    def object(self, value: Any, place: str, allowed: Sequence[str], what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(place, f"must be an object {{...}}, got {_show(value)}")
        for key in value:
            if key not in allowed:
                self.fail(
                    place,
                    f"unknown field {_show(key)}{_suggest(key, allowed)} "
                    f"({what} may have {', '.join(allowed)})",
                )
        return value

    def integer(self, value: Any, place: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(place, f"must be an integer, got {_show(value)}")
        if not lo <= value <= hi:
            self.fail(place, f"must be between {lo} and {hi}, got {value}")
        return value

    def string(self, value: Any, place: str) -> str:
        if not isinstance(value, str):
            self.fail(place, f"must be a string, got {_show(value)}")
        return value

    def path(self, value: Any, place: str) -> str:
        text = self.string(value, place)
        if not text.strip():
            self.fail(place, "must not be empty")
        if self.base_dir is not None and not os.path.isabs(text):
            return os.path.normpath(os.path.join(self.base_dir, text))
        return text


def _input(r: _Reader, value: Any) -> InputSpec:
    data = r.object(value, "input", INPUT_KEYS, "the input")
    kwargs: dict[str, Any] = {}
    if "image" in data:
        place = "input, field 'image'"
        image = r.string(data["image"], place)
        if image.startswith(SAMPLE_PREFIX):
            try:
                sample_path(image)
            except ImageError as exc:
                r.fail(place, str(exc))
            kwargs["image"] = image
        else:
            kwargs["image"] = r.path(image, place)
    if "size" in data:
        kwargs["size"] = r.integer(data["size"], "input, field 'size'", 1, MAX_SIZE)
    if "mode" in data:
        mode = data["mode"]
        if mode not in MODES:
            r.fail("input, field 'mode'", f"must be one of {', '.join(MODES)}, got {_show(mode)}")
        kwargs["mode"] = mode
    if "shape" in data:
        shape = data["shape"]
        place = "input, field 'shape'"
        if not (isinstance(shape, list) and len(shape) == 3):
            r.fail(place, f"must be [C, H, W], got {_show(shape)}")
        kwargs["shape"] = tuple(
            r.integer(v, place, 1, hi) for v, hi in zip(shape, MAX_INPUT_SHAPE, strict=True)
        )
    if "normalize" in data:
        kwargs["normalize"] = parse_normalize(r, data["normalize"], "input, field 'normalize'")
    return InputSpec(**kwargs)


def _field_value(r: _Reader, name: str, value: Any, place: str, cls: Any = None) -> Any:
    if name in PAIR_FIELDS:
        if name == "padding" and isinstance(value, str):
            if value != "same":
                r.fail(place, f'must be an integer, a pair [h, w] or "same", got {_show(value)}')
            return value
        is_int = isinstance(value, int) and not isinstance(value, bool)
        sizes = (2, 4) if name == "padding" else (2,)
        is_pair = (
            isinstance(value, list)
            and len(value) in sizes
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        )
        if not (is_int or is_pair):
            extra = " or [top, bottom, left, right]" if name == "padding" else ""
            r.fail(place, f"must be an integer or a pair [h, w]{extra}, got {_show(value)}")
        return value
    if name in ("bias", "batch_norm", "ceil_mode", "skip", "se"):
        if not isinstance(value, bool):
            r.fail(place, f"must be true or false, got {_show(value)}")
        return value
    if name in ("activation", "se_activation"):
        if value not in ACTIVATIONS:
            r.fail(
                place,
                f"must be one of {', '.join(ACTIVATIONS)}, got {_show(value)}"
                + _suggest(value, ACTIVATIONS),
            )
        return value
    if name == "se_gate":
        if value not in SE_GATES:
            r.fail(place, f"must be one of {', '.join(SE_GATES)}, got {_show(value)}")
        return value
    default = next((f.default for f in fields(cls) if f.name == name), None) if cls else None
    choices = getattr(cls, "choices", {}).get(name)
    if choices is not None:  # a kind's own choice field
        if value not in choices:
            r.fail(
                place,
                f"must be one of {', '.join(choices)}, got {_show(value)}"
                + _suggest(value, choices),
            )
        return value
    if isinstance(default, bool):  # a kind's own switch
        if not isinstance(value, bool):
            r.fail(place, f"must be true or false, got {_show(value)}")
        return value
    if name == "negative_slope" or isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            r.fail(place, f"must be a number, got {_show(value)}")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int):
        r.fail(place, f"must be an integer, got {_show(value)}")
    return value


def _inline(r: _Reader, value: list[Any], place: str, one_by_one: bool) -> InlineTensor:
    shape: list[int] = []
    level: Any = value
    while isinstance(level, list):
        if not level:
            r.fail(place, "an empty list is not a tensor")
        if len(shape) == MAX_INLINE_DIMS:
            r.fail(place, f"more than {MAX_INLINE_DIMS} nested lists")
        shape.append(len(level))
        level = level[0]
    if math.prod(shape) > MAX_INLINE_VALUES:
        r.fail(place, f"{math.prod(shape):,} values is too many to write inline; use a checkpoint")
    flat: list[float] = []
    rows: list[tuple[Any, int]] = [(value, 0)]
    while rows:  # iterative, so that deep nesting cannot overflow the stack
        row, depth = rows.pop()
        if not isinstance(row, list) or len(row) != shape[depth]:
            r.fail(place, f"not rectangular: the nested lists must have shape {shape}")
        if depth + 1 < len(shape):
            rows.extend((item, depth + 1) for item in reversed(row))
            continue
        for item in row:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                r.fail(place, f"values must be numbers, got {_show(item)}")
            try:
                number = float(item)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                r.fail(place, f"values must be finite numbers, got {_show(item)}")
            flat.append(number)
    if one_by_one and len(shape) == 2:  # a C_out × C_in matrix for a 1×1 kernel
        shape += [1, 1]
    return InlineTensor(shape=tuple(shape), values=tuple(flat))


def _checkpoint(r: _Reader, value: dict[str, Any], place: str) -> CheckpointTensor:
    data = r.object(value, place, CHECKPOINT_KEYS, "a checkpoint reference")
    if set(data) != set(CHECKPOINT_KEYS):
        r.fail(place, 'a checkpoint reference needs both "checkpoint" and "key"')
    key = r.string(data["key"], place)
    return CheckpointTensor(checkpoint=r.path(data["checkpoint"], place), key=key)


def _weights(
    r: _Reader, value: Any, spec: LayerSpec, index: int
) -> tuple[tuple[str, WeightSource], ...]:
    targets = spec.weight_targets()
    place = where(index, spec.kind, "weights")
    default = type(spec).default_weight_target
    if isinstance(value, dict) and "model" in value:
        return ((default, parse_model_tensor(r, value, place, default)),)
    if isinstance(value, dict) and "checkpoint" in value:
        return ((default, _checkpoint(r, value, place)),)
    data = r.object(value, place, targets, f"the weights of a {spec.kind} layer")
    out: list[tuple[str, WeightSource]] = []
    for target, source in data.items():
        sub = where(index, spec.kind, f"weights.{target}")
        if isinstance(source, dict) and "model" in source:
            out.append((target, parse_model_tensor(r, source, sub, target)))
        elif isinstance(source, dict):
            out.append((target, _checkpoint(r, source, sub)))
        elif isinstance(source, list):
            out.append((target, _inline(r, source, sub, is_one_by_one(spec, target))))
        else:
            r.fail(
                sub,
                f'must be nested lists of numbers or {{"checkpoint": ..., "key": ...}}, '
                f"got {_show(source)}",
            )
    return tuple(out)


def _layer(r: _Reader, value: Any, index: int, version: int = 2, inner: str = "") -> LayerSpec:
    """One layer; ``inner`` is set for a layer inside a block (``"layer 3, inner layer 2"``)."""
    at = (
        (
            lambda field=None: (
                f"{where(index, None)}, {inner}" + (f", field '{field}'" if field else "")
            )
        )
        if inner
        else None
    )
    here = at or (lambda field=None, kind=None: where(index, kind, field))
    kinds = tuple(k for k in SPEC_TYPES if not (inner and k == "block"))
    if version == 1:
        kinds = V1_KINDS
    if not isinstance(value, dict):
        r.fail(here(), f'must be an object {{"kind": ...}}, got {_show(value)}')
    if "kind" not in value:
        r.fail(here(), f"missing field 'kind' (one of {', '.join(kinds)})")
    kind = value["kind"]
    if not isinstance(kind, str) or kind not in kinds:
        known = isinstance(kind, str) and kind in SPEC_TYPES
        newer = ' (a version 2 kind: set "version": 2)' if known and not inner else ""
        r.fail(
            here("kind"),
            f"must be one of {', '.join(kinds)}, got {_show(kind)}{newer}{_suggest(kind, kinds)}",
        )
    cls = SPEC_TYPES[kind]
    place = at() if at else where(index, kind)
    allowed = ("kind", *spec_fields(cls), "weights", "source") + (
        ("layers",) if "layers" in {f.name for f in fields(cls)} else ()
    )
    r.object(value, place, allowed, f"a {kind} layer")
    if "out_channels" in allowed and "out_channels" not in value:
        r.fail(place, f"missing field 'out_channels' (a {kind} layer needs it)")
    kwargs = {
        name: _field_value(r, name, v, at(name) if at else where(index, kind, name), cls)
        for name, v in value.items()
        if name not in ("kind", "weights", "layers", "source")
    }
    if "source" in value:
        kwargs["source"] = parse_source(
            r, value["source"], at("source") if at else where(index, kind, "source")
        )
    if "layers" in allowed:
        inner_layers = value.get("layers")
        if not isinstance(inner_layers, list) or not inner_layers:
            r.fail(
                where(index, kind, "layers"),
                f"must be a non-empty list of layers, got {_show(inner_layers)}",
            )
        if len(inner_layers) > MAX_BLOCK_LAYERS:
            r.fail(where(index, kind, "layers"), f"at most {MAX_BLOCK_LAYERS} layers in a block")
        kwargs["layers"] = tuple(
            _layer(r, v, index, version, f"inner layer {j + 1}") for j, v in enumerate(inner_layers)
        )
    spec = cls(**kwargs)
    if version == 1 and needs_v2(spec):
        r.fail(
            place,
            "uses a version 2 field value (new activation, negative_slope or "
            '[top, bottom, left, right] padding): set "version": 2',
        )
    try:
        # "same" with a stride > 1 is a layer that does not run, not a bad field: the window
        # holds such an edit and must open what it saved; validate_scene refuses it
        same = getattr(spec, "padding", None) == "same"
        check_fields(dataclasses.replace(spec, padding=(0, 0)) if same else spec)
    except SpecError as exc:
        if inner:
            r.fail(at(exc.field), exc.message)
        raise SceneError(f"{r.source}: {exc.at(index, kind)}") from None
    if "weights" in value:
        spec = spec.with_changes(weights=_weights(r, value["weights"], spec, index))
    return spec


def parse_scene(data: Any, base_dir: str | os.PathLike[str] | None, source: str) -> Scene:
    """See :func:`explorer.core.io.scene.scene_from_dict`."""
    r = _Reader(source, base_dir)
    if not isinstance(data, dict):
        r.fail("", f"must be a JSON object {{...}} at the top, got {_show(data)}")
    if data.get("format") != FORMAT:
        got = f", got {_show(data['format'])}" if "format" in data else ""
        r.fail("", f'not a Conv Explorer scene ("format" must be "{FORMAT}"{got})')
    if "version" not in data:
        r.fail("", "missing field 'version'")
    version = data["version"]
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        r.fail(
            "",
            f"version {version} is newer than this Conv Explorer understands "
            f"({VERSION}); update the app",
        )
    r.integer(version, "field 'version'", 1, VERSION)
    r.object(data, "", TOP_KEYS, "a scene")
    kwargs: dict[str, Any] = {}
    for name in ("title", "caption"):
        if name in data:
            kwargs[name] = r.string(data[name], f"field '{name}'")
    if "channel_names" in data:  # {"input": ["R", "G", "B"], "1": ["Y", "Cb", "Cr"]}
        names = r.object(
            data["channel_names"],
            "field 'channel_names'",
            ["input", *map(str, range(1, len(data.get("layers") or []) + 1))],
            "channel_names",
        )
        kwargs["channel_names"] = tuple(
            (key, tuple(r.string(n, f"channel_names '{key}'") for n in value))
            if isinstance(value, list)
            else r.fail(f"channel_names '{key}'", "must be a list of strings")
            for key, value in names.items()
        )
    if "seed" in data:
        kwargs["seed"] = r.integer(data["seed"], "field 'seed'", 0, MAX_SEED)
    if "input" in data:
        kwargs["input"] = _input(r, data["input"])
    layers = data.get("layers", [])
    if not isinstance(layers, list):
        r.fail("field 'layers'", f"must be a list [...], got {_show(layers)}")
    kwargs["layers"] = tuple(_layer(r, layer, i, version) for i, layer in enumerate(layers))
    if "fit" in data:  # optional: see explorer.core.model.fit_record
        kwargs["fit"] = parse_fit_record(data["fit"], r.fail, r.base_dir)
    return Scene(**kwargs)

"""The scene: what the user built (input, layers, seed), and its versioned JSON file.

A scene file is JSON with ``"format": "conv-explorer-scene"`` and ``"version": 1``::

    {"format": "conv-explorer-scene", "version": 1, "title": "...", "caption": "...",
     "seed": 0,
     "input": {"image": "photo.png" | "sample:NAME", "size": 256, "mode": "rgb",
               "shape": [C, H, W]},
     "layers": [{"kind": "pointwise", "out_channels": 8, "weights": {...}}, ...]}

Layer fields are those of :mod:`explorer.core.model.specs` (torch's defaults when left out;
pairs as an integer or ``[h, w]``; ``padding`` may be ``"same"``). Paths are relative to
the scene's folder in the file and absolute in memory. Loading validates everything and
raises :class:`SceneError` whose one line names the file, the layer and the field; newer
versions are refused. Saving is atomic. The parsing lives in :mod:`.scene_format`, the
data classes in :mod:`.scene_model` (re-exported here); neither imports this module, so the
imports inside functions here only defer numpy and Pillow until first needed, they hide no
cycle.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from explorer.core.analysis.costs import StackCost, stack_cost
from explorer.core.errors import ImageError, ResourceError, SceneError, SpecError
from explorer.core.model.scene_model import FORMAT, VERSION, InputSpec, Scene
from explorer.core.model.specs import CheckpointTensor, InlineTensor, ModelTensor

__all__ = [
    "FORMAT",
    "MAX_FILE_BYTES",
    "VERSION",
    "InputSpec",
    "Scene",
    "load_scene",
    "save_scene",
    "scene_from_dict",
    "scene_to_dict",
    "scene_to_json",
    "validate_scene",
]

#: Scene files bigger than this are refused before parsing (inline weights included).
MAX_FILE_BYTES = 64 * 1024 * 1024


def scene_from_dict(
    data: Any, base_dir: str | os.PathLike[str] | None = None, *, source: str = "scene"
) -> Scene:
    """Build a :class:`Scene` from parsed JSON, checking every field on its own.

    Parameters
    ----------
    data
        The parsed JSON document.
    base_dir
        Folder that relative paths (image, checkpoints) are relative to; they become
        absolute. ``None`` leaves them as they are.
    source
        How to name the file in messages.

    Raises
    ------
    SceneError
        ``"{source}: layer 2 (depthwise), field 'kernel_size': ..."``. Checks that need
        the input (groups, kernel against image size, memory) are in :func:`validate_scene`.
    """
    from explorer.core.io.scene_format import parse_scene

    return parse_scene(data, base_dir, source)


def scene_to_dict(scene: Scene, base_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The JSON document of a scene, paths made relative to ``base_dir`` when given.

    Every field of every layer is written, pairs as an integer when square. Inline
    weights of 1×1 kernels are written as ``C_out × C_in`` matrices.
    """
    from explorer.core.io.scene_dump import dump_scene

    return dump_scene(scene, base_dir)


def scene_to_json(scene: Scene, base_dir: str | os.PathLike[str] | None = None) -> str:
    """:func:`scene_to_dict` as indented JSON text, numbers of a row on one line."""
    from explorer.core.io.scene_dump import to_json_text

    return to_json_text(scene_to_dict(scene, base_dir))


def _check_weight_sources(scene: Scene, cost: StackCost) -> None:
    """Inline tensors must have the shape their target has; checkpoints must exist."""
    from explorer.core.io.scene_format import where

    for i, spec in enumerate(scene.layers):
        parts = {p.name: p for p in cost.layers[i].parts}
        for target, source in spec.weights:
            prefix = where(i, spec.kind, f"weights.{target}")
            part_name, _, tensor = target.rpartition(".")
            part = parts.get(part_name) or next(iter(parts.values()))
            if tensor == "bias" and not spec.bias and not target.startswith(("se.", "bn.")):
                raise SceneError(f'{prefix}: sets the bias but the layer has "bias": false')
            if isinstance(source, InlineTensor):
                vector = tensor != "weight" or target.startswith("bn.")  # BN: one per channel
                need = (part.output_shape[0],) if vector else part.weight_shape
                if tuple(source.shape) != tuple(need):
                    raise SceneError(
                        f"{prefix}: shape {list(source.shape)} does not fit this layer, "
                        f"which needs {list(need)}"
                        + (" (C_out, C_in/groups, kh, kw)" if tensor == "weight" else "")
                    )
            elif isinstance(source, CheckpointTensor) and not os.path.isfile(source.checkpoint):
                raise SceneError(f"{prefix}: checkpoint file not found: {source.checkpoint}")
            elif isinstance(source, ModelTensor) and not os.path.isfile(source.model):
                raise SceneError(f"{prefix}: model file not found: {source.model}")


def validate_scene(scene: Scene, *, memory: bool = True, weights: bool = True) -> StackCost:
    """Check that the scene can run: the input exists, every layer fits the shape coming
    into it, set weights fit (unless ``weights`` is false: counting only), and (unless
    ``memory`` is false) the run fits in memory.

    Returns
    -------
    explorer.core.analysis.costs.StackCost
        The costs, computed on :func:`explorer.core.io.inputs.input_shape`.

    Raises
    ------
    SceneError
        One line naming the input or the layer and field (no file name: callers add it).
        The original :class:`SpecError`, :class:`ImageError` or :class:`ResourceError`
        is its ``__cause__``.
    """
    from explorer.core.analysis.memory import check_memory
    from explorer.core.io.inputs import input_shape  # numpy and Pillow: imported when first needed

    try:
        shape = input_shape(scene.input)
    except ImageError as exc:
        raise SceneError(f"input, field 'image': {exc}") from exc
    except SceneError as exc:
        raise SceneError(f"input, field 'shape': {exc}") from exc
    try:
        cost = stack_cost(shape, scene.layers)
    except SpecError as exc:
        raise SceneError(str(exc)) from exc
    if weights:
        _check_weight_sources(scene, cost)
    if not memory:
        return cost
    try:
        check_memory(cost)
    except ResourceError as exc:
        raise SceneError(str(exc)) from exc
    return cost


def _read_text(path: Path, label: str) -> str:
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise SceneError(f"{label}: is a folder, not a scene file")
        if size > MAX_FILE_BYTES:
            raise SceneError(
                f"{label}: refused, {size / 2**20:.0f} MiB is more than a scene file may be "
                f"({MAX_FILE_BYTES // 2**20} MiB); keep big weights in a checkpoint"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SceneError(f"{label}: no such file") from None
    except PermissionError:
        raise SceneError(f"{label}: cannot read the file (permission denied)") from None
    except OSError as exc:
        raise SceneError(f"{label}: cannot read the file ({exc.strerror or exc})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise SceneError(f"{label!r}: not a valid file path") from None
    if not raw.strip():
        raise SceneError(f"{label}: empty file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SceneError(
            f"{label}: not UTF-8 text (byte {exc.start}); is this a scene file?"
        ) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SceneError(f"the key {json.dumps(key)} appears twice in one object")
        out[key] = value
    return out


def load_scene(
    path: str | os.PathLike[str],
    *,
    memory: bool = True,
    validate: bool = True,
    override: Callable[[Scene], Scene] | None = None,
    weights: bool = True,
) -> Scene:
    """Read, check and validate a scene file (see :func:`validate_scene`).

    With ``memory=False`` a stack too big to run is still loaded (``stats`` counts it).
    With ``validate=False`` only the file and its fields are checked, not whether the stack
    runs on its input (the window opens such a scene and shows the errors at their fields).
    ``override`` changes the scene before it is validated, e.g. the command line's
    ``--input-shape``/``--image``: the stack is checked against the input actually used.
    ``weights=False`` skips the check of set weights (counting a made-up input shape).

    Raises
    ------
    SceneError
        One line naming the file and what is wrong: unreadable, malformed JSON (with
        line and column), a newer version, a bad field (layer and field named), a
        missing image, a stack that cannot run or does not fit in memory.
    """
    path = Path(path)
    label = str(path)
    text = _read_text(path, label)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise SceneError(
            f"{label}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except SceneError as exc:
        raise SceneError(f"{label}: {exc}") from None
    except RecursionError:
        raise SceneError(f"{label}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python allows
        raise SceneError(f"{label}: not valid JSON: {exc}") from None
    scene = scene_from_dict(data, Path(os.path.abspath(path)).parent, source=label)
    if override is not None:
        scene = override(scene)
    if not validate:
        return scene
    try:
        validate_scene(scene, memory=memory, weights=weights)
    except SceneError as exc:
        raise SceneError(f"{label}: {exc}") from exc.__cause__
    return scene


def save_scene(scene: Scene, path: str | os.PathLike[str]) -> None:
    """Write a scene file atomically: a temporary file in the same folder, then
    :func:`os.replace`, so the file is never half-written. Paths are written relative to
    the file's folder. The scene is not validated (work in progress may be saved).

    Raises
    ------
    SceneError
        If the file cannot be written; the old file, if any, is left as it was.
    """
    path = Path(path)
    folder = Path(os.path.abspath(path)).parent
    text = scene_to_json(scene, folder)
    if len(text) > MAX_FILE_BYTES // 4 and len(text.encode("utf-8")) > MAX_FILE_BYTES:
        # it could not be opened again: refuse now, the old file stays
        raise SceneError(
            f"{path}: cannot save, the scene would be {len(text.encode('utf-8')) / 2**20:.0f} "
            f"MiB, more than a scene file may be ({MAX_FILE_BYTES // 2**20} MiB); keep big "
            "weights in a checkpoint"
        )
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        # 0o666 & ~umask, as a normal file (NamedTemporaryFile would make it private)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SceneError(f"{path}: cannot save ({exc.strerror or exc})") from None

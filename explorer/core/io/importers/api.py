"""Reading a model file, importing it, and resolving weights that reference it."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from explorer.core.io.importers.blocks_match import ImportedBlock
from explorer.core.io.importers.graph import MAX_MODEL_BYTES, Graph, ModelError
from explorer.core.io.importers.matcher import Capabilities, MatchResult, match

__all__ = ["MODEL_SUFFIXES", "capabilities", "import_model", "model_tensor", "read_model"]

MODEL_SUFFIXES = (".onnx", ".tflite")
_lock = threading.Lock()
_graphs: OrderedDict[tuple, Graph] = OrderedDict()
_weights: OrderedDict[tuple, dict[str, dict[str, np.ndarray]]] = OrderedDict()
_CACHE = 4
#: Fallback height and width for a dynamic input axis when resolving weights (weights do
#: not depend on it).
_FALLBACK_SIZE = 224


def capabilities() -> Capabilities:
    """What this version's layer kinds can represent."""
    from explorer.core.errors import SpecError
    from explorer.core.model.specs import ACTIVATIONS, DepthwiseSpec, check_fields

    try:
        check_fields(DepthwiseSpec(padding=(0, 1, 0, 1)))  # type: ignore[arg-type]
        asymmetric = True
    except (SpecError, TypeError, ValueError):
        asymmetric = False
    return Capabilities(activations=frozenset(ACTIVATIONS), asymmetric_padding=asymmetric)


def _stat_key(path: Path) -> tuple:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError:
        raise ModelError(f"{path!r}: not a valid file path") from None
    if path.is_dir():
        raise ModelError(f"{path}: is a folder, not a model file")
    if st.st_size == 0:
        raise ModelError(f"{path}: the file is empty")
    if st.st_size > MAX_MODEL_BYTES:
        raise ModelError(
            f"{path}: refused, {st.st_size / 2**20:.0f} MiB is more than a model "
            f"may be ({MAX_MODEL_BYTES // 2**20} MiB)"
        )
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


def read_model(path: str | os.PathLike[str]) -> Graph:
    """Read an ``.onnx`` or ``.tflite`` file (by its suffix); cached by path, time, size.

    Raises
    ------
    ModelError
        One line naming the file: missing, empty, too big, another format, damaged.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise ModelError(f"{p}: not a model file (expected {' or '.join(MODEL_SUFFIXES)})")
    key = _stat_key(p)
    with _lock:
        if key in _graphs:
            _graphs.move_to_end(key)
            return _graphs[key]
    try:
        if suffix == ".onnx":
            from explorer.core.io.importers.onnx_reader import read_onnx

            graph = read_onnx(p)
        else:
            from explorer.core.io.importers.tflite_reader import read_tflite

            graph = read_tflite(p)
    except PermissionError:
        raise ModelError(f"{p}: cannot read it (permission denied)") from None
    except OSError as exc:
        raise ModelError(f"{p}: cannot read it ({exc.strerror or exc})") from None
    with _lock:
        _graphs[key] = graph
        while len(_graphs) > _CACHE:
            _graphs.popitem(last=False)
    return graph


def model_input_shape(graph: Graph, shape: tuple[int, int, int] | None) -> tuple[int, int, int]:
    """The ``(C, H, W)`` to import on: ``shape`` if given, else the model's own.

    Raises
    ------
    ModelError
        When the model's input has a dynamic axis and no shape was given, or the given
        channels differ from the model's.
    """
    _, c, h, w = graph.input_shape
    if shape is not None:
        if c is not None and shape[0] != c:
            raise ModelError(
                f"{graph.path}: the input {graph.input!r} has {c} channels, not {shape[0]}"
            )
        return tuple(int(s) for s in shape)  # type: ignore[return-value]
    if None in (c, h, w):
        dims = ", ".join("?" if d is None else str(d) for d in (c, h, w))
        raise ModelError(
            f"{graph.path}: the input {graph.input!r} has a dynamic shape "
            f"({dims}); give --input-shape C H W"
        )
    return int(c), int(h), int(w)  # type: ignore[arg-type]


def import_model(
    path: str | os.PathLike[str],
    input_shape: tuple[int, int, int] | None = None,
    layers: int | None = None,
    caps: Capabilities | None = None,
) -> MatchResult:
    """Read a model and take the longest prefix the stack can represent exactly.

    Raises
    ------
    ModelError
        Bad file, dynamic shape without ``input_shape``, or nothing at the input that
        can be imported (the message names the node and why).
    """
    graph = read_model(path)
    shape = model_input_shape(graph, input_shape)
    result = match(graph, shape, caps or capabilities(), layers)
    if not result.layers:
        raise ModelError(
            f"{graph.path}: nothing at its input can be imported: {result.stop.describe()}"
        )
    return result


def model_tensor(model: str, output: str, target: str) -> np.ndarray:
    """The weight ``target`` of the imported layer whose output is the model's ``output``.

    Raises
    ------
    ModelError
        The model cannot be read, has no such layer, or the layer has no such tensor.
    """
    p = Path(model)
    key = _stat_key(p)
    with _lock:
        table = _weights.get(key)
    if table is None:
        graph = read_model(p)
        _, c, h, w = graph.input_shape
        shape = (c or 3, h or _FALLBACK_SIZE, w or _FALLBACK_SIZE)
        table = {}
        pending = list(match(graph, shape, capabilities()).layers)
        while pending:
            layer = pending.pop()
            if isinstance(layer, ImportedBlock):
                pending += layer.layers + ([layer.se.fc1, layer.se.fc2] if layer.se else [])
                continue
            if layer.weight is None:
                continue
            table[layer.output] = {"weight": layer.weight}
            if layer.bias is not None:
                table[layer.output]["bias"] = layer.bias
            table[layer.output].update(layer.bn or {})
        with _lock:
            _weights[key] = table
            while len(_weights) > _CACHE:
                _weights.popitem(last=False)
    if not target.startswith("bn."):
        target = target.rpartition(".")[2]  # "se.fc1.weight" -> the conv's "weight"
    if output not in table:
        raise ModelError(f"{p}: no imported layer has the output {output!r}")
    if target not in table[output]:
        raise ModelError(f"{p}: the layer with output {output!r} has no {target!r}")
    return table[output][target]

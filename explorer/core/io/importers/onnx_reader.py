"""Read an ONNX model into the intermediate :class:`~.graph.Graph`.

Weights may be initializers or ``Constant`` nodes (PaddlePaddle's exporter writes them that
way); a model whose tensors live in external data files that are missing is refused with the
file it needs. Only the operators the matcher understands are translated; every other node
is kept as ``op = "other"`` so the matcher can say where it stopped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core.io.importers.graph import Graph, ModelError, Node, check_attrs, need_module
from explorer.core.io.importers.onnx_consts import fold_constant

__all__ = ["read_onnx"]


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _attrs_arrays(node: Any) -> dict[str, Any]:
    """Attributes, tensors among them as numpy arrays."""
    from onnx import numpy_helper

    out = _attrs(node)
    for key, value in out.items():
        if hasattr(value, "data_type") and hasattr(value, "dims"):
            out[key] = numpy_helper.to_array(value)
    return out


def _load(path: Path) -> Any:
    onnx = need_module("onnx", path)
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, UnicodeDecodeError, TypeError) as exc:
        raise ModelError(f"{path}: not an ONNX model ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001 - protobuf raises assorted errors on garbage
        raise ModelError(f"{path}: not an ONNX model ({type(exc).__name__})") from None
    if not model.graph.node and not model.graph.input:
        raise ModelError(f"{path}: not an ONNX model (no graph in the file)")
    return model


def _tensor_array(tensor: Any, path: Path) -> np.ndarray:
    from onnx import numpy_helper
    from onnx.external_data_helper import uses_external_data

    if uses_external_data(tensor):
        info = {e.key: e.value for e in tensor.external_data}
        data = path.parent / info.get("location", "")
        if not data.is_file():
            raise ModelError(
                f"{path}: tensor {tensor.name!r} is stored in the external file "
                f"{info.get('location', '?')!r}, which is missing (keep it next to the model)"
            )
        from onnx.external_data_helper import load_external_data_for_tensor

        load_external_data_for_tensor(tensor, str(path.parent))
    try:
        array = numpy_helper.to_array(tensor)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{path}: tensor {tensor.name!r} cannot be read ({exc})") from None
    if array.dtype.kind == "f":
        return np.asarray(array, dtype=np.float32)
    return np.asarray(array)


def _input(model: Any, consts: dict[str, np.ndarray], path: Path) -> tuple[str, tuple]:
    inits = {t.name for t in model.graph.initializer} | set(consts)
    for value in model.graph.input:
        if value.name in inits:
            continue
        dims = value.type.tensor_type.shape.dim
        shape = tuple(
            d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims
        )
        if len(shape) == 4:
            return value.name, shape
        raise ModelError(
            f"{path}: the input {value.name!r} has {len(shape)} dimensions; an image input "
            "has 4 (N, C, H, W)"
        )
    raise ModelError(f"{path}: the graph has no input")


def _conv_pads(attrs: dict[str, Any], path: Path, name: str) -> dict[str, Any]:
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    out: dict[str, Any] = {}
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out["auto_pad"] = auto
    else:
        pads = list(attrs.get("pads", [0, 0, 0, 0]))
        if len(pads) != 4:
            raise ModelError(f"{path}: node {name!r}: pads {pads} are not those of a 2-D op")
        # ONNX: (top, left, bottom, right) -> ours: (top, bottom, left, right)
        out["pads"] = (pads[0], pads[2], pads[1], pads[3])
    return out


def _translate(node: Any, consts: dict[str, np.ndarray], path: Path) -> Node | None:
    a = _attrs(node)
    name = node.name or (node.output[0] if node.output else node.op_type)
    op_type = node.op_type
    inputs, outputs = list(node.input), list(node.output)
    out = Node(name=name, op="other", source_op=op_type, inputs=inputs, outputs=outputs)
    if node.domain not in ("", "ai.onnx"):
        return out
    if op_type == "Conv":
        kernel = a.get("kernel_shape")
        if kernel is not None and len(kernel) != 2:
            return out
        out.op = "conv"
        out.attrs = {
            "stride": tuple(a.get("strides", [1, 1])),
            "dilation": tuple(a.get("dilations", [1, 1])),
            "groups": int(a.get("group", 1)),
            **_conv_pads(a, path, name),
        }
    elif op_type == "BatchNormalization":
        out.op, out.attrs = "batchnorm", {"epsilon": float(a.get("epsilon", 1e-5))}
        out.outputs = outputs[:1]
    elif op_type in ("Relu", "Sigmoid", "HardSwish", "Identity", "GlobalAveragePool"):
        out.op = {
            "Relu": "relu",
            "Sigmoid": "sigmoid",
            "HardSwish": "hardswish",
            "Identity": "identity",
            "GlobalAveragePool": "globalavgpool",
        }[op_type]
    elif op_type == "Clip":
        lo, hi = a.get("min"), a.get("max")
        if len(inputs) > 1 and inputs[1]:
            c = consts.get(inputs[1])
            lo = None if c is None else float(c.reshape(-1)[0])
            if c is None:
                return out
        if len(inputs) > 2 and inputs[2]:
            c = consts.get(inputs[2])
            if c is None:
                return out
            hi = float(c.reshape(-1)[0])
        out.op = "clip"
        out.attrs = {
            "min": -np.inf if lo is None else float(lo),
            "max": np.inf if hi is None else float(hi),
        }
        out.inputs = inputs[:1]
    elif op_type == "HardSigmoid":
        out.op = "hardsigmoid"
        out.attrs = {"alpha": float(a.get("alpha", 0.2)), "beta": float(a.get("beta", 0.5))}
    elif op_type == "LeakyRelu":
        out.op, out.attrs = "leaky_relu", {"alpha": float(a.get("alpha", 0.01))}
    elif op_type == "PRelu":
        out.op = "prelu"
    elif op_type in ("Add", "Sub", "Mul", "Div"):
        out.op = op_type.lower()
    elif op_type in ("MaxPool", "AveragePool"):
        kernel = tuple(a.get("kernel_shape", []))
        if (
            len(kernel) != 2
            or a.get("ceil_mode", 0)
            or any(d != 1 for d in a.get("dilations", [1, 1]))
        ):
            return out
        out.op = "maxpool" if op_type == "MaxPool" else "avgpool"
        out.attrs = {
            "kernel": kernel,
            "stride": tuple(a.get("strides", [1, 1])),
            "count_include_pad": bool(a.get("count_include_pad", 0)),
            **_conv_pads(a, path, name),
        }
        out.outputs = outputs[:1]
    elif op_type == "Pad":
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        pads = a.get("pads")
        value = float(a.get("value", 0.0))
        if len(inputs) > 1 and inputs[1]:
            c = consts.get(inputs[1])
            pads = None if c is None else [int(v) for v in c.reshape(-1)]
        if len(inputs) > 2 and inputs[2]:
            c = consts.get(inputs[2])
            value = np.nan if c is None else float(c.reshape(-1)[0])
        if mode != "constant" or pads is None or len(pads) != 8 or (len(inputs) > 3 and inputs[3]):
            return out
        out.op = "pad"
        out.attrs = {"pads": tuple((pads[i], pads[i + 4]) for i in range(4)), "value": value}
        out.inputs = inputs[:1]
    return out


def read_onnx(path: str | os.PathLike[str]) -> Graph:
    """Read an ``.onnx`` file.

    Raises
    ------
    ModelError
        The file is not ONNX, holds no 4-D input, or its external data is missing.
    """
    p = Path(path)
    model = _load(p)
    consts: dict[str, np.ndarray] = {}
    for tensor in model.graph.initializer:
        consts[tensor.name] = _tensor_array(tensor, p)
    nodes: list[Node] = []
    for node in model.graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            a = node.attribute[0] if node.attribute else None
            if a is not None and a.name == "value":
                consts[node.output[0]] = _tensor_array(a.t, p)
                continue
            if a is not None and a.name in ("value_float", "value_floats"):
                from onnx import helper

                consts[node.output[0]] = np.asarray(helper.get_attribute_value(a), np.float32)
                continue
        if (
            node.domain in ("", "ai.onnx")
            and len(node.output) == 1
            and node.op_type != "Constant"
            and all(not n or n in consts for n in node.input)
            and node.input
        ):
            # shape arithmetic, a bias reshaped to (1, C, 1, 1): evaluate it once here
            value = fold_constant(
                node.op_type,
                [consts.get(n) if n else None for n in node.input],
                _attrs_arrays(node),
            )
            if value is not None:
                consts[node.output[0]] = value
                continue
        try:
            translated = _translate(node, consts, p)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            name = node.name or (node.output[0] if node.output else node.op_type)
            raise ModelError(
                f"{p}: node {name!r} ({node.op_type}) has malformed attributes"
            ) from None
        nodes.append(check_attrs(translated, p))
    name, shape = _input(model, consts, p)
    return Graph(
        path=str(p),
        format="onnx",
        input=name,
        input_shape=shape,
        nodes=nodes,
        consts=consts,
        layout="NCHW",
    )

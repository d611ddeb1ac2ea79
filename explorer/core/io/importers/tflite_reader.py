"""Read a TFLite flatbuffer into the intermediate :class:`~.graph.Graph` (with ``tflite``).

TFLite works in NHWC: convolution kernels are ``(C_out, kh, kw, C_in)`` and depthwise ones
``(1, kh, kw, C_in·m)``; they are transposed to PyTorch's ``(C_out, C_in/groups, kh, kw)``.
Weights stored as fp16 or int8 behind a ``DEQUANTIZE`` operator (or quantized constants read
directly) are turned into float32 constants, so the matcher sees plain weights. Tensor names
are the TFLite tensor names; a reference run must transpose them to NCHW to compare.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core.io.importers.graph import Graph, ModelError, Node, check_attrs, need_module

__all__ = ["read_tflite"]

_PADDING = {0: "SAME_UPPER", 1: "VALID"}  # tflite.Padding: SAME = 0, VALID = 1
_FUSED = {
    0: "none",
    1: "relu",
    2: "relu_n1_to_1",
    3: "relu6",
    4: "tanh",
    5: "sign_bit",
    6: "sigmoid",
}


def _names(module: Any) -> dict[int, str]:
    return {v: k for k, v in vars(module).items() if not k.startswith("_") and isinstance(v, int)}


def _dtype(tensor_type: int) -> Any:
    import tflite

    table = {
        tflite.TensorType.FLOAT32: np.float32,
        tflite.TensorType.FLOAT16: np.float16,
        tflite.TensorType.INT32: np.int32,
        tflite.TensorType.UINT8: np.uint8,
        tflite.TensorType.INT64: np.int64,
        tflite.TensorType.INT8: np.int8,
        tflite.TensorType.INT16: np.int16,
    }
    return table.get(tensor_type)


def _const(model: Any, tensor: Any) -> np.ndarray | None:
    buffer = model.Buffers(tensor.Buffer())
    if buffer is None or buffer.DataLength() == 0:
        return None
    dtype = _dtype(tensor.Type())
    if dtype is None:
        return None
    raw = buffer.DataAsNumpy().tobytes()
    shape = [int(s) for s in tensor.ShapeAsNumpy()] if tensor.ShapeLength() else []
    array = np.frombuffer(raw, dtype=dtype).reshape(shape)
    quant = tensor.Quantization()
    if quant is not None and quant.ScaleLength() and array.dtype.kind in "iu":
        scale = quant.ScaleAsNumpy().astype(np.float32)
        zero = quant.ZeroPointAsNumpy().astype(np.float32) if quant.ZeroPointLength() else 0.0
        axis = quant.QuantizedDimension()
        if scale.size > 1:
            bshape = [1] * array.ndim
            bshape[axis] = scale.size
            scale, zero = scale.reshape(bshape), np.reshape(zero, bshape)
        return ((array.astype(np.float32) - zero) * scale).astype(np.float32)
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    return array


def _options(op: Any, cls: Any) -> Any:
    table = op.BuiltinOptions()
    if table is None:
        return None
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return opts


def _to_nchw_const(array: np.ndarray) -> np.ndarray:
    """A constant operand of an element-wise op: NHWC broadcasting to NCHW."""
    if array.ndim == 4:
        return array.transpose(0, 3, 1, 2)
    if array.ndim == 1 and array.size > 1:
        return array.reshape(1, -1, 1, 1)
    return array


def _translate(
    model: Any, op: Any, code: str, ins: list[str], outs: list[str], consts: dict[str, np.ndarray]
) -> Node:
    import tflite

    node = Node(
        name=outs[0] if outs else code, op="other", source_op=code, inputs=ins, outputs=outs
    )
    if code in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        weight = consts.get(ins[1]) if len(ins) > 1 else None
        if weight is None or weight.ndim != 4:
            return node
        cls = tflite.Conv2DOptions if code == "CONV_2D" else tflite.DepthwiseConv2DOptions
        o = _options(op, cls)
        if o is None:
            return node
        if code == "CONV_2D":
            w = weight.transpose(0, 3, 1, 2)  # (O, kh, kw, I) -> (O, I, kh, kw)
            groups = 1
        else:
            w = weight.transpose(3, 0, 1, 2)  # (1, kh, kw, C*m) -> (C*m, 1, kh, kw)
            groups = -1  # = input channels, filled in by the matcher
        key = f"{ins[1]}@oihw"
        consts[key] = np.ascontiguousarray(w)
        node.inputs = [ins[0], key] + ([ins[2]] if len(ins) > 2 and ins[2] else [])
        node.op = "conv"
        node.attrs = {
            "stride": (o.StrideH(), o.StrideW()),
            "dilation": (o.DilationHFactor() or 1, o.DilationWFactor() or 1),
            "groups": groups,
            "activation": _FUSED.get(o.FusedActivationFunction(), "?"),
        }
        padding = _PADDING.get(o.Padding(), "?")
        node.attrs["auto_pad" if padding == "SAME_UPPER" else "pads"] = (
            padding if padding == "SAME_UPPER" else (0, 0, 0, 0)
        )
    elif code in ("RELU", "RELU6", "LOGISTIC", "HARD_SWISH", "LEAKY_RELU", "PRELU"):
        node.op = {
            "RELU": "relu",
            "RELU6": "relu6",
            "LOGISTIC": "sigmoid",
            "HARD_SWISH": "hardswish",
            "LEAKY_RELU": "leaky_relu",
            "PRELU": "prelu",
        }[code]
        if code == "LEAKY_RELU":
            o = _options(op, tflite.LeakyReluOptions)
            node.attrs = {"alpha": float(o.Alpha()) if o is not None else 0.2}
        if code == "PRELU" and len(ins) > 1 and ins[1] in consts:
            consts[ins[1]] = _to_nchw_const(consts[ins[1]])
    elif code in ("ADD", "SUB", "MUL", "DIV"):
        node.op = code.lower()
        cls = {
            "ADD": tflite.AddOptions,
            "SUB": tflite.SubOptions,
            "MUL": tflite.MulOptions,
            "DIV": tflite.DivOptions,
        }[code]
        o = _options(op, cls)
        act = _FUSED.get(o.FusedActivationFunction(), "?") if o is not None else "none"
        node.attrs = {"activation": act}
        for name in ins:
            if name in consts:
                consts[name] = _to_nchw_const(consts[name])
    elif code in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        o = _options(op, tflite.Pool2DOptions)
        if o is None:
            return node
        node.op = "maxpool" if code == "MAX_POOL_2D" else "avgpool"
        padding = _PADDING.get(o.Padding(), "?")
        node.attrs = {
            "kernel": (o.FilterHeight(), o.FilterWidth()),
            "stride": (o.StrideH(), o.StrideW()),
            "count_include_pad": False,
            "activation": _FUSED.get(o.FusedActivationFunction(), "?"),
        }
        node.attrs["auto_pad" if padding == "SAME_UPPER" else "pads"] = (
            padding if padding == "SAME_UPPER" else (0, 0, 0, 0)
        )
    elif code in ("PAD", "PADV2"):
        pads = consts.get(ins[1]) if len(ins) > 1 else None
        value = 0.0
        if code == "PADV2":
            v = consts.get(ins[2]) if len(ins) > 2 else None
            value = np.nan if v is None else float(np.asarray(v).reshape(-1)[0])
        if pads is None or pads.shape != (4, 2):
            return node
        n, h, w, c = (tuple(int(x) for x in row) for row in pads)
        node.op, node.inputs = "pad", ins[:1]
        node.attrs = {"pads": (n, c, h, w), "value": value}
    elif code == "MEAN":
        axes = consts.get(ins[1]) if len(ins) > 1 else None
        o = _options(op, tflite.ReducerOptions)
        if (
            axes is not None
            and sorted(int(a) for a in axes.reshape(-1)) == [1, 2]
            and (o is not None and o.KeepDims())
        ):
            node.op, node.inputs = "globalavgpool", ins[:1]
    return node


def read_tflite(path: str | os.PathLike[str]) -> Graph:
    """Read a ``.tflite`` file (its first subgraph).

    Raises
    ------
    ModelError
        The file is not a TFLite flatbuffer or has no 4-D input.
    """
    p = Path(path)
    tflite = need_module("tflite", p)
    data = p.read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{p}: not a TFLite model (no 'TFL3' identifier)")
    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        if model.SubgraphsLength() < 1:
            raise ModelError(f"{p}: the TFLite model has no subgraph")
        graph = model.Subgraphs(0)
        codes = _names(tflite.BuiltinOperator)
        consts: dict[str, np.ndarray] = {}
        names: list[str] = []
        for i in range(graph.TensorsLength()):
            tensor = graph.Tensors(i)
            name = tensor.Name().decode("utf-8", "replace") or f"tensor_{i}"
            names.append(name)
            array = _const(model, tensor)
            if array is not None:
                consts[name] = array
        nodes: list[Node] = []
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            oc = model.OperatorCodes(op.OpcodeIndex())
            code = codes.get(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()), "CUSTOM")
            ins = (
                [names[j] if j >= 0 else "" for j in op.InputsAsNumpy()]
                if op.InputsLength()
                else []
            )
            outs = [names[j] for j in op.OutputsAsNumpy()] if op.OutputsLength() else []
            if code == "DEQUANTIZE" and ins and ins[0] in consts:
                consts[outs[0]] = consts[ins[0]].astype(np.float32)
                continue
            nodes.append(check_attrs(_translate(model, op, code, ins, outs, consts), p))
        if graph.InputsLength() < 1:
            raise ModelError(f"{p}: the TFLite model has no input")
        inp = graph.Tensors(graph.Inputs(0))
        shape = (
            [int(s) for s in inp.ShapeSignatureAsNumpy()]
            if inp.ShapeSignatureLength()
            else [int(s) for s in inp.ShapeAsNumpy()]
        )
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged flatbuffer fails in many ways
        raise ModelError(f"{p}: not a readable TFLite model ({type(exc).__name__})") from None
    if len(shape) != 4:
        raise ModelError(f"{p}: the input has {len(shape)} dimensions; an image input has 4")
    n, h, w, c = (s if s > 0 else None for s in shape)
    from explorer.core.io.importers.tflite_metadata import metadata_input_range

    return Graph(
        path=str(p),
        format="tflite",
        input=names[graph.Inputs(0)],
        input_shape=(n, c, h, w),
        nodes=nodes,
        consts=consts,
        layout="NHWC",
        input_range=metadata_input_range(model),
    )

"""Write tiny TFLite models with the ``tflite`` package's flatbuffer builders (tests only):
an int8 (per-channel) or fp16 convolution kernel behind ``DEQUANTIZE``, then ``CONV_2D`` or
``DEPTHWISE_CONV_2D`` with 'SAME' or 'VALID' padding and a fused activation."""

from __future__ import annotations

import flatbuffers
import numpy as np
import tflite


def _vector(b: flatbuffers.Builder, start, items: list[int]) -> int:
    start(b, len(items))
    for item in reversed(items):
        b.PrependUOffsetTRelative(item)
    return b.EndVector()


def _buffer(b: flatbuffers.Builder, data: bytes | None) -> int:
    vec = b.CreateNumpyVector(np.frombuffer(data, np.uint8)) if data else None
    tflite.BufferStart(b)
    if vec is not None:
        tflite.BufferAddData(b, vec)
    return tflite.BufferEnd(b)


def _tensor(b, name: str, shape, ttype: int, buffer: int, quant: int | None = None) -> int:
    n = b.CreateString(name)
    s = b.CreateNumpyVector(np.asarray(shape, np.int32))
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, s)
    tflite.TensorAddType(b, ttype)
    tflite.TensorAddBuffer(b, buffer)
    tflite.TensorAddName(b, n)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    return tflite.TensorEnd(b)


def conv_model(
    kernel: np.ndarray,
    bias: np.ndarray,
    input_hw: tuple[int, int],
    *,
    stride: int = 2,
    depthwise: bool = False,
    same: bool = True,
    storage: str = "int8",
    activation: int = 3,
    metadata: bytes | None = None,
) -> tuple[bytes, np.ndarray]:
    """A model ``input (1, H, W, C) → conv → output``; returns ``(file bytes, the float
    kernel the model really holds)``. ``kernel`` is TFLite's layout: ``(O, kh, kw, I)``, or
    ``(1, kh, kw, C)`` for depthwise; ``activation`` is TFLite's fused code (3: RELU6);
    ``metadata`` (e.g. :func:`normalization_metadata`) is stored as ``TFLITE_METADATA``."""
    b = flatbuffers.Builder(1024)
    if storage == "int8":
        axis = 3 if depthwise else 0
        reduce = tuple(i for i in range(4) if i != axis)
        scale = np.abs(kernel).max(axis=reduce) / 127 + 1e-8
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        q = np.clip(np.round(kernel / scale.reshape(shape)), -127, 127).astype(np.int8)
        real = (q.astype(np.float32) * scale.reshape(shape)).astype(np.float32)
        sv = b.CreateNumpyVector(scale.astype(np.float32))
        zv = b.CreateNumpyVector(np.zeros(scale.size, np.int64))
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, sv)
        tflite.QuantizationParametersAddZeroPoint(b, zv)
        tflite.QuantizationParametersAddQuantizedDimension(b, axis)
        quant = tflite.QuantizationParametersEnd(b)
        raw, ktype = q.tobytes(), tflite.TensorType.INT8
    else:
        half = kernel.astype(np.float16)
        real, quant = half.astype(np.float32), None
        raw, ktype = half.tobytes(), tflite.TensorType.FLOAT16
    h, w = input_hw
    c = kernel.shape[3] if not depthwise else kernel.shape[3]
    o = kernel.shape[0] if not depthwise else kernel.shape[3]
    kh, kw = kernel.shape[1:3]
    oh = -(-h // stride) if same else (h - kh) // stride + 1
    ow = -(-w // stride) if same else (w - kw) // stride + 1
    buffers = [_buffer(b, None), _buffer(b, raw), _buffer(b, bias.astype(np.float32).tobytes())]
    buffers += [_buffer(b, None)] * 3
    if metadata is not None:
        buffers.append(_buffer(b, metadata))
        meta_name = b.CreateString("TFLITE_METADATA")
        tflite.MetadataStart(b)
        tflite.MetadataAddName(b, meta_name)
        tflite.MetadataAddBuffer(b, len(buffers) - 1)
        metas = _vector(b, tflite.ModelStartMetadataVector, [tflite.MetadataEnd(b)])
    tensors = [
        _tensor(b, "input", [1, h, w, c], tflite.TensorType.FLOAT32, 3),
        _tensor(b, "kernel_q", list(kernel.shape), ktype, 1, quant),
        _tensor(b, "kernel", list(kernel.shape), tflite.TensorType.FLOAT32, 4),
        _tensor(b, "bias", [o], tflite.TensorType.FLOAT32, 2),
        _tensor(b, "output", [1, oh, ow, o], tflite.TensorType.FLOAT32, 5),
    ]
    code = tflite.BuiltinOperator.DEPTHWISE_CONV_2D if depthwise else tflite.BuiltinOperator.CONV_2D
    codes = []
    for builtin in (tflite.BuiltinOperator.DEQUANTIZE, code):
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, builtin)
        tflite.OperatorCodeAddBuiltinCode(b, builtin)
        tflite.OperatorCodeAddVersion(b, 2 if builtin == tflite.BuiltinOperator.DEQUANTIZE else 1)
        codes.append(tflite.OperatorCodeEnd(b))
    padding = tflite.Padding.SAME if same else tflite.Padding.VALID
    if depthwise:
        tflite.DepthwiseConv2DOptionsStart(b)
        tflite.DepthwiseConv2DOptionsAddPadding(b, padding)
        tflite.DepthwiseConv2DOptionsAddStrideW(b, stride)
        tflite.DepthwiseConv2DOptionsAddStrideH(b, stride)
        tflite.DepthwiseConv2DOptionsAddDepthMultiplier(b, 1)
        tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(b, activation)
        tflite.DepthwiseConv2DOptionsAddDilationWFactor(b, 1)
        tflite.DepthwiseConv2DOptionsAddDilationHFactor(b, 1)
        options = tflite.DepthwiseConv2DOptionsEnd(b)
        otype = tflite.BuiltinOptions.DepthwiseConv2DOptions
    else:
        tflite.Conv2DOptionsStart(b)
        tflite.Conv2DOptionsAddPadding(b, padding)
        tflite.Conv2DOptionsAddStrideW(b, stride)
        tflite.Conv2DOptionsAddStrideH(b, stride)
        tflite.Conv2DOptionsAddFusedActivationFunction(b, activation)
        tflite.Conv2DOptionsAddDilationWFactor(b, 1)
        tflite.Conv2DOptionsAddDilationHFactor(b, 1)
        options = tflite.Conv2DOptionsEnd(b)
        otype = tflite.BuiltinOptions.Conv2DOptions
    ops = []
    for index, ins, outs, opts in ((0, [1], [2], None), (1, [0, 2, 3], [4], options)):
        iv = b.CreateNumpyVector(np.asarray(ins, np.int32))
        ov = b.CreateNumpyVector(np.asarray(outs, np.int32))
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, index)
        tflite.OperatorAddInputs(b, iv)
        tflite.OperatorAddOutputs(b, ov)
        if opts is not None:
            tflite.OperatorAddBuiltinOptionsType(b, otype)
            tflite.OperatorAddBuiltinOptions(b, opts)
        ops.append(tflite.OperatorEnd(b))
    tv = _vector(b, tflite.SubGraphStartTensorsVector, tensors)
    opv = _vector(b, tflite.SubGraphStartOperatorsVector, ops)
    inv = b.CreateNumpyVector(np.asarray([0], np.int32))
    outv = b.CreateNumpyVector(np.asarray([4], np.int32))
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tv)
    tflite.SubGraphAddInputs(b, inv)
    tflite.SubGraphAddOutputs(b, outv)
    tflite.SubGraphAddOperators(b, opv)
    sub = tflite.SubGraphEnd(b)
    subs = _vector(b, tflite.ModelStartSubgraphsVector, [sub])
    codev = _vector(b, tflite.ModelStartOperatorCodesVector, codes)
    bufv = _vector(b, tflite.ModelStartBuffersVector, buffers)
    desc = b.CreateString("conv-explorer test model")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codev)
    tflite.ModelAddSubgraphs(b, subs)
    tflite.ModelAddBuffers(b, bufv)
    tflite.ModelAddDescription(b, desc)
    if metadata is not None:
        tflite.ModelAddMetadata(b, metas)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output()), real


def normalization_metadata(mean: list[float], std: list[float]) -> bytes:
    """A TFLite Support metadata flatbuffer (``M001``) whose input tensor has one
    ``NormalizationOptions`` process unit, written with flatbuffers' generic builder
    (slots as in ``metadata_schema.fbs``)."""
    b = flatbuffers.Builder(256)

    def floats(values: list[float]) -> int:
        return b.CreateNumpyVector(np.asarray(values, np.float32))

    mean_v, std_v = floats(mean), floats(std)
    b.StartObject(2)  # NormalizationOptions {mean, std}
    b.PrependUOffsetTRelativeSlot(0, mean_v, 0)
    b.PrependUOffsetTRelativeSlot(1, std_v, 0)
    options = b.EndObject()
    b.StartObject(2)  # ProcessUnit {options_type, options}
    b.PrependUint8Slot(0, 1, 0)
    b.PrependUOffsetTRelativeSlot(1, options, 0)
    unit = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(unit)
    units = b.EndVector()
    name = b.CreateString("image")
    b.StartObject(7)  # TensorMetadata {name, ..., process_units (4)}
    b.PrependUOffsetTRelativeSlot(0, name, 0)
    b.PrependUOffsetTRelativeSlot(4, units, 0)
    tensor = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(tensor)
    tensors = b.EndVector()
    b.StartObject(7)  # SubGraphMetadata {name, description, input_tensor_metadata (2)}
    b.PrependUOffsetTRelativeSlot(2, tensors, 0)
    subgraph = b.EndObject()
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(subgraph)
    subgraphs = b.EndVector()
    b.StartObject(8)  # ModelMetadata {..., subgraph_metadata (3)}
    b.PrependUOffsetTRelativeSlot(3, subgraphs, 0)
    b.Finish(b.EndObject(), file_identifier=b"M001")
    return bytes(b.Output())

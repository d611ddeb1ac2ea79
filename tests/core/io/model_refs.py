"""References for the model importer's tests: the source model's own intermediate tensors.

* ONNX: the sub-graph from the input to a tensor, cut with ``onnx.utils.Extractor`` and run
  by onnxruntime;
* TFLite: the LiteRT interpreter with ``experimental_preserve_all_tensors=True``.

Plus :func:`layer_forward`, which runs an :class:`ImportedLayer` with torch's functional
ops, to check folds the stack's kinds cannot show yet.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F


def onnx_reference(path: str, input_name: str, output: str, x: np.ndarray) -> np.ndarray:
    """The model's tensor ``output`` for the input ``x`` ``(1, C, H, W)``, as ``(C, H, W)``."""
    import onnx
    import onnx.utils
    import onnxruntime as ort

    model = onnx.load(path)
    known = {v.name for v in (*model.graph.value_info, *model.graph.input, *model.graph.output)}
    if output not in known:  # dynamic shapes leave intermediate tensors without a value_info
        model.graph.value_info.append(
            onnx.helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None)
        )
    cut = onnx.utils.Extractor(model).extract_model([input_name], [output])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        cut.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return session.run([output], {input_name: x.astype(np.float32)})[0][0]


def tflite_reference(path: str, x: np.ndarray, output: str) -> np.ndarray:
    """The model's tensor ``output`` for ``x`` given as NCHW ``(1, C, H, W)``, as ``(C, H, W)``."""
    from ai_edge_litert.interpreter import Interpreter

    with warnings.catch_warnings():  # "intended for debugging purposes": that is our use
        warnings.simplefilter("ignore", UserWarning)
        interp = Interpreter(model_path=path, experimental_preserve_all_tensors=True, num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    interp.set_tensor(inp["index"], np.ascontiguousarray(x.transpose(0, 2, 3, 1), np.float32))
    interp.invoke()
    index = next(d["index"] for d in interp.get_tensor_details() if d["name"] == output)
    return interp.get_tensor(index)[0].transpose(2, 0, 1)


_ACTS = {
    "none": lambda x, p: x,
    "relu": lambda x, p: F.relu(x),
    "relu6": lambda x, p: F.relu6(x),
    "hardswish": lambda x, p: F.hardswish(x),
    "hardsigmoid": lambda x, p: F.hardsigmoid(x),
    "sigmoid": lambda x, p: torch.sigmoid(x),
    "leaky_relu": lambda x, p: F.leaky_relu(x, p.get("negative_slope", 0.01)),
}


def layer_forward(layer, x: torch.Tensor) -> torch.Tensor:
    """One imported layer with torch's functional ops (asymmetric padding as F.pad)."""
    t, b, left, r = layer.pads
    x = F.pad(x, (left, r, t, b))
    w = torch.from_numpy(layer.weight)
    bias = None if layer.bias is None else torch.from_numpy(layer.bias)
    y = F.conv2d(x, w, bias, stride=layer.stride, dilation=layer.dilation, groups=layer.groups)
    if layer.bn is not None:  # the model's BatchNorm, kept (its eps moved into the variance)
        bn = {k: torch.from_numpy(v) for k, v in layer.bn.items()}
        y = F.batch_norm(
            y,
            bn["bn.running_mean"],
            bn["bn.running_var"],
            bn["bn.weight"],
            bn["bn.bias"],
            training=False,
            eps=1e-5,
        )
    return _ACTS[layer.activation](y, layer.params)


def close(got: np.ndarray, want: np.ndarray, rel: float = 1e-4) -> float:
    """max |got − want| / max |want|, asserting the shapes match."""
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-12))

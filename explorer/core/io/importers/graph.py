"""The small intermediate graph that every model reader produces.

Readers (:mod:`.onnx_reader`, :mod:`.tflite_reader`) turn a file into a :class:`Graph` whose
operators all work in PyTorch's layout: activations are ``(N, C, H, W)``, convolution
weights ``(C_out, C_in/groups, kh, kw)``, per-channel constants ``(1, C, 1, 1)`` or ``(C,)``.
Constant tensors (initializers, ``Constant`` nodes, de-quantized fp16/int8 weights) are numpy
arrays in :attr:`Graph.consts`; everything else is a named tensor flowing between
:class:`Node` objects. The matcher (:mod:`.matcher`) reads only this graph.

Operator names used here (``Node.op``):

``conv`` (attrs ``stride``, ``dilation``, ``groups``, ``pads`` as ``(top, bottom, left,
right)`` or ``auto_pad`` ``"SAME_UPPER"``/``"SAME_LOWER"``, ``activation`` fused by TFLite;
inputs ``x, weight[, bias]``), ``batchnorm`` (inputs ``x, scale, bias, mean, var``; attr
``epsilon``), ``relu``, ``relu6``, ``clip`` (``min``, ``max``), ``hardswish``,
``hardsigmoid`` (``alpha``, ``beta``), ``sigmoid``, ``leaky_relu`` (``alpha``), ``prelu``
(inputs ``x, slope``), ``add``, ``sub``, ``mul``, ``div``, ``pad`` (``pads`` per axis as
``((before, after), ...)`` in NCHW order, ``value``), ``maxpool`` / ``avgpool`` (``kernel``,
``stride``, ``pads`` or ``auto_pad``, ``count_include_pad``), ``globalavgpool``,
``identity``. Anything else keeps the source's operator name in ``source_op`` with
``op = "other"``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer.core.errors import ExplorerError

__all__ = ["Graph", "ModelError", "Node", "MAX_MODEL_BYTES", "check_attrs", "need_module"]

#: Model files bigger than this are refused before parsing.
MAX_MODEL_BYTES = 512 * 1024 * 1024


class ModelError(ExplorerError):
    """A model file that cannot be read or imported; ``str()`` is one line naming the file."""


@dataclass
class Node:
    """One operator.

    Attributes
    ----------
    name
        The node's name in the source model (or its first output's name when unnamed).
    op
        The operator in this module's vocabulary (see the module docstring).
    source_op
        The operator as the source format names it (``"Conv"``, ``"DEPTHWISE_CONV_2D"``).
    inputs, outputs
        Tensor names; an empty string is an absent optional input.
    attrs
        Attributes, already converted to NCHW conventions.
    """

    name: str
    op: str
    source_op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """``node 'conv1' (Conv)`` for messages."""
        return f"node {self.name!r} ({self.source_op})"


def need_module(name: str, path: object) -> Any:
    """Import the reader package ``name`` (``onnx``, ``tflite``), or raise a
    :class:`ModelError` naming the file and the package (an installation without it gets a
    message, not an ``ImportError`` escaping to the window)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ModelError(
            f"{path}: reading this model needs the '{name}' package, which is not installed "
            f"(pip install {name})"
        ) from None


@dataclass
class Graph:
    """A model as a list of nodes in topological order.

    Attributes
    ----------
    path
        The file it was read from.
    format
        ``"onnx"`` or ``"tflite"``.
    input
        Name of the image input tensor.
    input_shape
        Its ``(N, C, H, W)`` shape; ``None`` for a dynamic axis.
    nodes
        Operators in execution order.
    consts
        Constant tensors by name (float32 unless an integer tensor such as a shape).
    layout
        ``"NCHW"`` (ONNX) or ``"NHWC"`` (TFLite): the layout of the model's own tensors,
        which a reference run must transpose to compare with the stack's ``(C, H, W)``.
    input_range
        The input range the model declares in its metadata, ``(mean, std)`` per channel,
        or ``None`` when it says nothing.
    """

    path: str
    format: str
    input: str
    input_shape: tuple[int | None, ...]
    nodes: list[Node]
    consts: dict[str, np.ndarray]
    layout: str = "NCHW"
    input_range: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    _consumers: dict[str, list[Node]] | None = field(default=None, repr=False)

    def consumers(self, tensor: str) -> list[Node]:
        """The nodes that read ``tensor``, in order."""
        if self._consumers is None:
            table: dict[str, list[Node]] = {}
            for node in self.nodes:
                for name in dict.fromkeys(node.inputs):
                    if name:
                        table.setdefault(name, []).append(node)
            self._consumers = table
        return self._consumers.get(tensor, [])

    def const(self, name: str) -> np.ndarray | None:
        """The constant tensor ``name``, or ``None`` when it is computed at run time."""
        return self.consts.get(name)

    def is_output(self, tensor: str) -> bool:
        """Whether ``tensor`` is read by no node (a graph output)."""
        return not self.consumers(tensor)


def _ints(value: Any, size: int, lo: int) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == size
        and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and lo <= v <= 1 << 16
            for v in value
        )
    )


def check_attrs(node: Node, path: str | Any) -> Node:
    """Refuse a conv or pool node whose geometry attributes are not sane integers (a damaged
    file), with one line naming the node."""
    a = node.attrs
    ok = True
    if node.op in ("conv", "maxpool", "avgpool"):
        ok = _ints(a.get("stride"), 2, 1)
        if node.op == "conv":
            groups = a.get("groups")
            ok = (
                ok
                and _ints(a.get("dilation"), 2, 1)
                and isinstance(groups, (int, np.integer))
                and (groups == -1 or 1 <= groups <= 1 << 16)
            )
        else:
            ok = ok and _ints(a.get("kernel"), 2, 1)
        if "pads" in a:
            ok = ok and _ints(a["pads"], 4, 0)
    if not ok:
        raise ModelError(f"{path}: {node.describe()} has malformed attributes")
    return node

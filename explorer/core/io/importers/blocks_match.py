"""Blocks in a model's graph: identity skip adds (``x + f(x)``, then an optional
activation) and squeeze-excitation (``x · gate(fc2(act(fc1(mean(x)))))``), matched into
:class:`ImportedBlock` objects that become the ``block`` kind.

Used by :mod:`.matcher` (the functions take its walker, which matches the convolutions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer.core.io.importers.graph import Node
from explorer.core.io.importers.patterns import TORCH_BN_EPS, activation_at
from explorer.core.text import shape_text

__all__ = ["ImportedBlock", "ImportedSE", "se_at", "skip_block"]

SE_GATES = ("hardsigmoid", "sigmoid")


@dataclass
class ImportedSE:
    """A squeeze-excitation: two 1×1 convolutions (``fc1`` with its activation, ``fc2``
    with its gate folded in) on the channel means; ``output`` is the gated tensor."""

    fc1: Any
    fc2: Any
    output: str
    nodes: list[str]


@dataclass
class ImportedBlock:
    """Inner layers, an optional SE after inner layer ``se_after`` (1-based), an optional
    identity skip and a final activation; ``output`` is the model tensor equal to the
    block's output."""

    layers: list[Any]
    output: str
    output_shape: tuple[int, int, int]
    skip: bool = False
    skip_pool: int = 1
    skip_pad: bool = False
    se: ImportedSE | None = None
    se_after: int = 0
    activation: str = "none"
    params: dict[str, float] = field(default_factory=dict)
    nodes: list[str] = field(default_factory=list)
    op: str = "block"


def fold_batchnorm(layer: Any) -> Any:
    """``layer`` with its kept batch norm folded into its weight and bias (exact in
    inference), for places that have no batch norm of their own (the SE's convs)."""
    if layer.bn is None:
        return layer
    bn = {k: v.astype(np.float64) for k, v in layer.bn.items()}
    a = bn["bn.weight"] / np.sqrt(bn["bn.running_var"] + TORCH_BN_EPS)
    b = np.zeros(a.size) if layer.bias is None else layer.bias.astype(np.float64)
    layer.weight = (layer.weight.astype(np.float64) * a[:, None, None, None]).astype(np.float32)
    layer.bias = ((b - bn["bn.running_mean"]) * a + bn["bn.bias"]).astype(np.float32)
    layer.bn = None
    return layer


def se_at(walker: Any, tensor: str, shape: tuple[int, int, int]) -> ImportedSE | None:
    """The squeeze-excitation applied to ``tensor`` (feeding a global average pool and the
    gating multiply), or ``None``."""
    g = walker.graph
    cons = g.consumers(tensor)
    pools = [n for n in cons if n.op == "globalavgpool"]
    muls = [n for n in cons if n.op == "mul" and n.attrs.get("activation", "none") == "none"]
    if len(cons) != 2 or len(pools) != 1 or len(muls) != 1:
        return None
    pooled = pools[0].outputs[0]
    c = shape[0]
    layers = []
    current, current_shape = pooled, (c, 1, 1)
    for _ in range(2):
        nxt = g.consumers(current)
        if len(nxt) != 1 or nxt[0].op != "conv":
            return None
        saved = walker.pending_stop
        try:
            layer = walker.conv_layer(nxt[0], current, current_shape, None, (0, 0, 0, 0))
        except Exception:  # noqa: BLE001 - not an SE we can represent: the caller stops
            return None
        finally:
            stopped, walker.pending_stop = walker.pending_stop, saved
        if stopped is not None or layer.kernel != (1, 1) or layer.groups != 1:
            return None
        layers.append(fold_batchnorm(layer))  # the SE's 1×1 convs have no batch norm
        current, current_shape = layer.output, layer.output_shape
    fc1, fc2 = layers
    if fc1.activation == "none" or fc2.activation not in SE_GATES or fc2.out_channels != c:
        return None
    mul = muls[0]
    if sorted(mul.inputs) != sorted([tensor, fc2.output]):
        return None
    nodes = [pools[0].name, *fc1.nodes, *fc2.nodes, mul.name]
    return ImportedSE(fc1=fc1, fc2=fc2, output=mul.outputs[0], nodes=nodes)


def _chain(
    walker: Any,
    first: Node,
    tensor: str,
    shape: tuple[int, int, int],
    end: str | None,
    stopper: Any,
) -> tuple[list, ImportedSE | None, int, str, tuple]:
    """Convolutions (and at most one SE) from ``first`` until the tensor ``end`` is reached
    (``None``: until something else follows)."""
    g = walker.graph
    layers: list = []
    se: ImportedSE | None = None
    se_after = 0
    node: Node | None = first
    while True:
        if node is None:
            if end is not None and tensor == end:
                break
            if se is None and layers and (found := se_at(walker, tensor, shape)) is not None:
                se, se_after, tensor = found, len(layers), found.output
                continue
            cons = g.consumers(tensor)
            if end is None and (len(cons) != 1 or cons[0].op != "conv"):
                break
            if len(cons) != 1:
                raise stopper(
                    cons[0] if cons else None,
                    tensor,
                    f"inside a block the tensor feeds {len(cons)} nodes",
                )
            node = cons[0]
        if node.op != "conv":
            raise stopper(node, tensor, f"inside a block: {walker.why(node)}")
        layer = walker.conv_layer(node, tensor, shape, None, (0, 0, 0, 0))
        if walker.pending_stop is not None:
            raise walker.pending_stop
        layers.append(layer)
        tensor, shape, node = layer.output, layer.output_shape, None
        if end is None and layer.activation == "none":
            break
    return layers, se, se_after, tensor, shape


def _skip_path(g: Any, node: Node, tensor: str, shape: tuple[int, int, int]) -> tuple | None:
    """``(add, pool, pad channels, skip tensor, nodes)`` when ``node`` starts a skip that
    reaches an add through an optional max pool (kernel = stride, no padding or 'SAME') and an
    optional zero pad of the channels only (BlazeFace); ``None`` otherwise."""
    nodes: list[Node] = []
    pool, pad = 1, 0
    if node.op == "maxpool" and node.attrs.get("activation", "none") == "none":
        (kh, kw), (sh, sw) = node.attrs["kernel"], node.attrs["stride"]
        same = node.attrs.get("auto_pad") == "SAME_UPPER"
        divides = shape[1] % sh == 0 and shape[2] % sw == 0
        unpadded = not any(node.attrs.get("pads", (0,)))
        if not (kh == kw == sh == sw and (same or (unpadded and divides))):
            return None
        pool, nodes = kh, [node]
        tensor = node.outputs[0]
        node = (g.consumers(tensor) or [None])[0]
        if node is None or len(g.consumers(tensor)) != 1:
            return None
    if node.op == "pad":
        (n0, n1), (c0, c1), (t, b), (left, r) = node.attrs["pads"]
        if n0 or n1 or c0 or t or b or left or r or c1 < 1 or node.attrs["value"] != 0:
            return None
        pad, nodes = c1, [*nodes, node]
        tensor = node.outputs[0]
        cons = g.consumers(tensor)
        if len(cons) != 1:
            return None
        node = cons[0]
    if node.op != "add" or node.inputs.count(tensor) != 1:
        return None
    return node, pool, pad, tensor, nodes


def skip_block(
    walker: Any, tensor: str, shape: tuple[int, int, int], stopper: Any
) -> ImportedBlock:
    """The block whose skip starts at ``tensor`` (which feeds two nodes): identity, or
    BlazeFace's max-pooled and channel-padded skip.

    Raises whatever ``stopper`` builds when it is not a block the stack can represent.
    """
    g = walker.graph
    cons = g.consumers(tensor)
    paths = [(n, p) for n in cons if (p := _skip_path(g, n, tensor, shape)) is not None]
    if len(cons) != 2 or not paths:
        ops = ", ".join(f"{n.name!r} ({n.source_op})" for n in cons[:4])
        raise stopper(
            cons[0],
            tensor,
            f"the tensor feeds {len(cons)} nodes ({ops}); only a "
            "skip add (x + f(x), optionally max-pooled and padded with zero "
            "channels) or a squeeze-excitation is understood",
        )
    start, (add, pool, pad, skip_tensor, skip_nodes) = paths[0]
    first = next(n for n in cons if n is not start)
    other = add.inputs[1] if add.inputs[0] == skip_tensor else add.inputs[0]
    if g.const(other) is not None:
        raise stopper(add, tensor, "adds a constant to a tensor that is also used elsewhere")
    layers, se, se_after, end, end_shape = _chain(walker, first, tensor, shape, other, stopper)
    c, h, w = shape
    want = (c + pad, -(-h // pool), -(-w // pool))
    if end_shape != want:
        raise stopper(
            add,
            end,
            f"the skip adds {shape_text(want)} to {shape_text(end_shape)}: the shapes differ",
        )
    out = add.outputs[0]
    nodes = [*(n.name for n in skip_nodes), add.name]
    act_name, params = add.attrs.get("activation", "none"), {}
    if act_name != "none" and act_name not in walker.caps.activations:
        raise stopper(add, tensor, f"its fused activation {act_name} is not one the stack has")
    if act_name == "none":
        act = activation_at(g, out)
        if (
            act is not None
            and act.scale == 1.0
            and act.shift == 0.0
            and (act.name in walker.caps.activations)
        ):
            act_name, params, out = act.name, act.params, act.output
            nodes += [n.name for n in act.nodes]
    return ImportedBlock(
        layers=layers,
        output=out,
        output_shape=end_shape,
        skip=True,
        skip_pool=pool,
        skip_pad=pad > 0,
        se=se,
        se_after=se_after,
        activation=act_name,
        params=dict(params),
        nodes=nodes,
    )


def se_block(walker: Any, layer: Any, stopper: Any) -> ImportedBlock | None:
    """A block for an SE that follows ``layer`` outside any skip: ``[layer]``, the SE, and
    the next convolution when it has no activation (MobileNetV3's linear projection)."""
    se = se_at(walker, layer.output, layer.output_shape)
    if se is None:
        return None
    layers = [layer]
    tensor, shape = se.output, layer.output_shape
    cons = walker.graph.consumers(tensor)
    if len(cons) == 1 and cons[0].op == "conv":
        saved = walker.pending_stop
        try:
            project = walker.conv_layer(cons[0], tensor, shape, None, (0, 0, 0, 0))
        except Exception:  # noqa: BLE001 - the main walk will stop there and say why
            project = None
        stopped, walker.pending_stop = walker.pending_stop, saved
        if project is not None and stopped is None and project.activation == "none":
            layers.append(project)
            tensor, shape = project.output, project.output_shape
    return ImportedBlock(layers=layers, output=tensor, output_shape=shape, se=se, se_after=1)

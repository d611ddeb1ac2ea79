"""Follow a model's graph from its image input and take the longest prefix that the stack
can represent exactly.

Each convolution becomes one :class:`ImportedLayer` together with everything after it that
folds into it exactly (BatchNorm in inference, per-channel or scalar Mul/Div/Add/Sub by a
constant, the scale of a non-torch hardsigmoid) and its activation (ReLU, Clip(0, 6) as
ReLU6, hardswish as x·clip(x+3, 0, 6)/6, ...). A per-channel scale (or, before an unpadded
convolution, a shift) applied *before* a convolution folds into its weights too. A ``Pad``
with zeros before a convolution becomes its padding; TensorFlow's 'SAME' becomes explicit,
possibly asymmetric, padding for the chosen input size.

Matching stops at the first node the stack cannot represent and says where and why
(:class:`Stop`). What the stack can represent is a :class:`Capabilities`, read from the
layer kinds this version of the app has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from explorer.core.io.importers.blocks_match import ImportedBlock, se_block, skip_block
from explorer.core.io.importers.graph import Graph, Node
from explorer.core.io.importers.patterns import (
    activation_at,
    channel_const,
    const_operand,
    fold_after,
    kept_batchnorm,
)

__all__ = ["Capabilities", "ImportedLayer", "MatchResult", "Stop", "match"]


@dataclass(frozen=True)
class Capabilities:
    """What the stack can represent: activation names and asymmetric padding."""

    activations: frozenset[str]
    asymmetric_padding: bool = False


@dataclass
class ImportedLayer:
    """One convolution layer taken from a model, in PyTorch's conventions.

    ``op`` is ``"conv"``, ``"maxpool"``, ``"avgpool"`` or ``"activation"`` (a standalone
    one). ``weight`` is ``(C_out, C_in/groups, kh, kw)`` float32 with every fold applied
    (``None`` for the others), ``bias`` is ``(C_out,)`` or ``None``; ``pads`` is ``(top,
    bottom, left, right)``.
    ``output`` names the model tensor equal to this layer's output; ``nodes`` the model
    nodes it covers.
    """

    output: str
    nodes: list[str]
    in_channels: int
    weight: np.ndarray | None
    bias: np.ndarray | None
    stride: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    pads: tuple[int, int, int, int]
    activation: str = "none"
    params: dict[str, float] = field(default_factory=dict)
    output_shape: tuple[int, int, int] = (0, 0, 0)
    folded: list[str] = field(default_factory=list)
    op: str = "conv"
    pool_kernel: tuple[int, int] = (1, 1)
    #: the model's own BatchNorm after the convolution, kept as the layer's batch norm:
    #: ``{"bn.weight": γ, "bn.bias": β, "bn.running_mean": μ, "bn.running_var": σ²}``
    #: (σ² already shifted by ``eps − 1e-5`` so torch's default eps gives the model's)
    bn: dict[str, np.ndarray] | None = None

    @property
    def out_channels(self) -> int:
        return self.in_channels if self.weight is None else int(self.weight.shape[0])

    @property
    def kernel(self) -> tuple[int, int]:
        if self.weight is None:
            return self.pool_kernel
        return int(self.weight.shape[2]), int(self.weight.shape[3])


@dataclass
class Stop:
    """Where and why the import stopped."""

    tensor: str
    reason: str
    node: str | None = None
    op: str | None = None

    def describe(self) -> str:
        where = f"node {self.node!r} ({self.op})" if self.node else f"tensor {self.tensor!r}"
        return f"{where}: {self.reason}"


@dataclass
class MatchResult:
    graph: Graph
    input_shape: tuple[int, int, int]
    layers: list[ImportedLayer | ImportedBlock]
    stop: Stop


class _Stopped(Exception):
    def __init__(self, stop: Stop) -> None:
        super().__init__(stop.describe())
        self.stop = stop


def _stop(node: Node | None, tensor: str, reason: str) -> _Stopped:
    return _Stopped(
        Stop(tensor, reason, node.name if node else None, node.source_op if node else None)
    )


def _same_pads(size: int, kernel: int, stride: int, dilation: int, upper: bool) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


def _conv_geometry(
    node: Node,
    weight: np.ndarray,
    shape: tuple[int, int, int],
    extra: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> tuple:
    """``(pads, output shape)`` of a convolution node on ``shape``, plus ``extra`` padding
    from a ``Pad`` node before it."""
    c, h, w = shape
    kh, kw = weight.shape[2:]
    sh, sw = node.attrs["stride"]
    dh, dw = node.attrs["dilation"]
    if "auto_pad" in node.attrs:
        upper = node.attrs["auto_pad"] == "SAME_UPPER"
        t, b = _same_pads(h, kh, sh, dh, upper)
        left, r = _same_pads(w, kw, sw, dw, upper)
        pads = (t, b, left, r)
    else:
        pads = tuple(int(p) for p in node.attrs["pads"])
    pads = tuple(p + e for p, e in zip(pads, extra, strict=True))
    oh = (h + pads[0] + pads[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (w + pads[2] + pads[3] - dw * (kw - 1) - 1) // sw + 1
    return pads, (int(weight.shape[0]), oh, ow)


def _in_channel_of(weight: np.ndarray, groups: int) -> np.ndarray:
    """For ``weight[o, j]``: the input channel it reads, as an ``(O, I/g)`` index array."""
    out_c, per = weight.shape[:2]
    per_group_out = out_c // groups
    o = np.arange(out_c)[:, None]
    return (o // per_group_out) * per + np.arange(per)[None, :]


class _Walker:
    def __init__(self, graph: Graph, caps: Capabilities) -> None:
        self.graph = graph
        self.caps = caps
        self.layers: list[ImportedLayer] = []
        self.pending_stop: _Stopped | None = None

    def conv_layer(
        self,
        node: Node,
        tensor: str,
        shape: tuple[int, int, int],
        pre: tuple[np.ndarray, np.ndarray, list[Node]] | None,
        extra_pads: tuple[int, int, int, int],
    ) -> ImportedLayer:
        g = self.graph
        weight = g.const(node.inputs[1]) if len(node.inputs) > 1 else None
        if weight is None or weight.ndim != 4 or weight.dtype.kind != "f":
            raise _stop(node, tensor, "its weights are computed at run time, not constants")
        bias = None
        if len(node.inputs) > 2 and node.inputs[2]:
            bias = g.const(node.inputs[2])
            if bias is None:
                raise _stop(node, tensor, "its bias is computed at run time, not a constant")
        c = shape[0]
        groups = c if node.attrs["groups"] == -1 else int(node.attrs["groups"])
        if weight.shape[1] * groups != c or weight.shape[0] % groups:
            raise _stop(
                node,
                tensor,
                f"weights {list(weight.shape)} with groups {groups} do not fit {c} input channels",
            )
        w = weight.astype(np.float64)
        b = None if bias is None else bias.astype(np.float64).reshape(-1)
        pads, out_shape = _conv_geometry(node, weight, shape, extra_pads)
        if min(out_shape) < 1:
            raise _stop(node, tensor, f"the kernel does not fit the {shape[1]}×{shape[2]} input")
        folded: list[str] = []
        if pre is not None:
            scale, shift, pre_nodes = pre
            idx = _in_channel_of(w, groups)
            if np.any(shift != 0):
                if any(pads):
                    first = pre_nodes[0]
                    raise _stop(
                        first,
                        tensor,
                        "adding a constant before a padded convolution "
                        "cannot be folded exactly (the padding would stay zero)",
                    )
                b = (b if b is not None else np.zeros(w.shape[0])) + np.einsum(
                    "oikl,oi->o", w, shift[idx]
                )
            w = w * scale[idx][:, :, None, None]
            folded += [n.name for n in pre_nodes]
        out = node.outputs[0]
        fused = node.attrs.get("activation", "none")
        nodes = [node.name]
        act_name, params = "none", {}
        bn: list[np.ndarray] | None = None  # [γ, β, μ, σ²] of a kept BatchNorm
        if fused == "none":
            while (found := fold_after(g, out, w.shape[0])) is not None:
                fnode, a, shift_c = found
                if bn is None and fnode.op == "batchnorm":
                    bn = kept_batchnorm(g, fnode)
                elif bn is not None:  # after the kept BN: fold into its γ and β
                    bn[0], bn[1] = bn[0] * a, bn[1] * a + shift_c
                else:
                    w = w * a[:, None, None, None]
                    b = (b if b is not None else np.zeros(w.shape[0])) * a + shift_c
                    folded.append(fnode.name)
                nodes.append(fnode.name)
                out = fnode.outputs[0]
            act = activation_at(g, out)
            stop: _Stopped | None = None
            if act is not None and act.name not in self.caps.activations:
                stop = _stop(
                    act.nodes[0],
                    out,
                    f"activation {act.name}"
                    f"{' (' + act.pattern + ')' if act.pattern else ''} is not one "
                    f"the stack has ({', '.join(sorted(self.caps.activations))})",
                )
            elif act is not None:
                if (act.scale != 1.0 or act.shift != 0.0) and bn is not None:
                    bn[0], bn[1] = bn[0] * act.scale, bn[1] * act.scale + act.shift
                elif act.scale != 1.0 or act.shift != 0.0:
                    w = w * act.scale
                    b = (b if b is not None else np.zeros(w.shape[0])) * act.scale + act.shift
                act_name, params = act.name, act.params
                nodes += [n.name for n in act.nodes]
                out = act.output
            if stop is not None:
                self.pending_stop = stop
        elif fused in self.caps.activations:
            act_name = fused
        else:
            raise _stop(node, tensor, f"its fused activation {fused} is not one the stack has")
        if any(p != pads[0] for p in pads) and not (pads[0] == pads[1] and pads[2] == pads[3]):
            if not self.caps.asymmetric_padding:
                raise _stop(
                    node,
                    tensor,
                    f"its padding (top {pads[0]}, bottom {pads[1]}, left "
                    f"{pads[2]}, right {pads[3]}) is asymmetric, which the stack "
                    "cannot represent yet",
                )
        if not (
            np.all(np.isfinite(w))
            and (b is None or np.all(np.isfinite(b)))
            and (bn is None or all(np.all(np.isfinite(p)) for p in bn))
        ):
            raise _stop(node, tensor, "its weights hold NaN or infinite values")
        return ImportedLayer(
            output=out,
            nodes=nodes,
            in_channels=c,
            weight=w.astype(np.float32),
            bias=None if b is None else b.astype(np.float32),
            stride=tuple(node.attrs["stride"]),
            dilation=tuple(node.attrs["dilation"]),
            groups=groups,
            pads=pads,
            activation=act_name,
            params=dict(params),
            output_shape=out_shape,
            folded=folded,
            bn=None
            if bn is None
            else {
                k: p.astype(np.float32)
                for k, p in zip(
                    ("bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"), bn, strict=True
                )
            },
        )

    def walk(self, shape: tuple[int, int, int], limit: int | None) -> tuple[list, Stop]:
        g = self.graph
        tensor = g.input
        layers: list[ImportedLayer] = self.layers
        pre: tuple[np.ndarray, np.ndarray, list[Node]] | None = None
        extra_pads = (0, 0, 0, 0)
        while True:
            self.pending_stop = None
            if limit is not None and len(layers) >= limit and pre is None:
                return layers, Stop(tensor, f"stopped after {limit} layers, as asked")
            cons = g.consumers(tensor)
            if not cons:
                return layers, Stop(tensor, "this is an output of the model: all of it is imported")
            if len(cons) > 1 and pre is None and not any(extra_pads):
                block = skip_block(self, tensor, shape, _stop)
                layers.append(block)
                tensor, shape = block.output, block.output_shape
                continue
            node = cons[0]
            if node.op == "identity":
                tensor = node.outputs[0]
                continue
            if node.op == "conv" and node.inputs[0] == tensor:
                layer = self.conv_layer(node, tensor, shape, pre, extra_pads)
                pre, extra_pads = None, (0, 0, 0, 0)
                if self.pending_stop is None and (block := se_block(self, layer, _stop)):
                    layer = block
                layers.append(layer)
                tensor, shape = layer.output, layer.output_shape
                if self.pending_stop is not None:
                    return layers, self.pending_stop.stop
                continue
            if (
                pre is None
                and not any(extra_pads)
                and (layer := self.simple_layer(node, tensor, shape)) is not None
            ):
                layers.append(layer)
                tensor, shape = layer.output, layer.output_shape
                continue
            if (
                node.op in ("mul", "div", "add", "sub")
                and node.attrs.get("activation", "none") == "none"
            ):
                c = channel_const(const_operand(g, node, tensor), shape[0])
                ok = c is not None and not (node.op in ("div", "sub") and node.inputs[0] != tensor)
                if ok and not (node.op == "div" and np.any(c == 0)):
                    scale, shift, nodes = pre or (np.ones(shape[0]), np.zeros(shape[0]), [])
                    if node.op == "mul":
                        scale, shift = scale * c, shift * c
                    elif node.op == "div":
                        scale, shift = scale / c, shift / c
                    else:
                        shift = shift + (c if node.op == "add" else -c)
                    pre = (scale, shift, [*nodes, node])
                    tensor = node.outputs[0]
                    continue
            if node.op == "pad" and not any(extra_pads):
                (n0, n1), (c0, c1), (t, b), (left, r) = node.attrs["pads"]
                nxt = g.consumers(node.outputs[0])
                if (
                    n0 == n1 == c0 == c1 == 0
                    and node.attrs["value"] == 0
                    and min(t, b, left, r) >= 0
                    and len(nxt) == 1
                    and nxt[0].op == "conv"
                    and "pads" in nxt[0].attrs
                ):
                    extra_pads = (t, b, left, r)
                    tensor = node.outputs[0]
                    continue
            first = pre[2][0] if pre is not None else node
            why = self.why(node)
            raise _stop(first, tensor, why)

    def simple_layer(
        self, node: Node, tensor: str, shape: tuple[int, int, int]
    ) -> ImportedLayer | None:
        """A standalone activation or a pooling the stack has, else ``None``."""
        c, h, w = shape
        if node.op in ("maxpool", "avgpool") and node.attrs.get("activation", "none") == "none":
            kh, kw = node.attrs["kernel"]
            sh, sw = node.attrs["stride"]
            if "auto_pad" in node.attrs:
                upper = node.attrs["auto_pad"] == "SAME_UPPER"
                pads = (*_same_pads(h, kh, sh, 1, upper), *_same_pads(w, kw, sw, 1, upper))
            else:
                pads = tuple(int(p) for p in node.attrs["pads"])
            symmetric = pads[0] == pads[1] and pads[2] == pads[3]
            exact = node.op == "maxpool" or not any(pads) or node.attrs["count_include_pad"]
            if not (symmetric and exact and 2 * max(pads) <= min(kh, kw)):
                return None
            oh = (h + pads[0] + pads[1] - kh) // sh + 1
            ow = (w + pads[2] + pads[3] - kw) // sw + 1
            return ImportedLayer(
                output=node.outputs[0],
                nodes=[node.name],
                in_channels=c,
                weight=None,
                bias=None,
                stride=(sh, sw),
                dilation=(1, 1),
                groups=1,
                pads=pads,
                output_shape=(c, oh, ow),
                op=node.op,
                pool_kernel=(kh, kw),
            )
        act = activation_at(self.graph, tensor)
        if act is None or act.nodes[0] is not node or act.name not in self.caps.activations:
            return None
        if act.scale != 1.0 or act.shift != 0.0 or act.name == "prelu":
            return None
        return ImportedLayer(
            output=act.output,
            nodes=[n.name for n in act.nodes],
            in_channels=c,
            weight=None,
            bias=None,
            stride=(1, 1),
            dilation=(1, 1),
            groups=1,
            pads=(0, 0, 0, 0),
            activation=act.name,
            params=dict(act.params),
            output_shape=shape,
            op="activation",
        )

    def why(self, node: Node) -> str:
        if node.op == "other":
            return f"the operator {node.source_op} is not something the stack can represent"
        if node.op in ("maxpool", "avgpool"):
            return (
                "a pooling with asymmetric padding, padding that would count in an "
                "average, or a fused activation cannot be represented exactly"
            )
        if node.op == "globalavgpool":
            return "a global average pool (the head of a classifier) is not a layer kind here"
        act = activation_at(self.graph, node.inputs[0]) if node.inputs else None
        if act is not None and act.name not in self.caps.activations:
            return f"the activation {act.name} is not one the stack has"
        if act is not None and (act.scale != 1.0 or act.shift != 0.0):
            return (
                f"this {act.name} ({act.pattern}) differs from torch's and is exact only "
                "folded into a convolution right before it"
            )
        if act is not None:
            return f"the {act.name} here cannot stand on its own as a layer (PReLU's slopes)"
        if node.op == "pad":
            return "only zero padding of the height and width, right before a convolution, folds"
        return f"{node.op} with an operand that is not a per-channel constant cannot be folded"


def match(
    graph: Graph, input_shape: tuple[int, int, int], caps: Capabilities, limit: int | None = None
) -> MatchResult:
    """Import the longest representable prefix of ``graph`` on an input of ``input_shape``.

    ``limit`` stops after that many layers. Never raises for what it cannot represent:
    the :class:`Stop` of the result says where and why.
    """
    walker = _Walker(graph, caps)
    try:
        with np.errstate(all="ignore"):  # non-finite results are refused by name instead
            _, stop = walker.walk(tuple(input_shape), limit)
    except _Stopped as exc:
        stop = exc.stop
    return MatchResult(graph=graph, input_shape=tuple(input_shape), layers=walker.layers, stop=stop)

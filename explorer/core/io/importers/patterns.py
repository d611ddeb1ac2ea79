"""Patterns the matcher recognises: activations (including the decompositions exporters
write) and constants that fold exactly into a convolution's weights and bias.

All functions read the :class:`~.graph.Graph` only; none changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.core.io.importers.graph import Graph, Node

__all__ = [
    "TORCH_BN_EPS",
    "Activation",
    "activation_at",
    "channel_const",
    "const_operand",
    "fold_after",
    "kept_batchnorm",
]

_TOL = 1e-6


@dataclass
class Activation:
    """An activation found after a tensor.

    ``name`` is one of the app's activation names; ``scale``/``shift`` (per channel or
    scalar) must be folded into the producing convolution first (``y = act(scale·x +
    shift)``), which is how a hardsigmoid ``clip(αx+β, 0, 1)`` with α ≠ 1/6 becomes torch's
    ``relu6(x' + 3)/6`` with ``x' = 6α·x + 6β − 3``. ``nodes`` are the nodes it covers;
    ``output`` the tensor that equals its result.
    """

    name: str
    output: str
    nodes: list[Node]
    params: dict[str, float] = field(default_factory=dict)
    scale: float = 1.0
    shift: float = 0.0
    pattern: str = ""

    def describe(self) -> str:
        first = self.nodes[0]
        via = f" ({self.pattern})" if self.pattern else ""
        return f"{self.name}{via} at node {first.name!r} ({first.source_op})"


def _close(value: float | None, want: float) -> bool:
    return value is not None and abs(value - want) <= _TOL * max(1.0, abs(want))


def const_operand(graph: Graph, node: Node, tensor: str) -> np.ndarray | None:
    """The constant operand of a binary ``node`` whose other operand is ``tensor``."""
    if len(node.inputs) != 2 or tensor not in node.inputs:
        return None
    other = node.inputs[1] if node.inputs[0] == tensor else node.inputs[0]
    if other == tensor:
        return None
    return graph.const(other)


def _scalar(array: np.ndarray | None) -> float | None:
    if array is None or array.size != 1 or array.dtype.kind not in "fiu":
        return None
    return float(array.reshape(-1)[0])


def channel_const(array: np.ndarray | None, channels: int) -> np.ndarray | None:
    """``array`` as ``(channels,)`` when it broadcasts per channel over ``(1, C, H, W)``
    (a scalar, ``(C,)`` only after our NHWC conversion, ``(C, 1, 1)``, ``(1, C, 1, 1)``);
    ``None`` otherwise."""
    if array is None or array.dtype.kind not in "fiu":
        return None
    a = np.asarray(array, dtype=np.float64)
    if a.size == 1:
        return np.full(channels, float(a.reshape(-1)[0]))
    shape = list(a.shape)
    while shape and shape[0] == 1 and len(shape) > 3:
        shape.pop(0)
    if len(shape) == 3 and shape[1:] == [1, 1] and shape[0] == channels:
        return a.reshape(channels)
    if len(shape) == 4 and shape[0] == 1 and shape[2:] == [1, 1] and shape[1] == channels:
        return a.reshape(channels)
    return None


def _only(graph: Graph, tensor: str) -> Node | None:
    cons = graph.consumers(tensor)
    return cons[0] if len(cons) == 1 else None


def _fused(node: Node) -> str:
    return node.attrs.get("activation", "none")


def _hardswish_decomposed(graph: Graph, tensor: str) -> Activation | None:
    """x·clip(x+3, 0, 6)/6 in its exporter spellings (Div by 6 or Mul by 1/6, before or
    after the product; HardSigmoid(1/6, 1/2)·x)."""
    cons = graph.consumers(tensor)
    if len(cons) != 2:
        return None
    by_op = {n.op: n for n in cons}
    mul = by_op.get("mul")
    if mul is None or len(by_op) != 2:
        return None
    gate = next(n for n in cons if n is not mul)
    nodes: list[Node] = [gate]
    if gate.op == "hardsigmoid":
        if not (_close(gate.attrs["alpha"], 1 / 6) and _close(gate.attrs["beta"], 0.5)):
            return None
        gated = gate.outputs[0]
    elif gate.op == "add" and _close(_scalar(const_operand(graph, gate, tensor)), 3.0):
        clip = _only(graph, gate.outputs[0])
        if clip is None or clip.op not in ("clip", "relu6"):
            return None
        if clip.op == "clip" and not (
            _close(clip.attrs["min"], 0) and _close(clip.attrs["max"], 6)
        ):
            return None
        nodes.append(clip)
        gated = clip.outputs[0]
        scale = _only(graph, gated)
        if scale is not None and scale is not mul and scale.op in ("div", "mul"):
            value = _scalar(const_operand(graph, scale, gated))
            want = 6.0 if scale.op == "div" else 1 / 6
            if not _close(value, want):
                return None
            nodes.append(scale)
            gated = scale.outputs[0]
    else:
        return None
    if gated not in mul.inputs or tensor not in mul.inputs or _fused(mul) != "none":
        return None
    nodes.append(mul)
    out = mul.outputs[0]
    if len(nodes) == 3 and gate.op == "add":  # the /6 comes after the product
        last = _only(graph, out)
        if last is None or last.op not in ("div", "mul"):
            return None
        want = 6.0 if last.op == "div" else 1 / 6
        if not _close(_scalar(const_operand(graph, last, out)), want):
            return None
        nodes.append(last)
        out = last.outputs[0]
    return Activation("hardswish", out, nodes, pattern="x·clip(x+3, 0, 6)/6")


def activation_at(graph: Graph, tensor: str) -> Activation | None:
    """The activation applied to ``tensor`` (and only to it), or ``None``."""
    node = _only(graph, tensor)
    if node is None:
        return _hardswish_decomposed(graph, tensor)
    out = node.outputs[0] if node.outputs else ""
    if node.op == "relu":
        return Activation("relu", out, [node])
    if node.op == "relu6":
        return Activation("relu6", out, [node])
    if node.op == "clip":
        lo, hi = node.attrs["min"], node.attrs["max"]
        if _close(lo, 0) and _close(hi, 6):
            return Activation("relu6", out, [node], pattern="Clip(0, 6)")
        if _close(lo, 0) and hi == np.inf:
            return Activation("relu", out, [node], pattern="Clip(0, ∞)")
        return None
    if node.op in ("hardswish", "sigmoid"):
        return Activation(node.op, out, [node])
    if node.op == "leaky_relu":
        return Activation("leaky_relu", out, [node], params={"negative_slope": node.attrs["alpha"]})
    if node.op == "hardsigmoid":
        alpha, beta = node.attrs["alpha"], node.attrs["beta"]
        if _close(alpha, 1 / 6) and _close(beta, 0.5):
            return Activation("hardsigmoid", out, [node])
        # clip(αx+β, 0, 1) = relu6(6αx + 6β − 3 + 3)/6: torch's hardsigmoid of a scaled input
        return Activation(
            "hardsigmoid",
            out,
            [node],
            scale=6 * alpha,
            shift=6 * beta - 3,
            pattern=f"clip({alpha:g}x+{beta:g}, 0, 1), folded as 6αx+6β−3",
        )
    return None


#: torch's ``nn.BatchNorm2d`` default eps, which the layer kinds build with
TORCH_BN_EPS = 1e-5


def kept_batchnorm(graph: Graph, node: Node) -> list[np.ndarray]:
    """``[γ, β, μ, σ²]`` (float64) of a BatchNorm node that :func:`fold_after` accepted,
    to keep as the layer's own batch norm. The model's eps is moved into σ²
    (``σ² + eps − 1e-5``) so that torch's ``BatchNorm2d`` (eps 1e-5) divides by the same
    ``sqrt(σ² + eps)`` as the model."""
    gamma, beta, mean, var = (
        graph.const(n).astype(np.float64).reshape(-1) for n in node.inputs[1:]
    )
    return [gamma, beta, mean, var + (float(node.attrs["epsilon"]) - TORCH_BN_EPS)]


def fold_after(
    graph: Graph, tensor: str, channels: int
) -> tuple[Node, np.ndarray, np.ndarray] | None:
    """A node after ``tensor`` that is ``y = a·x + b`` per channel (BatchNorm in inference,
    Mul/Div/Add/Sub by a constant), as ``(node, a, b)``; ``None`` otherwise."""
    node = _only(graph, tensor)
    if node is None or _fused(node) != "none":
        return None
    if node.op == "batchnorm" and node.inputs[0] == tensor and len(node.inputs) == 5:
        parts = [graph.const(n) for n in node.inputs[1:]]
        if any(p is None or p.size != channels or p.dtype.kind != "f" for p in parts):
            return None
        parts = [p.astype(np.float64).reshape(channels) for p in parts]
        gamma, beta, mean, var = parts
        a = gamma / np.sqrt(var + node.attrs["epsilon"])
        return node, a, beta - mean * a
    if node.op not in ("mul", "div", "add", "sub"):
        return None
    c = channel_const(const_operand(graph, node, tensor), channels)
    if c is None:
        return None
    ones, zeros = np.ones(channels), np.zeros(channels)
    if node.op == "mul":
        return node, c, zeros
    if node.op == "add":
        return node, ones, c
    if node.op == "div" and node.inputs[0] == tensor and np.all(c != 0):
        return node, 1 / c, zeros
    if node.op == "sub":
        return (node, ones, -c) if node.inputs[0] == tensor else (node, -ones, c)
    return None

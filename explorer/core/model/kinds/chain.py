"""Helpers of kinds that are a chain of parts: the costs of a chain, a convolution with
its pad, BN and activation, the padding split, and code wrapping. Re-exported by
:mod:`explorer.core.model.kinds.base`."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from explorer.core.model.kinds.parts import Activation, BatchNorm, Conv, Pad, Part, PartCount

__all__ = ["LayerTerms", "chain_terms", "conv_steps", "split_padding", "wrap_child"]

Pair = tuple[int, int]
Shape = tuple[int, int, int]


def split_padding(padding: Any) -> tuple[tuple[int, int, int, int] | None, Pair | str]:
    """``(zero_pad, conv_padding)``: an asymmetric ``(top, bottom, left, right)`` becomes a
    ``ZeroPad2d`` before a conv with padding 0; anything else goes to the conv."""
    if isinstance(padding, tuple) and len(padding) == 4:
        t, b, left, r = padding
        if t == b and left == r:
            return None, (t, left)
        return (t, b, left, r), (0, 0)
    return None, padding


@dataclass(frozen=True)
class LayerTerms:
    """What a layer costs on one input, from its parts (see :mod:`explorer.core.analysis.costs`).

    ``convs`` holds ``(name, conv part, its input shape, its count)`` for each
    convolution; ``windows`` the ``(kernel, stride, dilation)`` of each spatial step in
    order, for the receptive field; ``stored`` the elements of each part's output kept for
    display (the runner keeps each group's output).
    """

    output_shape: Shape
    params: int
    macs: int
    bias_adds: int
    elementwise: int
    convs: tuple[tuple[str, Conv, Shape, Any], ...]
    windows: tuple[tuple[Pair, Pair, Pair], ...]
    stored: int


def chain_terms(parts: tuple[Part, ...], shape: Shape, prefix: str = "") -> LayerTerms:
    """Add up the counts of ``parts`` applied one after the other to ``shape``.

    Each convolution's count takes in the parameters of the other parts of its group
    (BatchNorm γ, β; PReLU slopes), so a conv's line shows everything it brings.
    """
    params = macs = bias_adds = elementwise = 0
    convs: list[tuple[str, Conv, Shape, PartCount]] = []
    windows = []
    groups: dict[str, Shape] = {}
    extra: dict[str, int] = {}
    padded = 0  # values of a ZeroPad2d's output, read by the next convolution
    for part in parts:
        counted = part.count(shape)
        if isinstance(part, Pad):
            padded = math.prod(counted.output_shape)
        if isinstance(part, Conv):
            convs.append((prefix + part.group, part, shape, replace(counted, padded_input=padded)))
            padded = 0
        elif counted.params:
            extra[part.group] = extra.get(part.group, 0) + counted.params
        if part.window() is not None:
            windows.append(part.window())
        params += counted.params
        macs += counted.macs
        bias_adds += counted.bias_adds
        elementwise += counted.elementwise
        shape = counted.output_shape
        groups[part.group] = shape
    convs = [
        (name, conv, s, replace(c, params=c.params + extra.pop(conv.group, 0)))
        for name, conv, s, c in convs
    ]
    return LayerTerms(
        output_shape=shape,
        params=params,
        macs=macs,
        bias_adds=bias_adds,
        elementwise=elementwise,
        convs=tuple(convs),
        windows=tuple(windows),
        stored=sum(math.prod(s) for s in groups.values()),
    )


def wrap_child(name: str, call: str, indent: str, width: int = 100) -> list[str]:
    """``("name", nn.Conv2d(...)),`` on one line, or wrapped when it is too long."""
    line = f'{indent}("{name}", {call}),'
    if len(line) <= width or "(" not in call:
        return [line]
    func, _, rest = call.partition("(")
    args = rest[:-1].split(", ")
    lines, current = [], indent + "    "
    for arg in args:
        if len(current) + len(arg) + 2 > width and current.strip():
            lines.append(current.rstrip())
            current = indent + "    "
        current += arg + ", "
    lines.append(current.rstrip())
    return [f'{indent}("{name}", {func}(', *lines, f"{indent})),"]


def conv_steps(spec: Any, conv: Conv, prefix: str = "", padding: Any = None) -> list[Part]:
    """A convolution with its zero pad (asymmetric padding), BN and activation, named
    ``{prefix}pad``, ``{prefix}…``, ``{prefix}bn``, ``{prefix}act``; all in the conv's group."""
    steps: list[Part] = []
    pad, conv_padding = split_padding(conv.padding if padding is None else padding)
    group = conv.group
    if pad is not None:
        steps.append(Pad(f"{prefix}pad", group, pad))
    steps.append(replace(conv, padding=conv_padding))
    if spec.batch_norm:
        steps.append(BatchNorm(f"{prefix}bn", group, conv.c_out))
    if spec.activation != "none":
        steps.append(
            Activation(f"{prefix}act", group, spec.activation, conv.c_out, spec.negative_slope)
        )
    return steps

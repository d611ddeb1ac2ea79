"""A layer as the walk-through and the inspector explain it: its convolutions in order, read
off the layer's typed parts (:mod:`explorer.core.model.kinds.parts`), never off its kind.

Each :class:`ConvStep` is one convolution with what the layer does around it: the zero pad
before it (asymmetric padding), the batch norm and activation after it, and the keys of its
weight and bias in :attr:`LayerResult.weights <explorer.core.compute.run.LayerResult>`. A
convolution is explained as k×k windows (standard, grouped, depthwise when
:attr:`Conv.per_channel`) or as one ``C_out×C_in`` matrix at every pixel
(:attr:`Conv.matrix`). The output of a convolution that is not the layer's last is named
``D`` (MobileNet's depthwise output); the layer's output is ``Y``, its input ``X``.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.core.errors import SpecError
from explorer.core.model.kinds.parts import Activation, BatchNorm, Conv, Pad, Part
from explorer.core.model.specs import LayerSpec

__all__ = ["ConvStep", "conv_chain", "explained_steps"]


@dataclass(frozen=True)
class ConvStep:
    """One convolution of a layer and what surrounds it.

    Attributes
    ----------
    conv
        The convolution part (its ``group`` names the part: ``"conv"``, ``"depthwise"``…).
    weight, bias
        Keys of its weight and bias in the layer's weights (``bias``: ``None`` when the
        kind declares none).
    pad
        The ``(top, bottom, left, right)`` zero pad before it, or ``None``.
    post
        The batch norm and activation parts after it (in its group), in order.
    first, last
        Whether it is the layer's first / last convolution.
    """

    conv: Conv
    weight: str
    bias: str | None
    pad: tuple[int, int, int, int] | None
    post: tuple[Part, ...]
    first: bool
    last: bool

    @property
    def source(self) -> str:
        """The name of what it reads: ``"X"`` (the layer's input) or ``"D"``."""
        return "X" if self.first else "D"

    @property
    def result(self) -> str:
        """The name of what it computes: ``"Y"`` (the layer's output) or ``"D"``."""
        return "Y" if self.last else "D"


def conv_chain(spec: LayerSpec, in_channels: int) -> tuple[ConvStep, ...]:
    """The convolutions of ``spec`` on ``in_channels`` input channels, in order.

    Empty when the layer is not a plain chain of convolutions with their pad, batch norm
    and activation (a pool, an activation layer, a block, a kind without weight targets).
    """
    try:
        parts = spec.parts(in_channels)
    except NotImplementedError:
        return ()
    targets = {path: target for target, path in type(spec).weight_paths.items()}
    found: list[dict] = []
    pad: tuple[int, int, int, int] | None = None
    for part in parts:
        if isinstance(part, Pad):
            pad = part.pad
        elif isinstance(part, Conv):
            weight = targets.get(f"{part.name}.weight")
            if weight is None:
                return ()
            bias = targets.get(f"{part.name}.bias")
            found.append({"conv": part, "weight": weight, "bias": bias, "pad": pad, "post": []})
            pad = None
        elif isinstance(part, (BatchNorm, Activation)) and found:
            found[-1]["post"].append(part)
        else:
            return ()
    n = len(found)
    return tuple(
        ConvStep(**{**f, "post": tuple(f["post"])}, first=i == 0, last=i == n - 1)
        for i, f in enumerate(found)
    )


def explained_steps(spec: LayerSpec, in_channels: int, what: str) -> tuple[ConvStep, ...]:
    """:func:`conv_chain` when ``what`` (the walk-through, the inspector) can explain the layer
    step by step: a window or matrix convolution first, then only 1×1 matrices with stride 1
    (each reads one pixel of the one before). Raises :class:`SpecError` otherwise."""
    chain = conv_chain(spec, in_channels)
    later = chain[1:]
    if not chain or any(
        not s.conv.matrix or tuple(s.conv.stride) != (1, 1) or s.pad is not None for s in later
    ):
        raise SpecError(f"the {what} does not know {spec.kind!r} layers", field="kind")
    return chain

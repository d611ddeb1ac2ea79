"""The cost model: output shapes, parameters, MACs and FLOPs, as pure formulas.

Counting conventions (the app states them wherever it shows a count):

* **params** — every learnable parameter: conv weights, biases, BatchNorm affine (γ, β).
* **macs** — multiply-accumulates of the convolutions only (bias additions, BatchNorm and
  activations excluded); :mod:`explorer.core.tool_counts` says how other tools differ.
* **flops** — ``2 × macs`` (torch ``FlopCounterMode`` convention).
* **bias_adds** — the bias additions, reported separately (one per output element).

These functions also validate a stack against its input shape, because the checks that
need the shape (groups dividing the channels, kernel bigger than the padded input) are
the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import SpecError
from .specs import (
    DepthwiseSpec,
    LayerSpec,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
    check_fields,
)

__all__ = [
    "BYTES_PER_VALUE",
    "Comparison",
    "LayerCost",
    "PartCost",
    "StackCost",
    "compare_separable",
    "conv_output_size",
    "find_comparisons",
    "layer_cost",
    "separable_ratio_formula",
    "stack_cost",
]

Shape = tuple[int, int, int]
BYTES_PER_VALUE = 4  # float32 activations


@dataclass(frozen=True)
class PartCost:
    """One convolution inside a layer (a separable layer has two).

    Attributes
    ----------
    name
        ``"conv"``, ``"depthwise"`` or ``"pointwise"``.
    weight_shape
        torch's ``(C_out, C_in/groups, kh, kw)``.
    """

    name: str
    input_shape: Shape
    output_shape: Shape
    weight_shape: tuple[int, int, int, int]
    groups: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    params: int
    macs: int
    bias_adds: int


@dataclass(frozen=True)
class LayerCost:
    """Costs of one layer of the stack (all its parts added up)."""

    index: int
    kind: str
    input_shape: Shape
    output_shape: Shape
    params: int
    macs: int
    bias_adds: int
    activation_bytes: int
    receptive_field: tuple[int, int]
    jump: tuple[int, int]
    parts: tuple[PartCost, ...]

    @property
    def flops(self) -> int:
        """``2 × macs`` (torch ``FlopCounterMode`` convention)."""
        return 2 * self.macs

    def as_dict(self) -> dict:
        """The JSON form used by ``conv-explorer stats --json``."""
        return {
            "index": self.index,
            "kind": self.kind,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
            "bias_adds": self.bias_adds,
            "activation_bytes": self.activation_bytes,
            "receptive_field": list(self.receptive_field),
        }


@dataclass(frozen=True)
class StackCost:
    """Costs of a whole stack on one input shape."""

    input_shape: Shape
    layers: tuple[LayerCost, ...]

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def params(self) -> int:
        return sum(c.params for c in self.layers)

    @property
    def macs(self) -> int:
        return sum(c.macs for c in self.layers)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def bias_adds(self) -> int:
        return sum(c.bias_adds for c in self.layers)

    @property
    def activation_bytes(self) -> int:
        """Bytes of every activation kept for display: input, each layer's outputs."""
        c, h, w = self.input_shape
        return c * h * w * BYTES_PER_VALUE + sum(c.activation_bytes for c in self.layers)

    def total_dict(self) -> dict:
        return {
            "params": self.params,
            "macs": self.macs,
            "flops": self.flops,
            "bias_adds": self.bias_adds,
            "activation_bytes": self.activation_bytes,
        }


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """torch's ``floor((size + 2p - d(k-1) - 1) / s) + 1``."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _conv_part(
    name: str,
    in_shape: Shape,
    out_channels: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int] | str,
    dilation: tuple[int, int],
    groups: int,
    spec: LayerSpec,
) -> PartCost:
    c_in, h, w = in_shape
    if c_in % groups:
        raise SpecError(
            f"groups={groups} does not divide the {c_in} input channels", field="groups"
        )
    if out_channels % groups:
        field = "groups" if name == "conv" else "out_channels"
        raise SpecError(
            f"groups={groups} does not divide the {out_channels} output channels", field=field
        )
    sizes = []
    for axis, size in (0, h), (1, w):
        k, s, d = kernel[axis], stride[axis], dilation[axis]
        span = d * (k - 1) + 1
        if padding == "same":
            if s != 1:
                raise SpecError("padding 'same' needs stride 1 (as in torch)", field="padding")
            out = size
            padded = size + span - 1
        else:
            p = padding[axis]
            padded = size + 2 * p
            if span > padded:
                what = f"kernel {kernel[0]}×{kernel[1]}"
                if d > 1:
                    what += f" with dilation {dilation[0]}×{dilation[1]} (span {span})"
                raise SpecError(
                    f"{what} is bigger than the padded input "
                    f"({h + 2 * padding[0]}×{w + 2 * padding[1]})",
                    field="kernel_size",
                )
            out = conv_output_size(size, k, s, p, d)
        sizes.append(out)
    out_shape = (out_channels, sizes[0], sizes[1])
    weight_shape = (out_channels, c_in // groups, kernel[0], kernel[1])
    weights = math.prod(weight_shape)
    params = weights + (out_channels if spec.bias else 0)
    params += 2 * out_channels if spec.batch_norm else 0
    out_elems = math.prod(out_shape)
    macs = out_elems * (c_in // groups) * kernel[0] * kernel[1]
    return PartCost(
        name=name,
        input_shape=in_shape,
        output_shape=out_shape,
        weight_shape=weight_shape,
        groups=groups,
        stride=stride,
        dilation=dilation,
        params=params,
        macs=macs,
        bias_adds=out_elems if spec.bias else 0,
    )


def _parts(spec: LayerSpec, in_shape: Shape) -> tuple[PartCost, ...]:
    c_in = in_shape[0]
    if isinstance(spec, StandardSpec):
        return (
            _conv_part(
                "conv", in_shape, spec.out_channels, spec.kernel_size, spec.stride,
                spec.padding, spec.dilation, spec.groups, spec,
            ),
        )
    if isinstance(spec, PointwiseSpec):
        return (
            _conv_part(
                "pointwise", in_shape, spec.out_channels, (1, 1), spec.stride, (0, 0),
                (1, 1), 1, spec,
            ),
        )
    if isinstance(spec, (DepthwiseSpec, SeparableSpec)):
        dw = _conv_part(
            "depthwise", in_shape, c_in * spec.multiplier, spec.kernel_size, spec.stride,
            spec.padding, spec.dilation, c_in, spec,
        )
        if isinstance(spec, DepthwiseSpec):
            return (dw,)
        pw = _conv_part(
            "pointwise", dw.output_shape, spec.out_channels, (1, 1), (1, 1), (0, 0),
            (1, 1), 1, spec,
        )
        return (dw, pw)
    raise SpecError(f"unknown layer type {type(spec).__name__}", field="kind")


def layer_cost(
    spec: LayerSpec,
    in_shape: Shape,
    index: int = 0,
    receptive_field_in: tuple[tuple[int, int], tuple[int, int]] = ((1, 1), (1, 1)),
) -> LayerCost:
    """Cost of one layer on an input of shape ``(C, H, W)``.

    Parameters
    ----------
    receptive_field_in
        ``(rf, jump)`` of the input: receptive field size and the distance between
        neighbouring input positions, both in pixels of the image, per axis.

    Raises
    ------
    SpecError
        If the layer cannot run on that input; the error names the layer and field.
    """
    try:
        check_fields(spec)
        parts = _parts(spec, in_shape)
    except SpecError as exc:
        raise exc.at(index, spec.kind) from None
    out_shape = parts[-1].output_shape
    if min(out_shape) < 1:
        raise SpecError(
            f"output would be {out_shape[1]}×{out_shape[2]} pixels; make the input bigger, "
            "the stride smaller or add padding",
            layer=index, field="stride", kind=spec.kind,
        )
    (rf_h, rf_w), (jump_h, jump_w) = receptive_field_in
    for part in parts:
        rf_h += part.dilation[0] * (part.weight_shape[2] - 1) * jump_h
        rf_w += part.dilation[1] * (part.weight_shape[3] - 1) * jump_w
        jump_h, jump_w = jump_h * part.stride[0], jump_w * part.stride[1]
    act = sum(math.prod(p.output_shape) for p in parts) * BYTES_PER_VALUE
    return LayerCost(
        index=index,
        kind=spec.kind,
        input_shape=in_shape,
        output_shape=out_shape,
        params=sum(p.params for p in parts),
        macs=sum(p.macs for p in parts),
        bias_adds=sum(p.bias_adds for p in parts),
        activation_bytes=act,
        receptive_field=(rf_h, rf_w),
        jump=(jump_h, jump_w),
        parts=parts,
    )


def stack_cost(in_shape: Sequence[int], layers: Sequence[LayerSpec]) -> StackCost:
    """Costs of every layer of a stack, each on the output of the one before.

    Raises
    ------
    SpecError
        For the first layer that cannot run; the error names the layer and field.
    """
    shape: Shape = (int(in_shape[0]), int(in_shape[1]), int(in_shape[2]))
    if min(shape) < 1:
        raise SpecError(f"input shape {list(shape)} must be positive", field="input")
    rf = ((1, 1), (1, 1))
    costs = []
    for i, spec in enumerate(layers):
        cost = layer_cost(spec, shape, i, rf)
        costs.append(cost)
        rf = (cost.receptive_field, cost.jump)
        shape = cost.output_shape
    return StackCost(input_shape=(int(in_shape[0]), int(in_shape[1]), int(in_shape[2])),
                     layers=tuple(costs))


def separable_ratio_formula(out_channels: int, kernel_size: tuple[int, int], multiplier: int = 1) -> float:
    """MobileNet's cost ratio, separable / standard: ``m (1/C_out + 1/k²)``."""
    return multiplier * (1 / out_channels + 1 / (kernel_size[0] * kernel_size[1]))


@dataclass(frozen=True)
class Comparison:
    """A depthwise-separable block against the standard conv it replaces."""

    layers: tuple[int, ...]
    separable_params: int
    separable_macs: int
    standard: LayerCost
    formula_ratio: float

    @property
    def macs_ratio(self) -> float:
        return self.separable_macs / self.standard.macs

    @property
    def params_ratio(self) -> float:
        return self.separable_params / self.standard.params


def _standard_for(spec: LayerSpec, out_channels: int, bias: bool) -> StandardSpec:
    return StandardSpec(
        out_channels=out_channels, kernel_size=spec.kernel_size, stride=spec.stride,
        padding=spec.padding, dilation=spec.dilation, bias=bias,
        batch_norm=spec.batch_norm,
    )


def compare_separable(spec: SeparableSpec, in_shape: Shape, index: int = 0) -> Comparison:
    """Compare a separable layer with the standard k×k conv to the same channels."""
    sep = layer_cost(spec, in_shape, index)
    std = layer_cost(_standard_for(spec, spec.out_channels, spec.bias), in_shape, index)
    return Comparison(
        layers=(index,),
        separable_params=sep.params,
        separable_macs=sep.macs,
        standard=std,
        formula_ratio=separable_ratio_formula(spec.out_channels, spec.kernel_size, spec.multiplier),
    )


def find_comparisons(layers: Sequence[LayerSpec], cost: StackCost) -> list[Comparison]:
    """Every separable layer, and every depthwise layer directly followed by a pointwise
    one (stride 1), compared with the standard conv that would replace it."""
    out: list[Comparison] = []
    for i, spec in enumerate(layers):
        if i >= len(cost.layers):
            break
        c = cost.layers[i]
        if isinstance(spec, SeparableSpec):
            out.append(compare_separable(spec, c.input_shape, i))
        elif (
            isinstance(spec, DepthwiseSpec)
            and i + 1 < len(layers)
            and i + 1 < len(cost.layers)
            and isinstance(layers[i + 1], PointwiseSpec)
            and layers[i + 1].stride == (1, 1)
        ):
            pw = layers[i + 1]
            std = layer_cost(_standard_for(spec, pw.out_channels, pw.bias), c.input_shape, i)
            nxt = cost.layers[i + 1]
            out.append(
                Comparison(
                    layers=(i, i + 1),
                    separable_params=c.params + nxt.params,
                    separable_macs=c.macs + nxt.macs,
                    standard=std,
                    formula_ratio=separable_ratio_formula(
                        pw.out_channels, spec.kernel_size, spec.multiplier
                    ),
                )
            )
    return out
